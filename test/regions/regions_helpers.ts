import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { internal, internalWithHeaders, type JsonResponse } from '../helpers/api';
import { WORKSPACE_AGE_MS, setWorkspaceCreatedAt } from '../helpers/fixtures';
import { projected } from '../helpers/ledger_checks';
import type { RegionalLedger } from '../../workers/regions/regional_ledger';
import { regionalFor } from '../../workers/regions/regional_stub';
import type { Region } from '../../workers/regions/regions';

let counter = 0;
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A workspace homed in `homeRegion` (created from that region, as a platform there would). */
export async function workspaceHomedIn(homeRegion: Region): Promise<string> {
  const res = await internalWithHeaders('POST', '/internal/v1/workspaces', {}, { name: 'Regional', homeRegion, admin: { name: 'Ada', email: `${unique('ada')}@example.com` } });
  expect(res.status).toBe(201);
  expect(res.body.workspace.homeRegion).toBe(homeRegion);
  const id = res.body.workspace.id as string;
  const row = await env.DB.prepare('SELECT created_at_ms AS c FROM workspaces WHERE id = ?').bind(id).first<{ c: number }>();
  await setWorkspaceCreatedAt(id, row!.c - WORKSPACE_AGE_MS);
  return id;
}

/** An internal call made from `region`. */
export const from = <T = any>(region: Region, method: string, path: string, body?: unknown): Promise<JsonResponse<T>> =>
  internalWithHeaders<T>(method, path, { 'X-Burnrate-Region': region }, body);

export const deductFrom = (region: Region, workspaceId: string, amountMicros: number, id = unique('d')) =>
  from(region, 'POST', '/internal/v1/deductions', { id, workspaceId, amountMicros, description: 'regional charge' });

export const balanceAtHome = async (workspaceId: string, homeRegion: Region): Promise<number> => {
  const res = await from(homeRegion, 'GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=0`);
  expect(res.status).toBe(200);
  return res.body.balanceMicros as number;
};

export const regional = (workspaceId: string, region: Region) => regionalFor(env, workspaceId, region);

/**
 * Moves the regional object's clock past its lease's term and runs its alarm: what it does within
 * 30 s of the last grant (its alarm is armed no later than that, which this checks first).
 */
export async function leaseTermEnds(workspaceId: string, region: Region): Promise<void> {
  const stub = regional(workspaceId, region);
  const state = await stub.leaseState();
  if (state.leaseMicros > 0) expect(state.termEndsMs).toBeLessThanOrEqual(Date.now() + 30_000);
  await runInDurableObject(stub, (instance: RegionalLedger) => {
    const base = instance.clock;
    instance.clock = () => base() + 31_000;
  });
  await runDurableObjectAlarm(stub);
  await runInDurableObject(stub, (instance: RegionalLedger) => {
    instance.clock = () => Date.now();
  });
  await projected(workspaceId);
}

/** The home ledger's active leases (holds under #lease:…), read from its SQLite. */
export async function leasesAtHome(workspaceId: string): Promise<Array<{ id: string; amountMicros: number }>> {
  const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));
  return runInDurableObject(stub, (_i, state) =>
    state.storage.sql.exec<{ id: string; amountMicros: number }>(`SELECT id, amount_micros AS amountMicros FROM holds WHERE status = 'held' AND id LIKE '#lease:%'`).toArray(),
  );
}

export const grantTo = async (workspaceId: string, amountMicros: number) => {
  const res = await internal('POST', '/internal/v1/adjustments', { id: unique('g'), workspaceId, amountMicros, description: 'grant' });
  expect(res.status).toBe(201);
};
