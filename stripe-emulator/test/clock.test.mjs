// The emulator's clock: the wall clock, or where POST /__emulator/clock set it (Stripe's objects
// and events are dated by it), and the wall clock again after null.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.call('/__emulator/clock', { json: { nowMs: null } });
  h.close();
});

test('objects are dated by the clock a caller set, then by the wall clock again', async () => {
  const set = Date.UTC(2027, 0, 15, 12, 0, 0);
  const moved = await h.call('/__emulator/clock', { json: { nowMs: set } });
  assert.equal(moved.status, 200);
  const customer = await h.stripe.customers.create({ email: 'clock@example.com' });
  assert.equal(customer.created, set / 1000);
  const back = await h.call('/__emulator/clock', { json: { nowMs: null } });
  assert.equal(back.status, 200);
  const later = await h.stripe.customers.create({ email: 'wall@example.com' });
  assert.ok(Math.abs(later.created - Math.floor(Date.now() / 1000)) <= 5);
  const refused = await h.call('/__emulator/clock', { json: { nowMs: 'soon' } });
  assert.equal(refused.status, 400);
});
