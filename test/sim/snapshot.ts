// What the invariants read after a step, gathered once per workspace and all workspaces at once:
// the ledger object's answer that its journal reached D1, one D1 batch of the workspace's shard,
// the usage events in the object's own storage, and its credit check. To check something new, add
// its query here and its rule to invariants.ts.
import { runInDurableObject } from 'cloudflare:test';
import { shardD1Of } from '../helpers/ledger_checks';
import { periodStartMs } from './ops/limit_checks';
import { regionalFactsAll, type RegionalFacts } from './regions';
import { ledgerStubOf, type SimWorkspace } from './world';

export interface StoredEvent {
  id: string;
  hourMs: number;
  type: string;
  lineKey: string;
  input: number;
  output: number;
}

export interface SettledLine {
  hourMs: number;
  kind: string;
  lineKey: string;
  count: number;
  input: number;
  output: number;
}

/** A credit block as D1 holds it, with the funding drawn from it. */
export interface BlockRow {
  id: string;
  category: 'paid' | 'promotional';
  amount: number;
  remaining: number;
  funded: number;
  expiresAtMs: number | null;
}

/** What the credit-block invariants read (rules as in test/setup/ledger_invariant.ts). */
export interface BlockFacts {
  /** balances.blocks_ready (1: born with blocks, every debit funded) and the block sum triggers keep. */
  blocksReady: number;
  keptBlocksSum: number;
  blocks: BlockRow[];
  /** Completed debits whose funding does not add up to what they took (-amount; forgiven part aside). */
  misfunded: { id: string; type: string; amount: number; funded: number }[];
  /** Funding rows that name no transaction of the workspace. */
  orphanFunding: { transactionId: string; blockId: string; amount: number }[];
  /** Promotional funding of refunds and disputes (they take paid credit only). */
  promotionalRefunds: { id: string; type: string; blockId: string; amount: number }[];
  /** Every expiration entry's key (expire:<block id>). */
  expirationKeys: string[];
}

/** A hold as the ledger object stores it (closed ones too). */
export interface HoldRow {
  id: string;
  memberId: string | null;
  amountMicros: number;
  status: string;
  capturedMicros: number | null;
  transactionId: string | null;
}

/** What the hold invariants read: the object's active holds, every hold it stores, and its credit summary. */
export interface HoldFacts {
  /** GET …/holds as the object answers it (active holds, after it expired the due ones); null if it failed. */
  active: HoldRow[] | null;
  rows: HoldRow[];
  summary: { balanceMicros: number; accumulatingMicros: number; heldMicros: number } | null;
  /** The members' limits as the object enforces them (null when the simulator set none in the workspace). */
  limits: { memberId: string; limitMicros: number; period: 'day' | 'month'; spentMicros: number; heldMicros: number; remainingMicros: number }[] | null;
  /** Direct debits (deductions and captures: charged plus forgiven) by member and UTC day, since the month's start. */
  memberDebits: { memberId: string; dayMs: number; micros: number }[];
}

export interface WorkspaceSnapshot {
  /** Null when the ledger object projected its journal; else why it could not. */
  projectionFailure: string | null;
  sums: { balance: number; keptSum: number; ledger: number; minBalanceAfter: number; settledThroughMs: number } | null;
  /** Every ledger row's key, id and amount (with its type, status and forgiven part). */
  keys: { key: string; id: string; amountMicros: number; type: string; status: string; forgivenMicros: number }[];
  lines: SettledLine[];
  events: StoredEvent[];
  creditCheckMicros: number | null;
  blockFacts: BlockFacts;
  holdFacts: HoldFacts;
  /** The far regions' objects of the workspace (the regions the run called it from). */
  regional: RegionalFacts[];
  /** Home's last answer to each region's lease exchange (region_leases). */
  leaseAnswers: { region: string; seq: number; leaseMicros: number; grantedMicros: number; otherMicros: number; answeredAtMs: number }[];
  /** Every balance.threshold_crossed event in the outbox, oldest first. */
  thresholdEvents: { id: string; createdAtMs: number; balanceCents: number | null; balanceMicros: number }[];
}

export async function snapshotOf(ws: SimWorkspace): Promise<WorkspaceSnapshot> {
  const stub = ledgerStubOf(ws.workspaceId);
  const projected = await stub.projected();
  const d1 = shardD1Of(ws.workspaceId);
  const [sums, keys, lines, ready, blocks, misfunded, orphans, promotional, expirations, thresholds, debits] = await d1.batch([
    d1
      .prepare(
        `SELECT b.balance_micros AS balance, b.ledger_sum_micros AS keptSum, b.settled_through_ms AS settledThroughMs,
                (SELECT COALESCE(SUM(amount_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS ledger,
                (SELECT COALESCE(MIN(balance_after_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS minBalanceAfter
           FROM balances b WHERE b.workspace_id = ?`,
      )
      .bind(ws.workspaceId),
    d1.prepare('SELECT idempotency_key AS key, id, amount_micros AS amountMicros, type, status, forgiven_micros AS forgivenMicros FROM transactions WHERE workspace_id = ?').bind(ws.workspaceId),
    d1
      .prepare(
        `SELECT hour_ms AS hourMs, kind, line_key AS lineKey, SUM(count) AS count, SUM(input_tokens) AS input, SUM(output_tokens) AS output
           FROM settlement_lines WHERE workspace_id = ? AND kind IN ('model', 'tool', 'charge') GROUP BY hour_ms, kind, line_key`,
      )
      .bind(ws.workspaceId),
    d1.prepare('SELECT blocks_ready AS blocksReady, blocks_sum_micros AS keptBlocksSum FROM balances WHERE workspace_id = ?').bind(ws.workspaceId),
    d1
      .prepare(
        `SELECT k.id, k.category, k.amount_micros AS amount, k.remaining_micros AS remaining, k.expires_at_ms AS expiresAtMs,
                (SELECT COALESCE(SUM(f.amount_micros), 0) FROM credit_funding f WHERE f.block_id = k.id) AS funded
           FROM credit_blocks k WHERE k.workspace_id = ? ORDER BY k.id`,
      )
      .bind(ws.workspaceId),
    // The rule of test/setup/ledger_invariant.ts (misfundedEntries and, blocks_ready 1, unfundedDebits) in one query.
    d1
      .prepare(
        `SELECT t.id, t.type, t.amount_micros AS amount, COALESCE((SELECT SUM(f.amount_micros) FROM credit_funding f WHERE f.transaction_id = t.id), 0) AS funded
           FROM transactions t WHERE t.workspace_id = ? AND t.status = 'completed' AND t.amount_micros < 0
            AND COALESCE((SELECT SUM(f.amount_micros) FROM credit_funding f WHERE f.transaction_id = t.id), 0) <> -t.amount_micros
          LIMIT 5`,
      )
      .bind(ws.workspaceId),
    d1
      .prepare(
        `SELECT f.transaction_id AS transactionId, f.block_id AS blockId, f.amount_micros AS amount FROM credit_funding f
          WHERE f.workspace_id = ? AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = f.transaction_id AND t.workspace_id = f.workspace_id) LIMIT 5`,
      )
      .bind(ws.workspaceId),
    d1
      .prepare(
        `SELECT t.id, t.type, f.block_id AS blockId, f.amount_micros AS amount
           FROM credit_funding f JOIN credit_blocks k ON k.id = f.block_id JOIN transactions t ON t.id = f.transaction_id
          WHERE f.workspace_id = ? AND t.type IN ('refund', 'dispute') AND k.category <> 'paid' LIMIT 5`,
      )
      .bind(ws.workspaceId),
    d1.prepare(`SELECT idempotency_key AS key FROM transactions WHERE workspace_id = ? AND type = 'expiration'`).bind(ws.workspaceId),
    d1.prepare(`SELECT id, data_json AS dataJson, created_at_ms AS createdAtMs FROM platform_events WHERE workspace_id = ? AND type = 'balance.threshold_crossed' ORDER BY created_at_ms, id`).bind(ws.workspaceId),
    d1
      .prepare(
        `SELECT member_id AS memberId, (created_at_ms / 86400000) * 86400000 AS dayMs, SUM(forgiven_micros - amount_micros) AS micros
           FROM transactions WHERE workspace_id = ? AND member_id IS NOT NULL AND type = 'usage' AND status = 'completed'
            AND idempotency_key NOT LIKE 'settle:%' AND created_at_ms >= ? GROUP BY 1, 2`,
      )
      .bind(ws.workspaceId, periodStartMs('month', Date.now())),
  ]);
  // Listing the active holds first expires the due ones: the rows and the summary read after it agree.
  const listed = await stub.listHolds(ws.workspaceId);
  const [events, holdRows, leaseAnswers] = await runInDurableObject(stub, (_instance, state) => [
    state.storage.sql
      .exec<{ id: string; hourMs: number; type: string; lineKey: string; input: number; output: number }>(
        'SELECT event_id AS id, hour_ms AS hourMs, type, line_key AS lineKey, input_tokens AS input, output_tokens AS output FROM usage_events',
      )
      .toArray()
      .map((e) => ({ ...e })),
    holdsTableExists(state.storage.sql)
      ? state.storage.sql
          .exec<Record<string, SqlStorageValue>>(
            'SELECT id, member_id AS memberId, amount_micros AS amountMicros, status, captured_micros AS capturedMicros, transaction_id AS transactionId FROM holds ORDER BY id',
          )
          .toArray()
          .map((h) => ({ ...h }) as unknown as HoldRow)
      : [],
    tableExists(state.storage.sql, 'region_leases')
      ? state.storage.sql
          .exec<{ region: string; answer: string }>('SELECT region, answer FROM region_leases ORDER BY region')
          .toArray()
          .map((r) => ({ ...(JSON.parse(r.answer) as WorkspaceSnapshot['leaseAnswers'][number]), region: r.region }))
      : [],
  ] as const);
  const regional = await regionalFactsAll(ws);
  const check = await stub.creditCheck(ws.workspaceId, 0);
  const summary = await stub.creditSummary(ws.workspaceId);
  const limits = ws.limits.size > 0 ? await stub.spendLimits(ws.workspaceId, null) : null;
  return {
    projectionFailure: projected.ok ? null : projected.message,
    sums: (sums!.results[0] as WorkspaceSnapshot['sums']) ?? null,
    keys: keys!.results as WorkspaceSnapshot['keys'],
    lines: lines!.results as SettledLine[],
    events,
    creditCheckMicros: check.ok ? check.value.balanceMicros : null,
    blockFacts: {
      blocksReady: (ready!.results[0] as { blocksReady: number } | undefined)?.blocksReady ?? 0,
      keptBlocksSum: (ready!.results[0] as { keptBlocksSum: number } | undefined)?.keptBlocksSum ?? 0,
      blocks: blocks!.results as BlockRow[],
      misfunded: misfunded!.results as BlockFacts['misfunded'],
      orphanFunding: orphans!.results as BlockFacts['orphanFunding'],
      promotionalRefunds: promotional!.results as BlockFacts['promotionalRefunds'],
      expirationKeys: (expirations!.results as { key: string }[]).map((r) => r.key),
    },
    holdFacts: {
      active: listed.ok ? listed.value.map((h) => ({ id: h.id, memberId: h.memberId, amountMicros: h.amountMicros, status: h.status, capturedMicros: h.capturedMicros, transactionId: h.transactionId })) : null,
      rows: holdRows,
      summary: summary.ok ? { balanceMicros: summary.value.balanceMicros, accumulatingMicros: summary.value.accumulatingMicros, heldMicros: summary.value.heldMicros } : null,
      limits: limits?.ok ? limits.value : null,
      memberDebits: debits!.results as HoldFacts['memberDebits'],
    },
    regional,
    leaseAnswers: leaseAnswers.map((a) => ({ ...a })),
    thresholdEvents: (thresholds!.results as { id: string; dataJson: string; createdAtMs: number }[]).map((e) => {
      const data = JSON.parse(e.dataJson) as { threshold?: { balanceCents?: number }; balanceMicros?: number };
      return { id: e.id, createdAtMs: e.createdAtMs, balanceCents: data.threshold?.balanceCents ?? null, balanceMicros: data.balanceMicros ?? 0 };
    }),
  };
}

const tableExists = (sql: SqlStorage, name: string) => sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, name).toArray().length > 0;
const holdsTableExists = (sql: SqlStorage) => tableExists(sql, 'holds');

/** Every workspace's snapshot, read at the same time. */
export const snapshotAll = (workspaces: readonly SimWorkspace[]) => Promise.all(workspaces.map(snapshotOf));
