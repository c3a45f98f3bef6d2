// The /v1 pipeline: authentication, parameter parsing, routing, Idempotency-Key, expand[],
// Stripe's error shape and headers, and a log of every call (GET /__emulator/requests).
import { authenticate } from '../lib/auth.mjs';
import { invalidRequest, StripeApiError, unrecognizedUrl } from '../lib/errors.mjs';
import { expand } from '../lib/expand.mjs';
import { parseForm } from '../lib/form.mjs';
import { readBody, sendJsonText } from '../lib/http.mjs';
import { lookup, remember } from '../lib/idempotency.mjs';
import { randomToken } from '../lib/ids.mjs';
import { expandPaths } from '../lib/params.mjs';
import { nowSeconds } from '../lib/clock.mjs';
import { createRouter } from '../lib/router.mjs';
import { API_ROUTES, virtualExpanders } from './api_routes.mjs';

const match = createRouter(API_ROUTES);

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {URL} url
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {(line: string) => void} log
 */
export async function handleApi(req, res, url, ctx, log) {
  const method = req.method ?? 'GET';
  const path = url.pathname;
  const requestId = `req_${randomToken(14)}`;
  const idempotencyKey = headerOf(req, 'idempotency-key');
  /** @type {Record<string, string>} */
  const headers = {
    'request-id': requestId,
    'stripe-version': headerOf(req, 'stripe-version') ?? ctx.apiVersion,
  };
  if (idempotencyKey && method === 'POST') headers['idempotency-key'] = idempotencyKey;

  let status = 200;
  let body = '';
  let replayed = false;
  try {
    authenticate(headerOf(req, 'authorization'));
    const params = await readParams(req, method, url);
    const route = match(method, path);
    if (!route) throw unrecognizedUrl(method, path);

    const saved = idempotencyKey && method === 'POST' ? lookup(ctx.store.idempotency, idempotencyKey, { method, path, params }) : undefined;
    if (saved) {
      replayed = true;
      status = saved.status;
      body = saved.body;
      headers['idempotent-replayed'] = 'true';
      headers['original-request'] = saved.requestId;
    } else {
      const info = { id: requestId, idempotency_key: idempotencyKey ?? null };
      try {
        const result = normalise(route.handler({ method, path, pathParams: route.params, params, info }, ctx));
        status = result.status;
        body = serialise(expand(structuredClone(result.body), expandPaths(params), ctx.store, virtualExpanders(ctx)));
        if (idempotencyKey && method === 'POST') remember(ctx.store.idempotency, idempotencyKey, { method, path, params }, { status, body, requestId });
      } catch (error) {
        if (!(error instanceof StripeApiError)) throw error;
        status = error.status;
        body = serialise(error.toJSON());
        if (error.saveIdempotent && idempotencyKey && method === 'POST') {
          remember(ctx.store.idempotency, idempotencyKey, { method, path, params }, { status, body, requestId });
        }
      }
    }
  } catch (error) {
    if (error instanceof StripeApiError) {
      status = error.status;
      body = serialise(error.toJSON());
    } else {
      status = 500;
      body = serialise({ error: { type: 'api_error', message: `The Stripe emulator failed: ${error instanceof Error ? error.message : String(error)}` } });
      log(`error in ${method} ${path}: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }

  ctx.store.requests.push({
    id: requestId,
    created: nowSeconds(),
    method,
    path,
    status,
    idempotency_key: idempotencyKey ?? null,
    idempotent_replayed: replayed,
  });
  log(`${method} ${path} → ${status}${replayed ? ' (idempotent replay)' : ''}`);
  sendJsonText(res, status, body, headers);
}

/**
 * @param {import('../lib/context.mjs').ApiResult | Record<string, any>} result
 * @returns {{ status: number, body: Record<string, any> }}
 */
function normalise(result) {
  if ('body' in result && typeof result.body === 'object' && !('object' in result)) {
    return { status: result.status ?? 200, body: result.body };
  }
  return { status: 200, body: result };
}

/** @param {unknown} value */
function serialise(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {string} name lower case
 */
function headerOf(req, name) {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * GET and DELETE take the query string; POST takes a form body (query parameters are merged
 * under it, as Stripe accepts both).
 * @param {import('node:http').IncomingMessage} req
 * @param {string} method
 * @param {URL} url
 */
async function readParams(req, method, url) {
  const query = parseForm(url.search.slice(1));
  if (method !== 'POST') return query;
  const text = await readBody(req);
  const type = (headerOf(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (text.length > 0 && type !== 'application/x-www-form-urlencoded') {
    throw invalidRequest(
      `Invalid request: Stripe's API takes form-encoded bodies (application/x-www-form-urlencoded), not ${type || 'an untyped body'}.`,
    );
  }
  return { ...query, ...parseForm(text) };
}
