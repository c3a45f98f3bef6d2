import type { Env } from '../env';

// The lines of a settled `usage` transaction, as GET /v1/billing/transactions/:id will carry them
// (`lines: [{ kind, description, quantity, unit, amountMicros }]`, amounts signed like the
// transaction so that they sum to its amountMicros). The history shows them under the row.
//
// INTEGRATION POINT: that endpoint's lines are being built on another branch (workers/usage,
// workers/ledger). Until it is merged this reader knows no lines, and the history shows none;
// the integrator replaces `readUsageLines` with the real reader (one D1 query for the page's ids).

export interface UsageLine {
  kind: string;
  description: string;
  quantity: number;
  unit: string;
  amountMicros: number;
}

export type UsageLinesReader = (env: Env, workspaceId: string, transactionIds: string[]) => Promise<Map<string, UsageLine[]>>;

export const readUsageLines: UsageLinesReader = async () => new Map();
