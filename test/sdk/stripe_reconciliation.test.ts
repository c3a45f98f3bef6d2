// BurnrateInternal.stripe: reconciliation with Stripe through the SDK, against the real Worker and
// the Stripe emulator.
import { describe, expect, it } from 'vitest';
import { internalClient } from './sdk_helpers';

describe('BurnrateInternal.stripe', () => {
  it('reconciliation() is not_found before the first run; reconcile() runs one and it becomes the last report', async () => {
    const internal = internalClient();
    await expect(internal.stripe.reconciliation()).rejects.toMatchObject({ code: 'not_found', status: 404 });
    const report = await internal.stripe.reconcile();
    expect(report).toMatchObject({ eventsApplied: 0, pendingResolved: 0, repaired: [], mismatches: [] });
    expect(report.eventsScanned).toBeGreaterThanOrEqual(0);
    expect(Date.parse(report.finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
    expect(await internal.stripe.reconciliation()).toEqual(report);
  });
});
