// Transaction.actionUrl (contract "Auto-recharge modes"): a pending auto-recharge the bank wants the
// customer to authenticate (3-D Secure) carries the page where they complete it. Every
// auto_recharge transaction carries the field (null unless pending and waiting); other types omit it.
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { autoRechargeActions, transactions } from '../../schema/tables';
import type { TransactionView } from '../ledger/transaction_view';

export async function withActionUrls<T extends TransactionView>(db: DrizzleD1Database, workspaceId: string, views: T[]): Promise<Array<T & { actionUrl?: string | null }>> {
  const waiting = views.filter((v) => v.type === 'auto_recharge' && v.status === 'pending').map((v) => v.id);
  const urls = new Map<string, string>();
  if (waiting.length > 0) {
    const rows = await db
      .select({ transactionId: autoRechargeActions.transactionId, actionUrl: autoRechargeActions.actionUrl })
      .from(autoRechargeActions)
      .where(and(eq(autoRechargeActions.workspaceId, workspaceId), inArray(autoRechargeActions.transactionId, waiting)));
    for (const r of rows) urls.set(r.transactionId, r.actionUrl);
  }
  return views.map((v) => (v.type === 'auto_recharge' ? { ...v, actionUrl: v.status === 'pending' ? (urls.get(v.id) ?? null) : null } : v));
}

/** The newest auto-recharge still waiting for the customer's authentication (the dashboard's banner). */
export async function waitingAuthentication(db: DrizzleD1Database, workspaceId: string): Promise<{ transactionId: string; actionUrl: string } | null> {
  const row = await db
    .select({ transactionId: autoRechargeActions.transactionId, actionUrl: autoRechargeActions.actionUrl })
    .from(autoRechargeActions)
    .innerJoin(transactions, eq(transactions.id, autoRechargeActions.transactionId))
    .where(and(eq(autoRechargeActions.workspaceId, workspaceId), eq(transactions.status, 'pending')))
    .orderBy(desc(autoRechargeActions.createdAtMs))
    .get();
  return row ?? null;
}
