import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace, deduct, grant } from '../helpers/fixtures';
import { shardD1Of } from '../helpers/ledger_checks';
import { creditCheck, insertEntry } from './ledger_helpers';

const CREDIT = 1_000_000;

// The ledger object is meant to be the only writer of a balance; if anything else ever moves D1
// behind a warm object, the object's next write must not land on its stale belief.
describe('a stale balance cache never writes on a wrong basis', () => {
  it('detects D1 moved behind it, rebuilds, and records the true balance after', async () => {
    const { workspaceId } = await createWorkspace('Stale cache');
    await grant(workspaceId, 10 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT); // warm: cache = 10

    // Another writer adds 5 credits, keeping D1's own invariant (entry + balance in one batch).
    const other = insertEntry(workspaceId, { amountMicros: 5 * CREDIT, balanceAfterMicros: 15 * CREDIT });
    await shardD1Of(workspaceId).batch([
      other.statement,
      shardD1Of(workspaceId).prepare('UPDATE balances SET balance_micros = balance_micros + ? WHERE workspace_id = ?').bind(5 * CREDIT, workspaceId),
    ]);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT); // still the stale cache

    const res = await deduct(workspaceId, 3 * CREDIT);
    expect(res.status).toBe(201);
    // Against the stale cache this would claim 7; the guard made it rebuild and write 12.
    expect(res.body.balanceAfterMicros).toBe(12 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(12 * CREDIT);
    const row = await shardD1Of(workspaceId).prepare('SELECT balance_micros AS b FROM balances WHERE workspace_id = ?').bind(workspaceId).first<{ b: number }>();
    expect(row?.b).toBe(12 * CREDIT);
  });

  it('refuses a deduction that only the stale cache could cover', async () => {
    const { workspaceId } = await createWorkspace('Stale cache, less money');
    await grant(workspaceId, 10 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT);

    // Another writer takes 8 credits away.
    const other = insertEntry(workspaceId, { amountMicros: -8 * CREDIT, balanceAfterMicros: 2 * CREDIT });
    await shardD1Of(workspaceId).batch([
      other.statement,
      shardD1Of(workspaceId).prepare('UPDATE balances SET balance_micros = balance_micros - ? WHERE workspace_id = ?').bind(8 * CREDIT, workspaceId),
    ]);

    const res = await deduct(workspaceId, 5 * CREDIT);
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('insufficient_credits');
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(2 * CREDIT);
  });

  it('re-decides a correction on the true balance: clamps at zero and forgives the rest', async () => {
    const { workspaceId } = await createWorkspace('Stale cache, correction');
    await grant(workspaceId, 10 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT);

    // Another writer takes 6 credits away: D1 holds 4, the warm cache still believes 10.
    const other = insertEntry(workspaceId, { amountMicros: -6 * CREDIT, balanceAfterMicros: 4 * CREDIT });
    await shardD1Of(workspaceId).batch([
      other.statement,
      shardD1Of(workspaceId).prepare('UPDATE balances SET balance_micros = balance_micros - ? WHERE workspace_id = ?').bind(6 * CREDIT, workspaceId),
    ]);

    // A correction of -8: on the stale belief it would apply in full (and fail against D1's CHECK);
    // on the truth it takes the 4 there are and forgives 4.
    const res = await internal('POST', '/internal/v1/adjustments', { id: 'stale-correction', workspaceId, amountMicros: -8 * CREDIT, description: 'Correction' });
    expect(res.status).toBe(201);
    expect(res.body.amountMicros).toBe(-4 * CREDIT);
    expect(res.body.forgivenMicros).toBe(4 * CREDIT);
    expect(res.body.balanceAfterMicros).toBe(0);
  });
});
