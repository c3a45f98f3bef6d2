// /__emulator/*: what tests and developers need beyond Stripe's API. Not part of Stripe.
//   GET  /__emulator                          settings (webhook URL, API version)
//   GET  /__emulator/events[?type=]           events, oldest first, with their delivery attempts
//   GET  /__emulator/events/:id               one event with its delivery attempts
//   POST /__emulator/events/:id/resend        delivers an event again; answers when that run ends
//   POST /__emulator/checkout/:id/pay         pays a Checkout Session as the hosted page does: {card, email?, name?}
//   POST /__emulator/payment_methods/:id/outcome  {outcome: 'decline' | 'succeed', decline_code?}: a saved card starts declining
//   POST /__emulator/charges/:id/dispute      opens a dispute {amount?, reason?, withdraw? (default true), inquiry?}
//   POST /__emulator/disputes/:id/withdraw    withdraws a dispute's funds (charge.dispute.funds_withdrawn)
//   POST /__emulator/disputes/:id/reinstate   gives them back (charge.dispute.funds_reinstated)
//   POST /__emulator/disputes/:id/close       {status: 'won' | 'lost'} (charge.dispute.closed; won reinstates first)
//   POST /__emulator/refunds/:id/succeed      a pending refund succeeds (charge.refund.updated, refund.updated)
//   POST /__emulator/refunds/:id/fail         {failure_reason?}: a pending or succeeded refund fails (… and refund.failed)
//   POST /__emulator/webhooks/pause           holds back webhook delivery (events are still recorded)
//   POST /__emulator/webhooks/resume          {drop?: boolean}: sends the held events (or drops them)
//   GET  /__emulator/requests                 every /v1 call (method, path, status, idempotency key, replay)
//   POST /__emulator/reset                    forgets every object, event and idempotency key
//   POST /__emulator/clock                    {nowMs: number | null}: Stripe's time from now on (null: the wall clock again)
import { decliningCopy } from '../lib/cards.mjs';
import { nowSeconds, setClock } from '../lib/clock.mjs';
import { parseForm } from '../lib/form.mjs';
import { readBody, sendJson } from '../lib/http.mjs';
import { createRouter } from '../lib/router.mjs';
import { resetStore } from '../lib/store.mjs';
import { StripeApiError } from '../lib/errors.mjs';
import { payCheckoutSession } from '../resources/checkout_payment.mjs';
import { closeDispute, getDispute, openDispute, reinstateDisputeFunds, withdrawDisputeFunds } from '../resources/disputes.mjs';
import { settleRefund } from '../resources/refunds.mjs';

/**
 * @typedef {object} ControlDeps
 * @property {import('../lib/context.mjs').Context} ctx
 * @property {import('../webhooks/dispatcher.mjs').Dispatcher} dispatcher
 * @property {{ webhookUrl: string | null, apiVersion: string, baseUrl: string }} settings
 *
 * @typedef {(params: Record<string, string>, body: Record<string, any>, deps: ControlDeps, query: URLSearchParams) => Promise<[number, unknown]> | [number, unknown]} ControlHandler
 */

/** @param {string} message */
const notFound = (message) => /** @type {[number, unknown]} */ ([404, { error: { type: 'invalid_request_error', message } }]);

/**
 * @param {Record<string, any>} event
 * @param {import('../webhooks/dispatcher.mjs').Dispatcher} dispatcher
 */
function withDelivery(event, dispatcher) {
  const record = dispatcher.recordOf(event.id);
  return { ...event, delivery: { status: record.status, attempts: record.attempts } };
}

/** @type {Array<[string, ControlHandler]>} */
const ROUTES = [
  ['GET /__emulator', (_p, _b, { settings, dispatcher }) => [200, { emulator: 'stripe', ...settings, webhooksPaused: dispatcher.paused }]],
  [
    'POST /__emulator/clock',
    (_p, body) => {
      const ms = body.nowMs === null ? null : Number(body.nowMs);
      if (ms !== null && !Number.isSafeInteger(ms)) return [400, { error: { type: 'invalid_request_error', message: 'nowMs must be a whole number of milliseconds or null', param: 'nowMs' } }];
      setClock(ms);
      return [200, { now: nowSeconds() }];
    },
  ],
  ['POST /__emulator/webhooks/pause', (_p, _b, { dispatcher }) => [200, dispatcher.pause()]],
  ['POST /__emulator/webhooks/resume', (_p, body, { dispatcher }) => [200, dispatcher.resume({ drop: body.drop === true || body.drop === 'true' })]],
  [
    'GET /__emulator/events',
    (_p, _b, { ctx, dispatcher }, query) => {
      const type = query.get('type');
      const events = [...ctx.store.objects.events.values()].filter((event) => !type || event.type === type);
      return [200, { object: 'list', data: events.map((event) => withDelivery(event, dispatcher)), has_more: false, url: '/__emulator/events' }];
    },
  ],
  [
    'GET /__emulator/events/:id',
    (params, _b, { ctx, dispatcher }) => {
      const event = ctx.store.objects.events.get(params.id ?? '');
      return event ? [200, withDelivery(event, dispatcher)] : notFound(`No such event: '${params.id}'`);
    },
  ],
  [
    'POST /__emulator/events/:id/resend',
    async (params, _b, { ctx, dispatcher }) => {
      const event = ctx.store.objects.events.get(params.id ?? '');
      if (!event) return notFound(`No such event: '${params.id}'`);
      await dispatcher.redeliver(event);
      return [200, withDelivery(event, dispatcher)];
    },
  ],
  [
    'POST /__emulator/checkout/:id/pay',
    (params, body, { ctx }) => {
      const session = ctx.store.objects.checkout_sessions.get(params.id ?? '');
      if (!session) return notFound(`No such checkout.session: '${params.id}'`);
      const result = payCheckoutSession(ctx, session, {
        card: String(body.card ?? ''),
        email: body.email === undefined ? undefined : String(body.email),
        name: body.name === undefined ? undefined : String(body.name),
        exp: body.exp === undefined ? undefined : String(body.exp),
      });
      if (result.ok) {
        return [
          200,
          result.setupIntent
            ? { status: 'set_up', checkout_session: result.session, setup_intent: result.setupIntent, redirect_url: result.redirectUrl }
            : { status: 'paid', checkout_session: result.session, payment_intent: result.paymentIntent, redirect_url: result.redirectUrl },
        ];
      }
      return [result.httpStatus, { error: result.error, checkout_session: result.session }];
    },
  ],
  [
    'POST /__emulator/payment_methods/:id/outcome',
    (params, body, { ctx }) => {
      const card = ctx.store.cards.get(params.id ?? '');
      if (!card) return notFound(`No such PaymentMethod: '${params.id}'`);
      if (body.outcome === 'decline') {
        ctx.store.cards.set(/** @type {string} */ (params.id), decliningCopy(card, String(body.decline_code ?? 'generic_decline')));
      } else if (body.outcome === 'succeed') {
        ctx.store.cards.set(/** @type {string} */ (params.id), { ...card, onSession: null, offSession: null, authenticates: false });
      } else {
        return [400, { error: { type: 'invalid_request_error', message: "outcome must be 'decline' or 'succeed'", param: 'outcome' } }];
      }
      const now = /** @type {import('../lib/cards.mjs').TestCard} */ (ctx.store.cards.get(/** @type {string} */ (params.id)));
      return [200, { payment_method: params.id, on_session: now.onSession, off_session: now.offSession }];
    },
  ],
  [
    'POST /__emulator/charges/:id/dispute',
    (params, body, { ctx }) => [
      200,
      openDispute(ctx, params.id ?? '', {
        amount: body.amount === undefined ? undefined : Number(body.amount),
        reason: body.reason === undefined ? undefined : String(body.reason),
        withdraw: body.withdraw === undefined ? undefined : body.withdraw !== false && body.withdraw !== 'false',
        inquiry: body.inquiry === true || body.inquiry === 'true',
      }),
    ],
  ],
  ['POST /__emulator/disputes/:id/withdraw', (params, _b, { ctx }) => [200, withdrawDisputeFunds(ctx, getDispute(ctx, params.id ?? ''))]],
  ['POST /__emulator/disputes/:id/reinstate', (params, _b, { ctx }) => [200, reinstateDisputeFunds(ctx, getDispute(ctx, params.id ?? ''))]],
  [
    'POST /__emulator/disputes/:id/close',
    (params, body, { ctx }) => {
      if (body.status !== 'won' && body.status !== 'lost') return [400, { error: { type: 'invalid_request_error', message: "status must be 'won' or 'lost'", param: 'status' } }];
      return [200, closeDispute(ctx, getDispute(ctx, params.id ?? ''), body.status)];
    },
  ],
  ['POST /__emulator/refunds/:id/succeed', (params, _b, { ctx }) => [200, settleRefund(ctx, params.id ?? '', 'succeed')]],
  [
    'POST /__emulator/refunds/:id/fail',
    (params, body, { ctx }) => [200, settleRefund(ctx, params.id ?? '', 'fail', body.failure_reason === undefined ? undefined : String(body.failure_reason))],
  ],
  ['GET /__emulator/requests', (_p, _b, { ctx }) => [200, { object: 'list', data: ctx.store.requests, has_more: false, url: '/__emulator/requests' }]],
  [
    'POST /__emulator/reset',
    (_p, _b, { ctx, dispatcher }) => {
      resetStore(ctx.store);
      dispatcher.clear();
      return [200, { reset: true }];
    },
  ],
];

const match = createRouter(ROUTES);

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {URL} url
 * @param {ControlDeps} deps
 */
export async function handleControl(req, res, url, deps) {
  const route = match(req.method ?? 'GET', url.pathname);
  if (!route) return sendJson(res, 404, { error: { type: 'invalid_request_error', message: `Unknown emulator route ${req.method} ${url.pathname}` } });
  const text = req.method === 'POST' ? await readBody(req) : '';
  /** @type {Record<string, any>} */
  let body = {};
  if (text.trim()) {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    try {
      body = type.includes('json') || text.trim().startsWith('{') ? JSON.parse(text) : parseForm(text);
    } catch {
      return sendJson(res, 400, { error: { type: 'invalid_request_error', message: 'The body is not valid JSON.' } });
    }
  }
  try {
    const [status, value] = await route.handler(route.params, body, deps, url.searchParams);
    sendJson(res, status, value);
  } catch (error) {
    // The resources' own validation errors (an unknown id, a step out of order): Stripe-shaped.
    if (error instanceof StripeApiError) return sendJson(res, error.status, error.toJSON());
    throw error;
  }
}
