import { eq } from 'drizzle-orm';
import { ledgerWorkspaces, stripeCustomers } from '../../schema/tables';
import type { Env } from '../env';
import { notFound } from '../errors/api_error';
import type { AutoTopupSchema } from '../openapi/schemas';
import { autoRechargeSpentThisMonthCents } from '../ledger/recharge/recharge_month';
import { directoryDb, ledgerDbOf } from '../storage/databases';
import type { z } from '@hono/zod-openapi';

export type AutoTopup = z.infer<typeof AutoTopupSchema>;

/**
 * The auto-top-up settings with the saved card, as AutoTopup; shared by /plan, /auto-topup and the
 * dashboard. The settings are in the workspace's ledger shard (its ledger object turns them off
 * after three declines, with the notification, in one batch); the card is in the directory.
 */
export async function readAutoTopup(env: Env, workspaceId: string): Promise<AutoTopup> {
  const ledger = await ledgerDbOf(env, workspaceId);
  const [row, card, spentThisMonthCents] = await Promise.all([
    ledger
      .select({
        enabled: ledgerWorkspaces.autoTopupEnabled,
        thresholdCents: ledgerWorkspaces.autoTopupThresholdCents,
        topupAmountCents: ledgerWorkspaces.autoTopupAmountCents,
        mode: ledgerWorkspaces.autoTopupMode,
        targetCents: ledgerWorkspaces.autoTopupTargetCents,
        monthlyLimitCents: ledgerWorkspaces.autoTopupMonthlyLimitCents,
      })
      .from(ledgerWorkspaces)
      .where(eq(ledgerWorkspaces.workspaceId, workspaceId))
      .get(),
    directoryDb(env)
      .select({ brand: stripeCustomers.cardBrand, last4: stripeCustomers.cardLast4, paymentMethodId: stripeCustomers.paymentMethodId })
      .from(stripeCustomers)
      .where(eq(stripeCustomers.workspaceId, workspaceId))
      .get(),
    autoRechargeSpentThisMonthCents(ledger, workspaceId, Date.now()),
  ]);
  if (!row) throw notFound('workspace');
  return {
    enabled: row.enabled,
    thresholdCents: row.thresholdCents,
    topupAmountCents: row.topupAmountCents,
    paymentMethod: card?.paymentMethodId ? { brand: card.brand ?? 'card', last4: card.last4 ?? '' } : null,
    mode: row.mode,
    targetCents: row.targetCents,
    monthlyLimitCents: row.monthlyLimitCents,
    spentThisMonthCents,
  };
}

/** Whether auto-top-up is on (the last card cannot be removed while it is). */
export async function autoTopupEnabled(env: Env, workspaceId: string): Promise<boolean> {
  const row = await (await ledgerDbOf(env, workspaceId))
    .select({ enabled: ledgerWorkspaces.autoTopupEnabled })
    .from(ledgerWorkspaces)
    .where(eq(ledgerWorkspaces.workspaceId, workspaceId))
    .get();
  return row?.enabled ?? false;
}
