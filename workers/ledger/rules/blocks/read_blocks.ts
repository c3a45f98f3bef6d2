// Blocks read from D1 (the ledger object holds the open ones; these are for the rest).
import { BLOCK_COLUMNS } from './block_statements';
import type { CreditBlock } from './credit_block';

/** A grant's block, open or spent (null: no such grant in the workspace). */
export async function readGrantBlock(d1: D1Database, workspaceId: string, grantId: string): Promise<CreditBlock | null> {
  return d1.prepare(`SELECT ${BLOCK_COLUMNS} FROM credit_blocks WHERE workspace_id = ?1 AND grant_id = ?2`).bind(workspaceId, grantId).first<CreditBlock>();
}

export interface FundingView {
  blockId: string;
  category: CreditBlock['category'];
  amountMicros: number;
}

/** Which blocks paid for an entry, in the order they were drawn. */
export async function readFunding(d1: D1Database, workspaceId: string, transactionId: string): Promise<FundingView[]> {
  const { results } = await d1
    .prepare(
      `SELECT f.block_id AS blockId, b.category AS category, f.amount_micros AS amountMicros
         FROM credit_funding f JOIN credit_blocks b ON b.id = f.block_id
        WHERE f.transaction_id = ?1 AND f.workspace_id = ?2 ORDER BY f.position`,
    )
    .bind(transactionId, workspaceId)
    .all<FundingView>();
  return results;
}
