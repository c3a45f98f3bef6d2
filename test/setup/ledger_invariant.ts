import { env } from 'cloudflare:workers';
import { listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { afterAll, expect } from 'vitest';
import { MAX_BALANCE_MICROS } from '../../workers/lib/money';
import { shardD1 } from '../../workers/storage/databases';

interface LedgerStats {
  workspaceId: string;
  balanceMicros: number | null;
  keptSumMicros: number | null;
  ledgerSumMicros: number;
  creditedMicros: number;
  maxBalanceAfterMicros: number;
}

// After every test file: for each workspace of the directory, in the ledger shard the directory
// records for it, the balance row equals the sum of its completed ledger entries, and no balance is
// negative. Every balance and every ledger sum is also a safe integer no larger than the balance
// cap: past 2^53 a JavaScript number silently rounds, so a sum that is not safe could "equal" a
// balance it differs from. A file that breaks the ledger, in any shard, fails here.
afterAll(async () => {
  const { results: workspaces } = await env.DB.prepare('SELECT id, shard FROM workspaces').all<{ id: string; shard: string }>();
  // Deductions and adjustments are durable in each workspace's ledger object first and reach D1
  // behind their answers (workers/ledger/writes/entry_journal.ts): D1 is read once every object projected.
  for (let i = 0; i < workspaces.length; i += 20) {
    const results = await Promise.all(workspaces.slice(i, i + 20).map((w) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(w.id)).projected()));
    for (const result of results) expect(result).toMatchObject({ ok: true });
  }
  const byShard = new Map<string, string[]>();
  for (const w of workspaces) byShard.set(w.shard, [...(byShard.get(w.shard) ?? []), w.id]);
  const rows: LedgerStats[] = [];
  for (const [shard, ids] of byShard) {
    const { results } = await shardD1(env, shard)
      .prepare(
        `SELECT w.value AS workspaceId,
                b.balance_micros AS balanceMicros,
                b.ledger_sum_micros AS keptSumMicros,
                (SELECT COALESCE(SUM(t.amount_micros), 0) FROM transactions t
                  WHERE t.workspace_id = w.value AND t.status = 'completed') AS ledgerSumMicros,
                (SELECT COALESCE(SUM(t.amount_micros), 0) FROM transactions t
                  WHERE t.workspace_id = w.value AND t.status = 'completed' AND t.amount_micros > 0) AS creditedMicros,
                (SELECT COALESCE(MAX(t.balance_after_micros), 0) FROM transactions t
                  WHERE t.workspace_id = w.value AND t.status = 'completed') AS maxBalanceAfterMicros
           FROM json_each(?) w LEFT JOIN balances b ON b.workspace_id = w.value`,
      )
      .bind(JSON.stringify(ids))
      .all<LedgerStats>();
    rows.push(...results);
  }
  expect(rows.length, 'every workspace of the directory was checked').toBe(workspaces.length);
  await expectBlockInvariant(byShard);
  await expectLeaseInvariant();
  for (const row of rows) {
    const ws = row.workspaceId;
    expect(row.balanceMicros, `balance row of ${ws}`).not.toBeNull();
    for (const [name, value] of [
      ['balance', row.balanceMicros],
      ['ledger sum', row.ledgerSumMicros],
      ['sum of credits', row.creditedMicros],
      ['largest balance after an entry', row.maxBalanceAfterMicros],
    ] as const) {
      expect(Number.isSafeInteger(value), `${name} of ${ws} is a safe integer (${value})`).toBe(true);
    }
    expect(row.balanceMicros, `balance of ${ws} equals its ledger`).toBe(row.ledgerSumMicros);
    // The sum the shard's triggers keep (what the ledger object checks on every load) is the real one.
    expect(row.keptSumMicros, `kept ledger sum of ${ws} equals its ledger`).toBe(row.ledgerSumMicros);
    expect(row.balanceMicros!, `balance of ${ws}`).toBeGreaterThanOrEqual(0);
    expect(row.balanceMicros!, `balance of ${ws} is within the cap`).toBeLessThanOrEqual(MAX_BALANCE_MICROS);
    expect(row.maxBalanceAfterMicros, `every balance after an entry of ${ws} is within the cap`).toBeLessThanOrEqual(MAX_BALANCE_MICROS);
  }
});

interface BlockStats {
  workspaceId: string;
  balanceMicros: number;
  blocksReady: number;
  keptBlocksSumMicros: number;
  remainingSumMicros: number;
  /** Blocks whose remainder is not their amount less every funding row drawn from them. */
  driftedBlocks: number;
  /** Entries whose funding rows do not add up to what they took. */
  misfundedEntries: number;
  /** Completed debits with no funding at all. */
  unfundedDebits: number;
}

// The credit-block invariant beside the balance one (workers/ledger/rules/blocks/): each block's remainder
// is its amount less all funding drawn from it; once a workspace's credit is in blocks, the
// remainders (and the sum triggers keep) equal its balance; every debit's funding adds up to what it
// took (forgiven part aside), and a workspace born with blocks has no debit without funding
// (blocks_ready 1; 2 is a workspace whose blocks the migration made, whose older debits have none).
async function expectBlockInvariant(byShard: Map<string, string[]>) {
  for (const [shard, ids] of byShard) {
    const { results } = await shardD1(env, shard)
      .prepare(
        `SELECT w.value AS workspaceId, b.balance_micros AS balanceMicros, b.blocks_ready AS blocksReady,
                b.blocks_sum_micros AS keptBlocksSumMicros,
                (SELECT COALESCE(SUM(k.remaining_micros), 0) FROM credit_blocks k WHERE k.workspace_id = w.value) AS remainingSumMicros,
                (SELECT COUNT(*) FROM credit_blocks k WHERE k.workspace_id = w.value
                    AND k.remaining_micros <> k.amount_micros - (SELECT COALESCE(SUM(f.amount_micros), 0) FROM credit_funding f WHERE f.block_id = k.id)) AS driftedBlocks,
                (SELECT COUNT(*) FROM transactions t WHERE t.workspace_id = w.value AND t.status = 'completed' AND t.amount_micros < 0
                    AND EXISTS (SELECT 1 FROM credit_funding f WHERE f.transaction_id = t.id)
                    AND (SELECT SUM(f.amount_micros) FROM credit_funding f WHERE f.transaction_id = t.id) <> -t.amount_micros) AS misfundedEntries,
                (SELECT COUNT(*) FROM transactions t WHERE t.workspace_id = w.value AND t.status = 'completed' AND t.amount_micros < 0
                    AND NOT EXISTS (SELECT 1 FROM credit_funding f WHERE f.transaction_id = t.id)) AS unfundedDebits
           FROM json_each(?) w JOIN balances b ON b.workspace_id = w.value`,
      )
      .bind(JSON.stringify(ids))
      .all<BlockStats>();
    for (const row of results) {
      const ws = row.workspaceId;
      expect(row.driftedBlocks, `every block of ${ws}: remainder = amount - funding`).toBe(0);
      expect(row.misfundedEntries, `every debit of ${ws}: funding adds up to what it took`).toBe(0);
      if (row.blocksReady === 0) continue;
      // Born with blocks (1), every debit is funded; made by the migration (2), earlier debits are not.
      if (row.blocksReady === 1) expect(row.unfundedDebits, `every debit of ${ws} is funded by blocks`).toBe(0);
      expect(row.remainingSumMicros, `the blocks of ${ws} add up to its balance`).toBe(row.balanceMicros);
      expect(row.keptBlocksSumMicros, `the kept block sum of ${ws} is the real one`).toBe(row.remainingSumMicros);
    }
  }
}

// Escrow leases (workers/regions/): no region ever decided beyond its lease (its open holds and the
// spends it has not reported yet fit in it), and every credit a region may spend is reserved at
// home by the region's lease hold (home's lease is never smaller than the region's), so no credit
// is spendable twice. The balance itself is checked above: the sum of completed entries.
async function expectLeaseInvariant() {
  for (const id of await listDurableObjectIds(env.REGIONAL_LEDGER)) {
    const lease = await env.REGIONAL_LEDGER.get(id).leaseState();
    if (!lease.workspaceId || !lease.region) continue;
    const where = `${lease.workspaceId} in ${lease.region}`;
    expect(lease.leaseMicros, `the lease of ${where} covers its open holds and unreported spends`).toBeGreaterThanOrEqual(lease.heldMicros + lease.unreportedMicros);
    const home = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(lease.workspaceId));
    const leasedAtHome = await runInDurableObject(home, (_instance, state) => {
      const row = state.storage.sql.exec<{ a: number }>(`SELECT amount_micros AS a FROM holds WHERE id = ? AND status = 'held'`, `#lease:${lease.region}`).toArray()[0];
      return row?.a ?? 0;
    });
    expect(leasedAtHome, `home reserves at least the lease of ${where}`).toBeGreaterThanOrEqual(lease.leaseMicros);
  }
}
