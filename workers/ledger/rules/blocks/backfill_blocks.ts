// Workspaces that existed before credit blocks (shard migration 0003 marks them with
// blocks_ready = 0) get their blocks here, once, when their ledger object first loads (after its
// journal reached D1): the
// workspace's completed entries are replayed in ledger order under the rules blocks follow now.
//
// - Every completed deposit, auto-recharge and reinstated dispute was paid credit; every positive
//   adjustment promotional credit. All of them had priority 50 and no expiry, so the burn-down
//   order among them is: promotional credit oldest first, then paid credit oldest first.
// - Usage, deductions and negative adjustments draw in that order; refunds and withdrawn disputes
//   draw paid credit only (oldest first: the ledger does not say which deposit a past refund was
//   for), and promotional credit only if no paid credit is left (the refund was taken then).
//
// What each credit still holds at the end becomes one block: its entry's id, source and creation
// time, amount = that remainder (past debits have no funding rows; a block starts whole), priority 50,
// never expiring. The remainders add up to the balance (every prefix of the ledger is >= 0), which is
// checked before anything is written; the blocks and the ready flag are written in one batch,
// guarded by the balance it was computed for.
import { newOrderedId } from '../../../lib/ids';
import { LedgerInvariantError } from '../../state/ledger_state';
import { DEFAULT_PRIORITY, type CreditBlock, type CreditSource } from './credit_block';

const PAGE_ROWS = 500;
/** Blocks per INSERT: D1 takes at most 100 KB per statement (a block is about 150 bytes of JSON). */
const BLOCKS_PER_STATEMENT = 300;

interface EntryRow {
  seq: number;
  id: string;
  type: string;
  amountMicros: number;
  createdAtMs: number;
}

/** A FIFO of credits of one category, each with what is left of it. */
class CreditQueue {
  readonly items: CreditBlock[] = [];
  private head = 0;

  push(block: CreditBlock) {
    this.items.push(block);
  }

  /** Takes up to `micros`, oldest first; answers what it took. */
  take(micros: number): number {
    let taken = 0;
    while (taken < micros && this.head < this.items.length) {
      const block = this.items[this.head]!;
      const part = Math.min(micros - taken, block.remainingMicros);
      block.remainingMicros -= part;
      taken += part;
      if (block.remainingMicros === 0) this.head++;
    }
    return taken;
  }

  get open(): CreditBlock[] {
    return this.items.slice(this.head).filter((b) => b.remainingMicros > 0);
  }
}

/** The blocks a workspace's ledger holds today, replayed from its entries (see above). */
export async function replayBlocks(d1: D1Database, workspaceId: string): Promise<CreditBlock[]> {
  const paid = new CreditQueue();
  const promotional = new CreditQueue();
  let afterSeq = 0;
  for (;;) {
    const { results } = await d1
      .prepare(
        `SELECT seq, id, type, amount_micros AS amountMicros, created_at_ms AS createdAtMs FROM transactions
          WHERE workspace_id = ?1 AND status = 'completed' AND seq > ?2 ORDER BY seq LIMIT ${PAGE_ROWS}`,
      )
      .bind(workspaceId, afterSeq)
      .all<EntryRow>();
    for (const entry of results) {
      if (entry.amountMicros > 0) {
        const isPaid = entry.type === 'deposit' || entry.type === 'auto_recharge' || entry.type === 'dispute';
        const source: CreditSource = entry.type === 'auto_recharge' ? 'auto_recharge' : isPaid ? 'deposit' : entry.type === 'grant' ? 'grant' : 'adjustment';
        (isPaid ? paid : promotional).push({
          id: newOrderedId('blk', entry.createdAtMs),
          category: isPaid ? 'paid' : 'promotional',
          source,
          transactionId: entry.id,
          amountMicros: entry.amountMicros,
          remainingMicros: entry.amountMicros,
          priority: DEFAULT_PRIORITY,
          expiresAtMs: null,
          createdAtMs: entry.createdAtMs,
          grantId: null,
        });
      } else if (entry.amountMicros < 0) {
        const need = -entry.amountMicros;
        const paidOnly = entry.type === 'refund' || entry.type === 'dispute';
        const [first, second] = paidOnly ? [paid, promotional] : [promotional, paid];
        const taken = first.take(need);
        const rest = taken < need ? second.take(need - taken) : 0;
        if (taken + rest !== need) throw new LedgerInvariantError(`credit blocks of ${workspaceId}: entry ${entry.id} took more than the ledger held before it`);
      }
    }
    if (results.length < PAGE_ROWS) break;
    afterSeq = results[results.length - 1]!.seq;
  }
  return [...promotional.open, ...paid.open].map((b) => ({ ...b, amountMicros: b.remainingMicros }));
}

/**
 * Makes the workspace's blocks if migration 0003 left it without (blocks_ready = 0); a no-op
 * otherwise. Sets blocks_ready = 2: ready, by this replay (its earlier debits have no funding rows). Throws (writing nothing) when the replay does not add up to the balance.
 */
export async function backfillBlocks(d1: D1Database, workspaceId: string): Promise<void> {
  const head = await d1
    .prepare('SELECT balance_micros AS balanceMicros, blocks_ready AS blocksReady FROM balances WHERE workspace_id = ?1')
    .bind(workspaceId)
    .first<{ balanceMicros: number; blocksReady: number }>();
  if (!head || head.blocksReady !== 0) return;
  const blocks = await replayBlocks(d1, workspaceId);
  const sum = blocks.reduce((s, b) => s + b.remainingMicros, 0);
  if (sum !== head.balanceMicros) throw new LedgerInvariantError(`credit blocks of ${workspaceId}: the replay holds ${sum} micros, the balance ${head.balanceMicros}`);
  // Each INSERT only onto exactly the blocks this batch wrote before it (none at first): a workspace
  // that has blocks already is never given a second set.
  const guard = `(SELECT blocks_ready = 0 AND balance_micros = ?3 AND blocks_sum_micros = ?4 FROM balances WHERE workspace_id = ?1)`;
  const statements: D1PreparedStatement[] = [];
  let writtenMicros = 0;
  for (let i = 0; i < blocks.length; i += BLOCKS_PER_STATEMENT) {
    const chunk = blocks.slice(i, i + BLOCKS_PER_STATEMENT);
    const packed = JSON.stringify(chunk.map((b) => [b.id, b.category, b.source, b.transactionId, b.amountMicros, b.priority, b.createdAtMs]));
    const before = writtenMicros;
    writtenMicros += chunk.reduce((s, b) => s + b.amountMicros, 0);
    statements.push(
      d1
        .prepare(
          `INSERT INTO credit_blocks (id, workspace_id, category, source, transaction_id, amount_micros, remaining_micros, priority, expires_at_ms, created_at_ms, grant_id)
           SELECT e.value ->> 0, ?1, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, e.value ->> 4, e.value ->> 5, NULL, e.value ->> 6, NULL
             FROM json_each(?2) AS e WHERE ${guard}`,
        )
        .bind(workspaceId, packed, head.balanceMicros, before),
    );
  }
  // Ready only if the blocks now add up to the balance (the triggers kept blocks_sum_micros).
  statements.push(
    d1
      .prepare('UPDATE balances SET blocks_ready = 2 WHERE workspace_id = ?1 AND blocks_ready = 0 AND balance_micros = ?2 AND blocks_sum_micros = balance_micros')
      .bind(workspaceId, head.balanceMicros),
  );
  await d1.batch(statements);
}
