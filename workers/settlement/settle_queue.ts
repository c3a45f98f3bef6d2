import type { Env, SettlementMessage } from '../env';
import { ledgerFor } from '../ledger/ledger_stub';

/**
 * The queue's half: each message asks one workspace's ledger object to settle. Settlement is
 * idempotent per workspace-hour, so a message delivered twice, or retried after a partial failure,
 * bills nothing twice. A failed message is retried on its own; the rest of the batch is acked.
 */
export async function settleBatch(batch: MessageBatch<SettlementMessage>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const { workspaceId, cutoffMs } = message.body;
      try {
        const result = await ledgerFor(env, workspaceId).settle(workspaceId, cutoffMs);
        if (!result.ok && result.code !== 'not_found') throw new Error(result.message);
        message.ack();
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', msg: 'settlement failed; will retry', workspaceId, cutoffMs, error: String(error) }));
        message.retry({ delaySeconds: Math.min(300, 5 * 2 ** message.attempts) });
      }
    }),
  );
}
