// The dashboard's spend-limit form (views/spend_limits_panel.ts), applied the way PUT/DELETE
// /v1/billing/spend-limits/:memberId apply it: through the workspace's ledger object.
import type { DashboardSession, Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { MAX_ENTRY_MICROS } from '../lib/money';
import { assertTenants } from '../usage/known_tenants';
import { ApiError } from '../errors/api_error';
import { parseDollarsToCents } from './format';

export async function saveSpendLimitForm(env: Env, session: DashboardSession, form: Record<string, string>): Promise<{ ok: true } | { ok: false; error: string }> {
  const memberId = form.memberId ?? '';
  if (!/^mem_[A-Za-z0-9_]{1,64}$/.test(memberId)) return { ok: false, error: 'Choose a member of this workspace.' };
  try {
    await assertTenants(env, [{ workspaceId: session.workspaceId, memberId, path: '' }], 'invalid_request');
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, error: 'Choose a member of this workspace.' };
    throw e;
  }
  const ledger = ledgerFor(env, session.workspaceId);
  if (form.action === 'remove') {
    unwrap(await ledger.setSpendLimit(session.workspaceId, memberId, null));
    return { ok: true };
  }
  const cents = parseDollarsToCents(form.limit ?? '');
  const limitMicros = cents === null ? null : cents * 10_000;
  if (limitMicros === null || limitMicros <= 0 || limitMicros > MAX_ENTRY_MICROS) return { ok: false, error: 'Enter a limit in dollars above $0.00, such as 20 or 20.50.' };
  const period = form.period === 'day' ? 'day' : form.period === 'month' ? 'month' : null;
  if (!period) return { ok: false, error: 'Choose a period: per day or per month.' };
  unwrap(await ledger.setSpendLimit(session.workspaceId, memberId, { limitMicros, period }));
  return { ok: true };
}
