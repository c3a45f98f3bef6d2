// Bugs the seeded simulator found (docs/simulation.md, "What it found"), each as the shortest test
// that shows it: written so that it fails before the fix.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { deliver, eventFor, stripeCall } from '../stripe/stripe_helpers';

describe('found by the simulator', () => {
  // Seed 3, 70 steps at 40 % D1 faults: a top-up whose session Stripe made and the directory
  // recorded, but whose pending deposit the ledger never opened (its D1 batch failed after the
  // directory's), answers 500 and its session is expired. Its checkout.session.expired then failed
  // on every delivery (500, retried by Stripe for days) and in every reconciliation run ("No such
  // pending deposit"), though there is nothing to close.
  it('an expired Checkout Session whose deposit was never opened is applied as nothing to close', async () => {
    const ws = await createWorkspace('Session without a deposit');
    // The state such a failure leaves (group_batch.ts writes the directory's row first): a session
    // at Stripe and its row in the directory, and no deposit in the ledger.
    const made = await stripeCall('/v1/checkout/sessions', {
      mode: 'payment',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '1500',
      'line_items[0][price_data][product_data][name]': 'Credit top-up ($15.00)',
      'line_items[0][quantity]': '1',
      success_url: 'http://burnrate.test/dashboard?checkout=success',
      'metadata[workspace_id]': ws.workspaceId,
    });
    expect(made.status).toBe(200);
    const sessionId = made.body.id as string;
    await env.DB.prepare('INSERT INTO checkout_sessions (session_id, workspace_id, transaction_key, amount_cents, created_at_ms) VALUES (?, ?, ?, ?, ?)')
      .bind(sessionId, ws.workspaceId, `checkout:${sessionId}`, 1500, Date.now())
      .run();
    // The top-up answered 500 and its session was expired.
    expect((await stripeCall(`/v1/checkout/sessions/${sessionId}/expire`)).status).toBe(200);

    const expired = await eventFor('checkout.session.expired', sessionId);
    const delivered = await deliver(expired);
    expect(delivered.status).toBe(200);

    const report = await internal('POST', '/internal/v1/stripe/reconcile');
    expect(report.status).toBe(200);
    const mine = (report.body.mismatches as { workspaceId: string; detail: string }[]).filter((m) => m.workspaceId === ws.workspaceId);
    expect(mine).toEqual([]);
  });
});
