import { eq } from 'drizzle-orm';
import { ledgerWorkspaces } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { ledgerDbOf } from '../storage/databases';
import { readAutoTopup, type AutoTopup } from './read_auto_topup';

export interface AutoTopupSettings {
  enabled: boolean;
  thresholdCents: number;
  topupAmountCents: number;
}

/** Changes the auto-top-up settings (PUT /v1/billing/auto-topup and the dashboard form). */
export async function saveAutoTopup(env: Env, workspaceId: string, settings: AutoTopupSettings): Promise<AutoTopup> {
  const current = await readAutoTopup(env, workspaceId);
  if (settings.enabled && !current.paymentMethod) {
    throw new ApiError('payment_method_required', 'Save a payment method (complete a top-up, or add a card with POST /v1/billing/payment-methods) before enabling auto-top-up.');
  }
  await (await ledgerDbOf(env, workspaceId))
    .update(ledgerWorkspaces)
    // Re-enabling starts a fresh count of declines.
    .set({
      autoTopupEnabled: settings.enabled,
      autoTopupThresholdCents: settings.thresholdCents,
      autoTopupAmountCents: settings.topupAmountCents,
      ...(settings.enabled ? { autoTopupFailures: 0 } : {}),
    })
    .where(eq(ledgerWorkspaces.workspaceId, workspaceId));
  // The ledger object acts on the new settings now (a balance already below the new threshold
  // recharges at once).
  unwrap(await ledgerFor(env, workspaceId).reloadSettings(workspaceId));
  return { ...settings, paymentMethod: current.paymentMethod };
}
