import { and, eq } from 'drizzle-orm';
import { transactions } from '../../schema/tables';
import type { Env } from '../env';
import { ledgerDbOf } from '../storage/databases';
import { ApiError } from '../errors/api_error';
import { sha256Hex } from '../lib/crypto';
import { newId } from '../lib/ids';

/**
 * The deposit id of a POST /v1/billing/topup: derived from its Idempotency-Key (the same whichever
 * payment method), so that a retry names the same deposit, and a key first used with one payment
 * method and then the other is a 409 instead of a second deposit. `keyPrefix` is the ledger key's
 * prefix of this method (`checkout:` or `card:`).
 */
export async function topupTransactionId(env: Env, workspaceId: string, idempotencyKey: string | undefined, keyPrefix: 'checkout:' | 'card:'): Promise<string> {
  if (!idempotencyKey) return newId('txn');
  const transactionId = `txn_${(await sha256Hex(`topup:${workspaceId}:${idempotencyKey}`)).slice(0, 26)}`;
  const earlier = await (await ledgerDbOf(env, workspaceId))
    .select({ key: transactions.idempotencyKey })
    .from(transactions)
    .where(and(eq(transactions.workspaceId, workspaceId), eq(transactions.id, transactionId)))
    .get();
  if (earlier && !earlier.key.startsWith(keyPrefix)) {
    throw new ApiError('idempotency_conflict', 'This Idempotency-Key was already used with a different request.');
  }
  return transactionId;
}
