// A credit block as the ledger object holds it, and as the API shows it (CONTRACT.md, CreditBlock).
import type { creditCategories, creditSources } from '../../../../schema/tables';
import { iso } from '../../../lib/time';

export type CreditCategory = (typeof creditCategories)[number];
export type CreditSource = (typeof creditSources)[number];

/** Every block carries these; deposits, positive adjustments and reinstated disputes take the defaults. */
export const DEFAULT_PRIORITY = 50;

export interface CreditBlock {
  id: string;
  category: CreditCategory;
  source: CreditSource;
  /** The ledger entry that brought the credit in. */
  transactionId: string;
  amountMicros: number;
  /** What is left: amountMicros less every funding row drawn from the block (kept so by D1's triggers). */
  remainingMicros: number;
  /** 0–100, lower is spent first. */
  priority: number;
  expiresAtMs: number | null;
  createdAtMs: number;
  /** A grant's id as the caller chose it; null for other blocks. */
  grantId: string | null;
}

/** One block's part in paying for a debit. */
export interface FundingLine {
  blockId: string;
  category: CreditCategory;
  amountMicros: number;
}

export interface CreditBlockView {
  id: string;
  category: CreditCategory;
  source: CreditSource;
  transactionId: string;
  amountMicros: number;
  remainingMicros: number;
  priority: number;
  expiresAt: string | null;
  createdAt: string;
}

export function toCreditBlockView(block: CreditBlock): CreditBlockView {
  return {
    id: block.id,
    category: block.category,
    source: block.source,
    transactionId: block.transactionId,
    amountMicros: block.amountMicros,
    remainingMicros: block.remainingMicros,
    priority: block.priority,
    expiresAt: block.expiresAtMs === null ? null : iso(block.expiresAtMs),
    createdAt: iso(block.createdAtMs),
  };
}
