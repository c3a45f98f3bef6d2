import type { transactions } from '../../schema/tables';
import { iso } from '../lib/time';

export type TransactionRow = typeof transactions.$inferSelect;

export interface TransactionView {
  id: string;
  createdAt: string;
  type: TransactionRow['type'];
  description: string;
  amountMicros: number;
  status: TransactionRow['status'];
  invoiceUrl: string | null;
  balanceAfterMicros: number | null;
  forgivenMicros: number;
}

export function toTransactionView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    createdAt: iso(row.createdAtMs),
    type: row.type,
    description: row.description,
    amountMicros: row.amountMicros,
    status: row.status,
    invoiceUrl: row.invoiceUrl,
    balanceAfterMicros: row.balanceAfterMicros,
    forgivenMicros: row.forgivenMicros,
  };
}
