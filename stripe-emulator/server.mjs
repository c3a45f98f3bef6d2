// The Stripe emulator: a local stand-in for the part of Stripe's API burnrate uses, its hosted
// checkout and invoice pages, and signed webhook delivery. A development tool, not production code.
//
//   import { startEmulator } from './stripe-emulator/server.mjs';
//   const emulator = await startEmulator({ port: 12111, webhookUrl, webhookSecret });
//   // new Stripe('sk_test_emulator', { host: '127.0.0.1', port: 12111, protocol: 'http', httpClient: Stripe.createFetchHttpClient() })
//   await emulator.close();
import { createServer } from 'node:http';
import { resolveOptions } from './config.mjs';
import { layout, escapeHtml } from './lib/html.mjs';
import { sendHtml, sendJson } from './lib/http.mjs';
import { createStore } from './lib/store.mjs';
import { expireDueSessions } from './resources/checkout_sessions.mjs';
import { recordEvent } from './resources/events.mjs';
import { handleApi } from './routes/api.mjs';
import { handleControl } from './routes/control.mjs';
import { matchPage } from './routes/hosted.mjs';
import { createDispatcher } from './webhooks/dispatcher.mjs';

/**
 * @typedef {object} Emulator
 * @property {string} url base URL, e.g. http://127.0.0.1:12111
 * @property {number} port the port listened on (useful with port 0)
 * @property {string | null} webhookUrl
 * @property {() => Promise<void>} close stops the server, retries and the expiry sweep
 */

/**
 * Starts the emulator. Options not given come from the environment (STRIPE_EMULATOR_PORT,
 * BURNRATE_WEBHOOK_URL, STRIPE_WEBHOOK_SECRET, …), else from the dev defaults in config.mjs.
 * @param {import('./config.mjs').EmulatorOptions} [options]
 * @returns {Promise<Emulator>}
 */
export async function startEmulator(options = {}) {
  const config = resolveOptions(options, process.env);
  const log = config.log ?? (() => {});
  const webhookUrl = config.webhookUrl || null;
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const baseUrl = (config.publicUrl ?? `http://${config.host}:${address.port}`).replace(/\/$/, '');

  const store = createStore();
  const dispatcher = createDispatcher({
    url: webhookUrl,
    secret: config.webhookSecret,
    maxAttempts: config.webhookMaxAttempts,
    retryDelayMs: config.webhookRetryDelayMs,
    timeoutMs: config.webhookTimeoutMs,
    log,
  });
  /** @type {import('./lib/context.mjs').Context} */
  const ctx = {
    store,
    baseUrl,
    apiVersion: config.apiVersion,
    emit(type, object, request) {
      const event = recordEvent(store, config.apiVersion, type, object, request, webhookUrl !== null);
      dispatcher.deliver(event);
      return event;
    },
  };
  const settings = { webhookUrl, apiVersion: config.apiVersion, baseUrl };

  server.on('request', (req, res) => {
    handle(req, res).catch((error) => {
      log(`error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: { type: 'api_error', message: 'The Stripe emulator failed.' } });
      else res.end();
    });
  });

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async function handle(req, res) {
    const url = new URL(req.url ?? '/', baseUrl);
    if (url.pathname.startsWith('/v1/')) return handleApi(req, res, url, ctx, log);
    if (url.pathname === '/__emulator' || url.pathname.startsWith('/__emulator/')) {
      return handleControl(req, res, url, { ctx, dispatcher, settings });
    }
    const page = matchPage(req.method ?? 'GET', url.pathname);
    if (page) return page.handler(req, res, page.params, ctx);
    if (url.pathname === '/' && req.method === 'GET') return sendHtml(res, 200, indexPage(settings));
    sendJson(res, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${url.pathname}).` } });
  }

  const sweep = setInterval(() => expireDueSessions(ctx), config.expirySweepMs);
  sweep.unref();

  return {
    url: baseUrl,
    port: address.port,
    webhookUrl,
    async close() {
      clearInterval(sweep);
      await dispatcher.close();
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },
  };
}

/** @param {{ webhookUrl: string | null, apiVersion: string, baseUrl: string }} settings */
function indexPage(settings) {
  return layout({
    title: 'Stripe emulator',
    body: `<h1>Stripe emulator</h1>
<p>Speaks Stripe's REST API at <code>${escapeHtml(settings.baseUrl)}/v1</code> (API version ${escapeHtml(settings.apiVersion)}).</p>
<p>Webhooks go to <code>${escapeHtml(settings.webhookUrl ?? 'nowhere (disabled)')}</code>.</p>
<p><a href="/__emulator/events">Events and deliveries</a> · <a href="/__emulator/requests">API requests</a></p>`,
  });
}
