import type { Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import type { AutoTopupSettingsInput } from '../ledger/ledger_types';
import { readAutoTopup, type AutoTopup } from './read_auto_topup';

/**
 * Changes the auto-top-up settings (PUT /v1/billing/auto-topup and the dashboard form) through the
 * workspace's ledger object, the only writer of what it caches; answers them as stored.
 */
export async function saveAutoTopup(env: Env, workspaceId: string, settings: AutoTopupSettingsInput): Promise<AutoTopup> {
  unwrap(await ledgerFor(env, workspaceId).saveAutoTopup(workspaceId, settings));
  return readAutoTopup(env, workspaceId);
}
