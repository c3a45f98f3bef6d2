// Blocks and funding as constant SQL, one statement each for any number of rows (the rows travel as
// one JSON parameter, so D1's 100-bound-parameter limit never splits them): a settled hour drawing on
// a hundred blocks writes one funding statement, as one drawing on one block does.
import type { PlainStatement } from '../../writes/group_batch';
import type { CreditBlock, FundingLine } from './credit_block';

const INSERT_BLOCKS_SQL = `
  INSERT INTO credit_blocks (id, workspace_id, category, source, transaction_id, amount_micros, remaining_micros, priority,
                             expires_at_ms, created_at_ms, grant_id)
  SELECT e.value ->> 0, ?1, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, e.value ->> 4, e.value ->> 5,
         e.value ->> 6, e.value ->> 7, e.value ->> 8
    FROM json_each(?2) AS e`;

/** New blocks, whole (remaining = amount: a trigger refuses anything else). */
export function insertBlocks(workspaceId: string, blocks: readonly CreditBlock[]): PlainStatement {
  const packed = JSON.stringify(
    blocks.map((b) => [b.id, b.category, b.source, b.transactionId, b.remainingMicros, b.priority, b.expiresAtMs, b.createdAtMs, b.grantId]),
  );
  return { sql: INSERT_BLOCKS_SQL, params: [workspaceId, packed] };
}

const INSERT_FUNDING_SQL = `
  INSERT INTO credit_funding (transaction_id, block_id, workspace_id, amount_micros, position)
  SELECT e.value ->> 0, e.value ->> 1, ?1, e.value ->> 2, e.value ->> 3
    FROM json_each(?2) AS e`;

export interface EntryFunding {
  transactionId: string;
  lines: readonly FundingLine[];
}

/** Funding rows per statement: about 80 bytes of JSON each, well inside D1's 100 KB per statement. */
const FUNDING_ROWS_PER_STATEMENT = 800;

/**
 * The funding of any number of entries; triggers move each block's remainder (and refuse
 * overdrafts). One statement up to 800 rows (a settled hour drawing on a hundred blocks, or a
 * group of fifty deductions), more only beyond.
 */
export function insertFunding(workspaceId: string, entries: readonly EntryFunding[]): PlainStatement[] {
  const rows = entries.flatMap((e) => e.lines.map((l, i) => [e.transactionId, l.blockId, l.amountMicros, i]));
  const statements: PlainStatement[] = [];
  for (let i = 0; i < rows.length; i += FUNDING_ROWS_PER_STATEMENT) {
    statements.push({ sql: INSERT_FUNDING_SQL, params: [workspaceId, JSON.stringify(rows.slice(i, i + FUNDING_ROWS_PER_STATEMENT))] });
  }
  return statements;
}

/** A block row as D1 holds it, read with the column aliases below. */
export const BLOCK_COLUMNS = `id, category, source, transaction_id AS transactionId, amount_micros AS amountMicros,
  remaining_micros AS remainingMicros, priority, expires_at_ms AS expiresAtMs, created_at_ms AS createdAtMs, grant_id AS grantId`;

/** The workspace's open blocks (what the ledger object loads). */
export const OPEN_BLOCKS_SQL = `SELECT ${BLOCK_COLUMNS} FROM credit_blocks WHERE workspace_id = ?1 AND remaining_micros > 0`;
