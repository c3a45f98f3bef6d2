// Shared test setup: an emulator on a free port, a webhook receiver on another, a stripe-node
// client pointed at the emulator, and small waiting helpers.
import { createServer } from 'node:http';
import Stripe from 'stripe';
import { startEmulator } from '../server.mjs';

export const WEBHOOK_SECRET = 'whsec_emulator_test_suite';
export const API_KEY = 'sk_test_emulator';

/**
 * @typedef {object} Delivery
 * @property {string} body raw body
 * @property {Record<string, string | string[] | undefined>} headers
 * @property {Record<string, any>} event parsed body
 * @property {number} answered the status the receiver answered
 */

/**
 * A local webhook endpoint that records every delivery. `respond` picks the status per delivery
 * (200 unless set); it sees the parsed event and how many times that event arrived so far.
 * @param {{ respond?: (event: Record<string, any>, arrival: number) => number }} [options]
 */
export async function startReceiver(options = {}) {
  /** @type {Delivery[]} */
  const received = [];
  let respond = options.respond ?? (() => 200);
  const server = createServer(async (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const event = JSON.parse(body);
    const arrival = received.filter((d) => d.event.id === event.id).length + 1;
    const status = respond(event, arrival);
    received.push({ body, headers: req.headers, event, answered: status });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received: status < 300 }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/v1/stripe/webhook`,
    received,
    /** @param {(event: Record<string, any>, arrival: number) => number} fn */
    setResponder(fn) {
      respond = fn;
    },
    /**
     * Deliveries of events matching `predicate`, once there are at least `count`.
     * @param {(event: Record<string, any>) => boolean} predicate
     * @param {number} [count]
     */
    async waitFor(predicate, count = 1) {
      return waitUntil(() => {
        const matching = received.filter((d) => predicate(d.event));
        return matching.length >= count ? matching : undefined;
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Polls until `check` returns something truthy.
 * @template T
 * @param {() => T | undefined | null | false | Promise<T | undefined | null | false>} check
 * @param {number} [timeoutMs]
 * @returns {Promise<T>}
 */
export async function waitUntil(check, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** @param {number} port */
export function stripeClient(port) {
  return new Stripe(API_KEY, {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    httpClient: Stripe.createFetchHttpClient(),
  });
}

/**
 * An emulator with webhooks going to a fresh receiver, fast retries, and a client.
 * @param {{ respond?: (event: Record<string, any>, arrival: number) => number, webhookMaxAttempts?: number, webhookRetryDelayMs?: number }} [options]
 */
export async function startHarness(options = {}) {
  const receiver = await startReceiver({ respond: options.respond });
  const emulator = await startEmulator({
    port: 0,
    webhookUrl: receiver.url,
    webhookSecret: WEBHOOK_SECRET,
    webhookMaxAttempts: options.webhookMaxAttempts ?? 5,
    webhookRetryDelayMs: options.webhookRetryDelayMs ?? 20,
  });
  const stripe = stripeClient(emulator.port);

  /**
   * A raw call to the emulator, as curl would make it.
   * @param {string} path
   * @param {{ method?: string, form?: string, json?: unknown, headers?: Record<string, string>, auth?: boolean }} [init]
   */
  async function call(path, init = {}) {
    /** @type {Record<string, string>} */
    const headers = { ...(init.auth === false ? {} : { authorization: `Bearer ${API_KEY}` }), ...init.headers };
    let body;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = init.form;
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(`${emulator.url}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, headers: response.headers, text, json: type.includes('json') ? JSON.parse(text) : undefined };
  }

  return {
    emulator,
    receiver,
    stripe,
    call,
    /**
     * A customer with a paid checkout, the card saved off-session (the burnrate top-up shape).
     * @param {{ card?: string, amount?: number }} [paid]
     */
    async paidTopUp(paid = {}) {
      const customer = await stripe.customers.create({ email: 'owner@example.com', metadata: { workspace_id: 'ws_test' } });
      const session = await stripe.checkout.sessions.create(topUpParams(customer.id, paid.amount ?? 2500));
      const pay = await call(`/__emulator/checkout/${session.id}/pay`, { json: { card: paid.card ?? '4242 4242 4242 4242' } });
      return { customer, session, pay };
    },
    async close() {
      await emulator.close();
      await receiver.close();
    },
  };
}

/**
 * The Checkout Session burnrate creates for a top-up.
 * @param {string} customerId
 * @param {number} amount cents
 * @returns {import('stripe').Stripe.Checkout.SessionCreateParams}
 */
export function topUpParams(customerId, amount) {
  return {
    mode: 'payment',
    customer: customerId,
    line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: amount, product_data: { name: 'burnrate credits' } } }],
    payment_intent_data: { setup_future_usage: 'off_session', metadata: { workspace_id: 'ws_test', kind: 'topup' } },
    invoice_creation: { enabled: true, invoice_data: { metadata: { workspace_id: 'ws_test' } } },
    success_url: 'http://127.0.0.1:8787/v1/billing/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://127.0.0.1:8787/v1/billing/cancel',
    metadata: { workspace_id: 'ws_test', deposit_id: 'dep_1' },
    client_reference_id: 'ws_test',
  };
}
