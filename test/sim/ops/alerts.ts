// Alerts (docs/alerts.md): balance thresholds set through PUT /v1/billing/alerts (admin key), a few
// dollars around the balance so that the following steps cross them both ways. Which thresholds the
// simulator set, and whether each is armed (set above the balance, or the balance seen back at or
// above it since it fired), is what `threshold_once_per_crossing` checks the outbox against.
import { publicApi } from '../../helpers/api';
import { ledgerStubOf } from '../world';
import type { SimOp } from './op';

/** The balance the alerts watch: the unspent credit less the open hour's usage, holds aside. */
async function alertBalanceMicros(workspaceId: string): Promise<number | null> {
  const summary = await ledgerStubOf(workspaceId).creditSummary(workspaceId);
  // The blocks' remainders are the balance (credit_blocks_add_up).
  return summary.ok ? Math.max(0, summary.value.paidMicros + summary.value.promotionalMicros - summary.value.accumulatingMicros) : null;
}

export const alertOps: SimOp[] = [
  {
    name: 'set_alerts',
    weight: (w) => (w.workspaces.length > 0 ? 2 : 0),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const before = await alertBalanceMicros(ws.workspaceId);
      const centsNow = before === null ? 1_000 : Math.floor(before / 10_000);
      const count = w.rng.int(0, 3);
      const wanted = new Set<number>();
      // Kept ones keep their state; new ones around the balance (some already passed: set, not announced).
      const kept = ws.alerts ? [...ws.alerts.keys()].filter(() => w.rng.chance(0.5)) : [];
      for (const c of kept) wanted.add(c);
      for (let i = 0; i < count; i++) wanted.add(Math.max(0, centsNow + w.rng.int(-800, 800)));
      const thresholds = [...wanted].slice(0, 5).map((balanceCents) => ({ balanceCents }));
      const res = await publicApi('PUT', '/v1/billing/alerts', ws.adminKey, { thresholds, terminationWarningMinutes: 60, emailAdmins: false });
      w.note('set_alerts', `ws${ws.index} ${thresholds.map((t) => `${t.balanceCents}¢`).join(', ') || 'none'} (balance ${before}) → ${res.status}`);
      if (!w.expectStatus('set alerts', res.status, [200], res.body)) {
        // A 5xx leaves it open which settings hold: not checked until the next one answers.
        if (res.status >= 500) ws.alerts = null;
        return;
      }
      // Armed as the object decided at this instant: kept ones as they were, new ones if not already passed.
      const spendable = await alertBalanceMicros(ws.workspaceId);
      const previous = ws.alerts;
      // A kept threshold whose state the simulator lost (an earlier 5xx) counts as armed: the check stays sound.
      // A new one is armed by the balance before the call too: the object judges it against the balance
      // it holds when it saves, and a block expiry that was due (its alarm late: the simulator's doing)
      // is applied by the enforcement right after, in the same call, and may cross it (seed 23 at 60 %
      // far calls, step 343; and the 4-seed soak's seed 4 of 7 December, never replayed then).
      const armedBy = (micros: number | null, cents: number) => micros === null || micros >= cents * 10_000;
      ws.alerts = new Map(
        thresholds.map((t) => [t.balanceCents, previous?.has(t.balanceCents) ? previous.get(t.balanceCents)! : !previous || armedBy(spendable, t.balanceCents) || (before !== null && before >= t.balanceCents * 10_000)]),
      );
    },
  },
];
