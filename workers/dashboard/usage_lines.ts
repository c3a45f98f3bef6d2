import { readTransactionLines, toTransactionLines, type TransactionLine } from '../billing/read_transaction';
import { ledgerFor } from '../ledger/ledger_stub';
import type { Env } from '../env';

// The lines of settled `usage` transactions, as GET /v1/billing/transactions/:id carries them
// (amounts signed like the transaction, so that they sum to its amountMicros). The history shows
// them under each row.

export type UsageLine = Pick<TransactionLine, 'kind' | 'description' | 'quantity' | 'unit' | 'amountMicros'>;

export type UsageLinesReader = (env: Env, workspaceId: string, transactionIds: string[]) => Promise<Map<string, UsageLine[]>>;

export const readUsageLines: UsageLinesReader = readTransactionLines;

/** The open hours' usage so far, priced per line by the workspace's ledger object (the accumulating row). */
export async function readOpenUsageLines(env: Env, workspaceId: string): Promise<UsageLine[]> {
  const open = await ledgerFor(env, workspaceId).openLines(workspaceId);
  return open.ok ? toTransactionLines(open.value) : [];
}
