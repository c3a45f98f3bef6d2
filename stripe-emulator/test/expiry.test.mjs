// Checkout Sessions expire by themselves at expires_at (the clock is moved, not waited for).
import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import { startEmulator } from '../server.mjs';
import { startReceiver, stripeClient, topUpParams, waitUntil, WEBHOOK_SECRET } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startReceiver>>} */
let receiver;
/** @type {Awaited<ReturnType<typeof startEmulator>>} */
let emulator;
before(async () => {
  receiver = await startReceiver();
  emulator = await startEmulator({ port: 0, webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, expirySweepMs: 10 });
});
after(async () => {
  mock.timers.reset();
  await emulator.close();
  await receiver.close();
});

test('an open session past expires_at expires on its own and sends checkout.session.expired', async () => {
  const stripe = stripeClient(emulator.port);
  const customer = await stripe.customers.create({ email: 'late@example.com' });
  const start = Date.now();
  const expiresAt = Math.floor(start / 1000) + 31 * 60;
  const session = await stripe.checkout.sessions.create({ ...topUpParams(customer.id, 2500), expires_at: expiresAt });
  const paid = await stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
  await fetch(`${emulator.url}/__emulator/checkout/${paid.id}/pay`, { method: 'POST', body: JSON.stringify({ card: '4242424242424242' }) });

  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await stripe.checkout.sessions.retrieve(session.id)).status, 'open', 'not before its time');

  mock.timers.enable({ apis: ['Date'], now: (expiresAt + 1) * 1000 });
  const [delivery] = await receiver.waitFor((e) => e.type === 'checkout.session.expired' && e.data.object.id === session.id);
  mock.timers.reset();
  assert.equal(delivery.event.data.object.status, 'expired');
  const after = await waitUntil(async () => {
    const s = await stripe.checkout.sessions.retrieve(session.id);
    return s.status === 'expired' ? s : undefined;
  });
  assert.equal(after.url, null);
  assert.equal((await stripe.checkout.sessions.retrieve(paid.id)).status, 'complete', 'a paid session never expires');
});
