import { and, eq } from 'drizzle-orm';
import { checkoutSessions, transactions } from '../../schema/tables';
import type { Env } from '../env';
import { directoryDb, ledgerDbOf } from '../storage/databases';

// A Checkout deposit is two rows in two databases: the session's mapping in the directory (found by
// session id, whoever asks) and the pending-then-settled entry in the workspace's ledger shard,
// joined by the deposit's ledger key. Both lookups are scoped to the workspace.

/** The Checkout deposit that the ledger entry `transactionId` is, with its session; undefined otherwise. */
export async function checkoutDepositOfTransaction(env: Env, workspaceId: string, transactionId: string) {
  const entry = await (await ledgerDbOf(env, workspaceId))
    .select({ key: transactions.idempotencyKey, status: transactions.status })
    .from(transactions)
    .where(and(eq(transactions.id, transactionId), eq(transactions.workspaceId, workspaceId)))
    .get();
  if (!entry) return undefined;
  const session = await directoryDb(env)
    .select({ sessionId: checkoutSessions.sessionId })
    .from(checkoutSessions)
    .where(and(eq(checkoutSessions.workspaceId, workspaceId), eq(checkoutSessions.transactionKey, entry.key)))
    .get();
  return session ? { sessionId: session.sessionId, status: entry.status } : undefined;
}

/** The ledger entry of the Checkout Session `sessionId` of this workspace; undefined otherwise. */
export async function depositOfCheckoutSession(env: Env, workspaceId: string, sessionId: string) {
  const session = await directoryDb(env)
    .select({ key: checkoutSessions.transactionKey })
    .from(checkoutSessions)
    .where(and(eq(checkoutSessions.sessionId, sessionId), eq(checkoutSessions.workspaceId, workspaceId)))
    .get();
  if (!session) return undefined;
  return (await ledgerDbOf(env, workspaceId))
    .select()
    .from(transactions)
    .where(and(eq(transactions.workspaceId, workspaceId), eq(transactions.idempotencyKey, session.key)))
    .get();
}
