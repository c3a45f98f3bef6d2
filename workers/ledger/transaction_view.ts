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

/** The last instant formatted: the entries of a group share theirs, and are answered one after another. */
let lastIso = { ms: Number.NaN, text: '' };
const isoOf = (ms: number): string => {
  if (lastIso.ms !== ms) lastIso = { ms, text: iso(ms) };
  return lastIso.text;
};

export function toTransactionView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    createdAt: isoOf(row.createdAtMs),
    type: row.type,
    description: row.description,
    amountMicros: row.amountMicros,
    status: row.status,
    invoiceUrl: row.invoiceUrl,
    balanceAfterMicros: row.balanceAfterMicros,
    forgivenMicros: row.forgivenMicros,
  };
}
