import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { internal } from './api';
import { ledgerD1, projected } from './ledger_checks';

/**
 * Test workspaces are dated this far back, so that suites can report usage and start resources in
 * past hours: the service refuses anything before a workspace existed.
 */
export const WORKSPACE_AGE_MS = 30 * 86_400_000;

let counter = 0;
const unique = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export interface TestWorkspace {
  workspaceId: string;
  adminMemberId: string;
  adminKey: string;
}

export async function createWorkspace(name = 'Test workspace'): Promise<TestWorkspace> {
  const res = await internal('POST', '/internal/v1/workspaces', { name, admin: { name: 'Ada Admin', email: `${unique('admin')}@example.com` } });
  expect(res.status).toBe(201);
  const createdAtMs = (await env.DB.prepare('SELECT created_at_ms AS c FROM workspaces WHERE id = ?').bind(res.body.workspace.id).first<{ c: number }>())!.c;
  await setWorkspaceCreatedAt(res.body.workspace.id, createdAtMs - WORKSPACE_AGE_MS);
  return { workspaceId: res.body.workspace.id, adminMemberId: res.body.member.id, adminKey: res.body.apiKey };
}

/**
 * Re-dates a workspace's creation, where it is kept: the directory (the tenancy check of ingestion)
 * and its ledger shard (the ledger object's copy, read when the object loads).
 */
export async function setWorkspaceCreatedAt(workspaceId: string, createdAtMs: number) {
  await env.DB.prepare('UPDATE workspaces SET created_at_ms = ? WHERE id = ?').bind(createdAtMs, workspaceId).run();
  await (await ledgerD1(workspaceId)).prepare('UPDATE ledger_workspaces SET created_at_ms = ? WHERE workspace_id = ?').bind(createdAtMs, workspaceId).run();
}

export async function addMember(workspaceId: string, role: 'admin' | 'member' = 'member') {
  const res = await internal('POST', `/internal/v1/workspaces/${workspaceId}/members`, { name: 'Max Member', email: `${unique('member')}@example.com`, role });
  expect(res.status).toBe(201);
  return { memberId: res.body.member.id as string, apiKey: res.body.apiKey as string };
}

export async function grant(workspaceId: string, amountMicros: number, id = unique('grant')) {
  const res = await internal('POST', '/internal/v1/adjustments', { id, workspaceId, amountMicros, description: 'Test grant' });
  expect(res.status).toBe(201);
  // Answered once durable in the ledger object; tests go on to read D1, which the entry reaches a
  // moment later (workers/ledger/writes/entry_journal.ts).
  await projected(workspaceId);
  return res.body;
}

/**
 * Paid credit (a `paid` credit block, through the grants API): what refunds and disputes can take
 * back (they never take promotional credit, which is what `grant` above gives).
 */
export async function grantPaid(workspaceId: string, amountMicros: number, id = unique('paid')) {
  const res = await internal('POST', '/internal/v1/grants', { id, workspaceId, amountMicros, description: 'Test paid credit', category: 'paid' });
  expect(res.status).toBe(201);
  return res.body.transaction;
}

/** A deduction through the API; once answered, waits until D1 holds it too (tests read D1 next). */
export async function deduct(workspaceId: string, amountMicros: number, id = unique('deduct'), description = 'Test charge') {
  const res = await answeredDeduction(workspaceId, amountMicros, id, description);
  if (res.status === 201) await projected(workspaceId);
  return res;
}

/** A deduction through the API, returning as soon as it is answered (D1 may not hold it yet). */
export const answeredDeduction = (workspaceId: string, amountMicros: number, id = unique('deduct'), description = 'Test charge') =>
  internal('POST', '/internal/v1/deductions', { id, workspaceId, amountMicros, description });

/**
 * Deducts everything the workspace can spend, taking it to zero while its resources run. Runtime
 * accrues between the credit check and the deduction, and the open hour's lines are rounded to
 * whole micros, so the spendable balance may have dropped by a micro by the time the deduction is
 * decided (a 402): then it is read again, a few times at most.
 */
export async function drainToZero(workspaceId: string, attempts = 5) {
  for (let i = 0; i < attempts; i++) {
    const spendable = (await internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=0`)).body.balanceMicros as number;
    expect(spendable).toBeGreaterThan(0);
    const res = await internal('POST', '/internal/v1/deductions', { id: unique('drain'), workspaceId, amountMicros: spendable, description: 'Drain' });
    if (res.status === 201) return res.body;
    expect(res.status, JSON.stringify(res.body)).toBe(402);
  }
  throw new Error(`could not drain ${workspaceId} in ${attempts} attempts`);
}

export { unique };
