import { env } from 'cloudflare:workers';
import Stripe from 'stripe';
import { publicApi, rawFetch } from '../helpers/api';

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
  const events = await emulatorEvents();
  const found = events.find((e) => (e.type === type || e.event?.type === type) && JSON.stringify(e).includes(objectId));
  if (!found) throw new Error(`no ${type} event for ${objectId}`);
  return (found.event ?? found) as Stripe.Event;
}

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

export const topup = (apiKey: string, amountCents: number, idempotencyKey?: string) =>
  rawFetch('/v1/billing/topup', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify({ amountCents }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

export const credits = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits', apiKey)).body;
