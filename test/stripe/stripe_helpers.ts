import { env } from 'cloudflare:workers';
import Stripe from 'stripe';
import { publicApi, rawFetch } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';

export const EMULATOR = env.STRIPE_EMULATOR_URL!;
export const WEBHOOK_SECRET = 'whsec_test_burnrate';
const signer = new Stripe('sk_test_signer', { httpClient: Stripe.createFetchHttpClient() });

/** Pays (or fails to pay) a Checkout Session on the emulator, as a person on its page would. */
export async function payCheckout(sessionId: string, card = '4242424242424242') {
  const res = await fetch(`${EMULATOR}/__emulator/checkout/${sessionId}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** The events the emulator generated, newest first. */
export async function emulatorEvents(): Promise<any[]> {
  const res = await fetch(`${EMULATOR}/__emulator/events`);
  const body = (await res.json()) as any;
  return (body.data ?? body) as any[];
}

export async function eventFor(type: string, objectId: string) {
  const [found] = await eventsFor(type, objectId);
  if (!found) throw new Error(`no ${type} event for ${objectId}`);
  return found;
}

/** Every event of a type that mentions the object, newest first. */
export async function eventsFor(type: string, objectId: string) {
  const events = await emulatorEvents();
  return events.filter((e) => (e.type === type || e.event?.type === type) && JSON.stringify(e).includes(objectId)).map((e) => (e.event ?? e) as Stripe.Event);
}

/** A form-encoded call to the emulator's Stripe API, as Stripe's dashboard or a script would make it. */
export async function stripeCall(path: string, form: Record<string, string> = {}, method = 'POST') {
  const res = await fetch(`${EMULATOR}${path}`, {
    method,
    headers: { authorization: 'Bearer sk_test_x', 'content-type': 'application/x-www-form-urlencoded' },
    body: method === 'GET' ? undefined : new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** The workspace's Stripe customer and cached default card, as stripe_customers holds them. */
/**
 * An off-session PaymentIntent made at Stripe for a deposit entry, as charge_saved_card.ts makes it
 * (confirmed at once on the saved card, naming its workspace and ledger key in metadata).
 */
export function offSessionIntent(ws: { workspaceId: string; customerId: string; paymentMethodId: string }, key: string, amountCents: number, description?: string) {
  return stripeCall('/v1/payment_intents', {
    amount: String(amountCents),
    currency: 'usd',
    customer: ws.customerId,
    payment_method: ws.paymentMethodId,
    off_session: 'true',
    confirm: 'true',
    ...(description === undefined ? {} : { description }),
    'metadata[workspaceId]': ws.workspaceId,
    'metadata[transactionKey]': key,
  });
}

export async function stripeCustomerRow(workspaceId: string) {
  return env.DB.prepare('SELECT customer_id AS customerId, payment_method_id AS paymentMethodId FROM stripe_customers WHERE workspace_id = ?')
    .bind(workspaceId)
    .first<{ customerId: string; paymentMethodId: string | null }>();
}

/** A workspace that paid a $20 Checkout top-up with 4242…, its card saved as the default. */
export async function workspaceWithSavedCard(name: string) {
  const ws = await createWorkspace(name);
  const created = await topup(ws.adminKey, 2000);
  await payCheckout(created.body.sessionId);
  const delivered = await deliver(await eventFor('checkout.session.completed', created.body.sessionId));
  if (delivered.status !== 200) throw new Error(`checkout webhook answered ${delivered.status}`);
  const row = await stripeCustomerRow(ws.workspaceId);
  if (!row?.paymentMethodId) throw new Error('no saved card');
  return { ...ws, customerId: row.customerId, paymentMethodId: row.paymentMethodId };
}

/** Makes a saved card decline (or pay again) off-session from now on. */
export const setCardOutcome = (pm: string, outcome: 'decline' | 'succeed') =>
  fetch(`${EMULATOR}/__emulator/payment_methods/${pm}/outcome`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome }) });

/** Delivers an event to the Worker's webhook endpoint, signed as Stripe would sign it. */
export async function deliver(event: unknown, options: { secret?: string; timestamp?: number; tamper?: (raw: string) => string } = {}) {
  const raw = JSON.stringify(event);
  const header = await signer.webhooks.generateTestHeaderStringAsync({
    payload: raw,
    secret: options.secret ?? WEBHOOK_SECRET,
    timestamp: options.timestamp,
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  const body = options.tamper ? options.tamper(raw) : raw;
  const res = await rawFetch('/v1/stripe/webhook', { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

export const topup = (apiKey: string, amountCents: number, idempotencyKey?: string, paymentMethod?: 'checkout' | 'saved') =>
  rawFetch('/v1/billing/topup', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify({ amountCents, ...(paymentMethod ? { paymentMethod } : {}) }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

export const credits = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits', apiKey)).body;
