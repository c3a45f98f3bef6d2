// Helpers shared by the alert test files: setting alerts, reading the events they cause. Not a test file.
import { expect } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { alarmPlanOf, projected } from '../helpers/ledger_checks';
import { unique } from '../helpers/fixtures';
import { eventsOf, type PlatformEventView } from '../zero_balance/zero_balance_helpers';

export { CREDIT, HOUR_MS, MINUTE_MS, iso, eventsOf, ledgerStub, startInstance } from '../zero_balance/zero_balance_helpers';

export const CENT = 10_000;
export const A100_PER_HOUR = 3_600_000; // 1 micro per ms

export const ALERT_TYPES = ['balance.threshold_crossed', 'balance.depleted', 'balance.recovered', 'instance.termination_scheduled', 'instance.termination_cancelled'] as const;

export async function putAlerts(adminKey: string, body: { thresholds: unknown[]; terminationWarningMinutes?: number; emailAdmins?: boolean }) {
  const res = await publicApi('PUT', '/v1/billing/alerts', adminKey, { terminationWarningMinutes: 60, emailAdmins: false, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The workspace's events of one type, oldest first, once every answered entry is in D1. */
export async function alertsOf(workspaceId: string, type: (typeof ALERT_TYPES)[number]): Promise<PlatformEventView[]> {
  await projected(workspaceId);
  return (await eventsOf(workspaceId, type)).reverse();
}

/** Counts of the alert event types (every one listed, 0 included). */
export async function alertCounts(workspaceId: string): Promise<Record<string, number>> {
  await projected(workspaceId);
  const counts: Record<string, number> = Object.fromEntries(ALERT_TYPES.map((t) => [t, 0]));
  for (const e of await eventsOf(workspaceId)) if (e.type in counts) counts[e.type]! += 1;
  return counts;
}

export async function startOk(workspaceId: string, instanceType: string, startedAtMs?: number) {
  const id = unique('res_inst');
  const res = await internal('POST', '/internal/v1/resources', { id, workspaceId, kind: 'instance', instanceType, ...(startedAtMs === undefined ? {} : { startedAt: new Date(startedAtMs).toISOString() }) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id, startedAtMs: Date.parse(res.body.startedAt) };
}

export async function stopOk(resourceId: string) {
  const res = await internal('POST', `/internal/v1/resources/${resourceId}/stop`, {});
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

export const alertAtOf = async (workspaceId: string) => (await alarmPlanOf(workspaceId)).alertAtMs ?? null;
