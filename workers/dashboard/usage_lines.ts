import { readTransactionLines, type TransactionLine } from '../billing/read_transaction';
import type { Env } from '../env';

// The lines of settled `usage` transactions, as GET /v1/billing/transactions/:id carries them
// (amounts signed like the transaction, so that they sum to its amountMicros). The history shows
// them under each row.

export type UsageLine = Pick<TransactionLine, 'kind' | 'description' | 'quantity' | 'unit' | 'amountMicros'>;

export type UsageLinesReader = (env: Env, workspaceId: string, transactionIds: string[]) => Promise<Map<string, UsageLine[]>>;

export const readUsageLines: UsageLinesReader = readTransactionLines;
