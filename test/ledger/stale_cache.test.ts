import { describe, expect, it, vi } from 'vitest';
import { publicApi } from '../helpers/api';
// Paid credit: the refunds below take paid credit only.
import { answeredDeduction, createWorkspace, grantPaid as grant, unique } from '../helpers/fixtures';
import { ledgerStub, shardD1Of } from '../helpers/ledger_checks';
import { balanceRow, creditCheck, insertBlockFor, insertEntry, ledgerRows } from './ledger_helpers';

const CREDIT = 1_000_000;

/**
 * Another writer moves D1 by `deltaMicros`, keeping D1's own invariants (entry + balance in one
 * batch, and the credit blocks: a credit is a block, a debit is funded by one with enough left).
 */
async function moveBehindItsBack(workspaceId: string, deltaMicros: number, balanceAfterMicros: number) {
  const d1 = shardD1Of(workspaceId);
  const other = insertEntry(workspaceId, { amountMicros: deltaMicros, balanceAfterMicros });
  const blocks =
    deltaMicros > 0
      ? insertBlockFor(workspaceId, other.id, deltaMicros)
      : d1
          .prepare(
            `INSERT INTO credit_funding (transaction_id, block_id, workspace_id, amount_micros, position)
             SELECT ?1, id, ?2, ?3, 0 FROM credit_blocks WHERE workspace_id = ?2 AND remaining_micros >= ?3 ORDER BY remaining_micros LIMIT 1`,
          )
          .bind(other.id, workspaceId, -deltaMicros);
  await d1.batch([other.statement, d1.prepare('UPDATE balances SET balance_micros = balance_micros + ? WHERE workspace_id = ?').bind(deltaMicros, workspaceId), blocks]);
}

/** A refund: an entry that stays D1-durable (its batch's guard is checked before it is answered). */
const refund = (workspaceId: string, amountMicros: number) =>
  ledgerStub(workspaceId).postEntry({ workspaceId, id: unique('refund'), kind: 'refund', amountMicros: -amountMicros, description: 'Refund' });

// The ledger object is meant to be the only writer of a balance; if anything else ever moves D1
// behind a warm object, nothing may land in D1 on the object's stale belief.
describe('a stale balance cache never writes on a wrong basis', () => {
  it('a D1-durable write detects D1 moved behind it, rebuilds, and records the true balance after', async () => {
    const { workspaceId } = await createWorkspace('Stale cache');
    await grant(workspaceId, 10 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT); // warm: cache = 10

    await moveBehindItsBack(workspaceId, 5 * CREDIT, 15 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT); // still the stale cache

    const res = await refund(workspaceId, 3 * CREDIT);
    // Against the stale cache this would claim 7; the guard made it rebuild and write 12.
    expect(res).toMatchObject({ ok: true, value: { balanceAfterMicros: 12 * CREDIT } });
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(12 * CREDIT);
    expect(await balanceRow(workspaceId)).toBe(12 * CREDIT);
  });

  it('a journaled deduction answered on a stale balance never reaches D1 on it: the projection stops loudly until D1 is repaired, then lands once', async () => {
    const { workspaceId, adminKey } = await createWorkspace('Stale cache, journaled deduction');
    await grant(workspaceId, 10 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT);

    // Another writer takes 8 credits away: D1 holds 2, the object (its only writer) believes 10.
    await moveBehindItsBack(workspaceId, -8 * CREDIT, 2 * CREDIT);
    // The object answers on its own balance: the deduction is durable in its journal. (2 credits:
    // what the foreign write left of the credit block it draws on, so that once the balance is
    // repaired its funding fits too.)
    const res = await answeredDeduction(workspaceId, 2 * CREDIT, unique('stale-deduction'));
    expect(res.status).toBe(201);
    expect(res.body.balanceAfterMicros).toBe(8 * CREDIT);

    // Its guard does not hold in D1: nothing is written there, and every reader or D1 writer of the
    // workspace fails loudly instead of acting on a ledger that contradicts the object: the object
    // logs why, and answers them an internal error (as a value: nothing rejects across RPC).
    const logged = vi.spyOn(console, 'error');
    const broken = { ok: false, code: 'internal_error', message: expect.stringMatching(/contradicts/) };
    expect(await ledgerStub(workspaceId).projected()).toEqual(broken);
    expect(logged.mock.calls.some(([line]) => /journal projection contradicts D1.*cannot be projected/.test(String(line)))).toBe(true);
    logged.mockRestore();
    const d1 = shardD1Of(workspaceId);
    expect((await d1.prepare('SELECT balance_micros AS b FROM balances WHERE workspace_id = ?').bind(workspaceId).first<{ b: number }>())?.b).toBe(2 * CREDIT);
    expect(await refund(workspaceId, CREDIT)).toEqual(broken);
    // Through the API: a plain 500, no internals.
    const history = await publicApi('GET', '/v1/billing/credits/history', adminKey);
    expect(history.status).toBe(500);
    expect(history.body.error.code).toBe('internal_error');
    expect(JSON.stringify(history.body)).not.toContain('journal');

    // Repaired (the foreign write compensated, append-only): the journaled deduction lands, once.
    await moveBehindItsBack(workspaceId, 8 * CREDIT, 10 * CREDIT);
    expect(await ledgerStub(workspaceId).projected()).toEqual({ ok: true, replayed: false, value: null });
    expect(await balanceRow(workspaceId)).toBe(8 * CREDIT);
    expect((await ledgerRows(workspaceId)).filter((r) => r.type === 'usage').map((r) => r.balance_after_micros)).toEqual([8 * CREDIT]);
  });

  it('re-decides a D1-durable correction on the true balance: clamps at zero and forgives the rest', async () => {
    const { workspaceId } = await createWorkspace('Stale cache, correction');
    await grant(workspaceId, 10 * CREDIT);
    expect((await creditCheck(workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT);

    // Another writer takes 6 credits away: D1 holds 4, the warm cache still believes 10.
    await moveBehindItsBack(workspaceId, -6 * CREDIT, 4 * CREDIT);

    // A refund of 8: on the stale belief it would apply in full (and fail against D1's CHECK); on
    // the truth it takes the 4 there are and forgives 4.
    const res = await refund(workspaceId, 8 * CREDIT);
    expect(res).toMatchObject({ ok: true, value: { amountMicros: -4 * CREDIT, forgivenMicros: 4 * CREDIT, balanceAfterMicros: 0 } });
  });
});
