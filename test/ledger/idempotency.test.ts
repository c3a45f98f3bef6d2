import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal, type JsonResponse, publicApi } from '../helpers/api';
import { addMember, createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import { adjust, balanceRow, completedSum, CREDIT, internalWithHeaders, ledgerRows } from './ledger_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const countRows = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

describe('ledger entries are idempotent by id', () => {
  describe.each([
    { kind: 'deduction', path: '/internal/v1/deductions', amount: 2 * CREDIT, signed: -2 * CREDIT, type: 'usage' },
    { kind: 'adjustment', path: '/internal/v1/adjustments', amount: 2 * CREDIT, signed: 2 * CREDIT, type: 'adjustment' },
  ] as const)('$kind', ({ path, amount, signed, type }) => {
    const post = (workspaceId: string, id: string, amountMicros: number = amount, description = 'Idempotent entry') =>
      internal('POST', path, { id, workspaceId, amountMicros, description });

    it('the same id sent 5 times in a row: one entry, five identical answers, balance moved once', async () => {
      const ws = await createWorkspace();
      await grant(ws.workspaceId, 10 * CREDIT);
      const id = unique('seq');

      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await post(ws.workspaceId, id));

      for (const a of answers) expect(a.status).toBe(201);
      const first = answers[0]!.body;
      expect(first).toMatchObject({ type, status: 'completed', amountMicros: signed, balanceAfterMicros: 10 * CREDIT + signed });
      for (const a of answers.slice(1)) expect(a.body).toEqual(first);
      expect(answers[0]!.headers.get('Idempotent-Replayed')).toBeNull();
      for (const a of answers.slice(1)) expect(a.headers.get('Idempotent-Replayed')).toBe('true');

      const rows = (await ledgerRows(ws.workspaceId)).filter((r) => r.idempotency_key === id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id).toBe(first.id);
      expect(await balanceRow(ws.workspaceId)).toBe(10 * CREDIT + signed);
      const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
      expect(credits.body.balanceMicros).toBe(10 * CREDIT + signed);
    });

    it('the same id sent 5 times concurrently: one entry, five identical answers, balance moved once', async () => {
      const ws = await createWorkspace();
      await grant(ws.workspaceId, 10 * CREDIT);
      const id = unique('conc');

      const answers = await Promise.all(Array.from({ length: 5 }, () => post(ws.workspaceId, id)));

      for (const a of answers) expect(a.status).toBe(201);
      const first = answers[0]!.body;
      expect(first.id).toMatch(/^txn_/);
      for (const a of answers) expect(a.body).toEqual(first);
      expect(answers.filter((a) => a.headers.get('Idempotent-Replayed') === 'true')).toHaveLength(4);

      expect((await ledgerRows(ws.workspaceId)).filter((r) => r.idempotency_key === id)).toHaveLength(1);
      expect(await balanceRow(ws.workspaceId)).toBe(10 * CREDIT + signed);
      expect(await completedSum(ws.workspaceId)).toBe(10 * CREDIT + signed);
    });

    it('the same id with another amount or description is a 409 idempotency_conflict and records nothing', async () => {
      const ws = await createWorkspace();
      await grant(ws.workspaceId, 10 * CREDIT);
      const id = unique('conflict');
      const original = await post(ws.workspaceId, id);
      expect(original.status).toBe(201);
      const before = await ledgerRows(ws.workspaceId);

      const otherAmount = await post(ws.workspaceId, id, amount + 1);
      expect(otherAmount.status).toBe(409);
      expect(otherAmount.body.error.code).toBe('idempotency_conflict');
      const otherDescription = await post(ws.workspaceId, id, amount, 'Something else');
      expect(otherDescription.status).toBe(409);
      expect(otherDescription.body.error.code).toBe('idempotency_conflict');

      expect(await ledgerRows(ws.workspaceId)).toEqual(before);
      expect(await balanceRow(ws.workspaceId)).toBe(10 * CREDIT + signed);
      // The original is still what the id answers.
      const replay = await post(ws.workspaceId, id);
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(original.body);
    });

    it('the same id in two workspaces names two independent entries', async () => {
      const a = await createWorkspace('Workspace A');
      const b = await createWorkspace('Workspace B');
      await grant(a.workspaceId, 10 * CREDIT);
      await grant(b.workspaceId, 10 * CREDIT);
      const id = unique('shared');

      const inA = await post(a.workspaceId, id);
      const inB = await post(b.workspaceId, id, amount, 'Idempotent entry');
      expect(inA.status).toBe(201);
      expect(inB.status).toBe(201);
      expect(inB.body.id).not.toBe(inA.body.id);
      expect(inB.headers.get('Idempotent-Replayed')).toBeNull();
      expect(await balanceRow(a.workspaceId)).toBe(10 * CREDIT + signed);
      expect(await balanceRow(b.workspaceId)).toBe(10 * CREDIT + signed);

      // Even a different body under the same id in B is no conflict with A's entry.
      const otherInB = await post(b.workspaceId, unique('other'), amount + 1);
      expect(otherInB.status).toBe(201);
      const reusedDifferently = await post(a.workspaceId, id);
      expect(reusedDifferently.body).toEqual(inA.body);
    });
  });

  it('an id used for a deduction cannot be reused for an adjustment (409), and vice versa; nothing recorded', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 10 * CREDIT);
    const deductionId = unique('d-then-a');
    expect((await deduct(ws.workspaceId, CREDIT, deductionId, 'Same text')).status).toBe(201);
    const adjustmentId = unique('a-then-d');
    expect((await adjust(ws.workspaceId, CREDIT, adjustmentId, 'Same text')).status).toBe(201);
    const before = await ledgerRows(ws.workspaceId);

    // Same id, same amount and description, other endpoint: a different request.
    const asAdjustment = await adjust(ws.workspaceId, CREDIT, deductionId, 'Same text');
    expect(asAdjustment.status).toBe(409);
    expect(asAdjustment.body.error.code).toBe('idempotency_conflict');
    const asNegativeAdjustment = await adjust(ws.workspaceId, -CREDIT, deductionId, 'Same text');
    expect(asNegativeAdjustment.status).toBe(409);
    const asDeduction = await deduct(ws.workspaceId, CREDIT, adjustmentId, 'Same text');
    expect(asDeduction.status).toBe(409);
    expect(asDeduction.body.error.code).toBe('idempotency_conflict');

    expect(await ledgerRows(ws.workspaceId)).toEqual(before);
    expect(await balanceRow(ws.workspaceId)).toBe(10 * CREDIT);
  });

  it('a replayed deduction returns the original 201 even when the balance could no longer cover it', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 3 * CREDIT);
    const id = unique('drain');
    const original = await deduct(ws.workspaceId, 3 * CREDIT, id);
    expect(original.status).toBe(201);
    const replay = await deduct(ws.workspaceId, 3 * CREDIT, id);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(original.body);
    expect(await balanceRow(ws.workspaceId)).toBe(0);
  });
});

describe('creating a workspace is idempotent', () => {
  describe.each([
    { via: 'the body id', send: (key: string, body: object) => internal('POST', '/internal/v1/workspaces', { id: key, ...body }) },
    {
      via: 'the Idempotency-Key header',
      send: (key: string, body: object) => internalWithHeaders('POST', '/internal/v1/workspaces', { 'idempotency-key': key }, body),
    },
  ])('by $via', ({ send }) => {
    const body = () => ({ name: `Idem ${unique('ws')}`, admin: { name: 'Ada Admin', email: `${unique('ada')}@example.com` } });

    it('a replay returns the identical body: same workspace, same member, same API key, and the key works', async () => {
      const key = unique('create-ws');
      const request = body();
      const first = await send(key, request);
      expect(first.status).toBe(201);
      expect(first.body.workspace.id).toMatch(/^ws_/);
      expect(first.body.apiKey).toMatch(/^br_/);

      const second = await send(key, request);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);

      // Field order in the JSON does not make it another request.
      const reordered = await send(key, { admin: { email: request.admin.email, name: request.admin.name }, name: request.name });
      expect(reordered.status).toBe(201);
      expect(reordered.body).toEqual(first.body);

      expect(await countRows('SELECT COUNT(*) AS n FROM workspaces WHERE name = ?', request.name)).toBe(1);
      const plan = await publicApi('GET', '/v1/billing/plan', second.body.apiKey);
      expect(plan.status).toBe(200);
      const credits = await publicApi('GET', '/v1/billing/credits', second.body.apiKey);
      expect(credits.status).toBe(200);
      expect(credits.body.balanceMicros).toBe(0);
    });

    it('the same key with another body is a 409 idempotency_conflict and creates nothing', async () => {
      const key = unique('create-ws-conflict');
      const request = body();
      expect((await send(key, request)).status).toBe(201);
      const workspacesBefore = await countRows('SELECT COUNT(*) AS n FROM workspaces');

      const otherName = await send(key, { ...request, name: `${request.name} (renamed)` });
      expect(otherName.status).toBe(409);
      expect(otherName.body.error.code).toBe('idempotency_conflict');
      const otherAdmin = await send(key, { ...request, admin: { ...request.admin, email: `${unique('other')}@example.com` } });
      expect(otherAdmin.status).toBe(409);

      expect(await countRows('SELECT COUNT(*) AS n FROM workspaces')).toBe(workspacesBefore);
    });

    it('5 concurrent creates with one key make one workspace and give five identical answers', async () => {
      const key = unique('create-ws-conc');
      const request = body();
      const answers = await Promise.all(Array.from({ length: 5 }, () => send(key, request)));

      for (const a of answers) expect(a.status).toBe(201);
      for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
      expect(await countRows('SELECT COUNT(*) AS n FROM workspaces WHERE name = ?', request.name)).toBe(1);
      const wsId = answers[0]!.body.workspace.id;
      expect(await countRows('SELECT COUNT(*) AS n FROM members WHERE workspace_id = ?', wsId)).toBe(1);
      expect(await countRows('SELECT COUNT(*) AS n FROM api_keys WHERE workspace_id = ?', wsId)).toBe(1);
      expect((await shardD1Of(wsId).prepare('SELECT COUNT(*) AS n FROM balances WHERE workspace_id = ?').bind(wsId).first<{ n: number }>())!.n).toBe(1);
      expect((await publicApi('GET', '/v1/billing/credits', answers[0]!.body.apiKey)).status).toBe(200);
    });
  });

  it('without a key, two identical requests create two workspaces', async () => {
    const request = { name: `Keyless ${unique('ws')}`, admin: { name: 'Ada', email: `${unique('ada')}@example.com` } };
    const a = await internal('POST', '/internal/v1/workspaces', request);
    const b = await internal('POST', '/internal/v1/workspaces', request);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.workspace.id).not.toBe(a.body.workspace.id);
    expect(b.body.apiKey).not.toBe(a.body.apiKey);
  });
});

describe('creating a member is idempotent', () => {
  const path = (ws: string) => `/internal/v1/workspaces/${ws}/members`;
  const memberBody = () => ({ name: 'Max Member', email: `${unique('max')}@example.com`, role: 'member' as const });

  it('a replay (body id or Idempotency-Key) returns the same member and the same working API key', async () => {
    const ws = await createWorkspace();
    for (const send of [
      (key: string, body: object) => internal('POST', path(ws.workspaceId), { id: key, ...body }),
      (key: string, body: object) => internalWithHeaders('POST', path(ws.workspaceId), { 'idempotency-key': key }, body),
    ]) {
      const key = unique('member');
      const request = memberBody();
      const first = await send(key, request);
      expect(first.status).toBe(201);
      const second = await send(key, request);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.body.member.id).toMatch(/^mem_/);

      const conflict = await send(key, { ...request, role: 'admin' });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('idempotency_conflict');

      expect(await countRows('SELECT COUNT(*) AS n FROM members WHERE workspace_id = ? AND email = ?', ws.workspaceId, request.email)).toBe(1);
      const credits = await publicApi('GET', '/v1/billing/credits', second.body.apiKey);
      expect(credits.status).toBe(200);
    }
  });

  it('5 concurrent creates with one id make one member and give five identical answers', async () => {
    const ws = await createWorkspace();
    const key = unique('member-conc');
    const request = memberBody();
    const answers = await Promise.all(Array.from({ length: 5 }, () => internal('POST', path(ws.workspaceId), { id: key, ...request })));

    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(await countRows('SELECT COUNT(*) AS n FROM members WHERE workspace_id = ? AND email = ?', ws.workspaceId, request.email)).toBe(1);
    expect(await countRows('SELECT COUNT(*) AS n FROM api_keys WHERE member_id = ?', answers[0]!.body.member.id)).toBe(1);
  });

  it('staggered retries with one id are all replays, never a duplicate-email 400', async () => {
    // Retries launched at staggered moments (paced by round trips to D1, not by timers), so that
    // some arrive while the first one is still writing and others just after it committed.
    const ws = await createWorkspace();
    const key = unique('member-stagger');
    const request = memberBody();
    const inFlight: Promise<JsonResponse>[] = [];
    for (let i = 0; i < 12; i++) {
      inFlight.push(internal('POST', path(ws.workspaceId), { id: key, ...request }));
      await env.DB.prepare('SELECT 1').first();
    }
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => `${a.status} ${a.status === 201 ? '' : a.body.error?.message}`.trim())).toEqual(Array(12).fill('201'));
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(await countRows('SELECT COUNT(*) AS n FROM members WHERE workspace_id = ? AND email = ?', ws.workspaceId, request.email)).toBe(1);
  });

  it.each([
    { label: 'three different ids', ids: () => [unique('race-a'), unique('race-b'), unique('race-c')] },
    { label: 'no id at all', ids: () => [undefined, undefined, undefined] },
  ])('$label racing with one email: one member, the others a 400 invalid_request, never a 500', async ({ ids }) => {
    const ws = await createWorkspace();
    const request = memberBody();
    const answers = await Promise.all(ids().map((id) => internal('POST', path(ws.workspaceId), { id, ...request })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses, JSON.stringify(answers.map((a) => a.body.error ?? 'created'))).toEqual([201, 400, 400]);
    for (const a of answers.filter((x) => x.status === 400)) expect(a.body.error.code).toBe('invalid_request');
    expect(await countRows('SELECT COUNT(*) AS n FROM members WHERE workspace_id = ? AND email = ?', ws.workspaceId, request.email)).toBe(1);
  });

  it('the same member id key in two workspaces creates two members', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const key = unique('member-shared');
    const request = memberBody();
    const inA = await internal('POST', path(a.workspaceId), { id: key, ...request });
    const inB = await internal('POST', path(b.workspaceId), { id: key, ...request });
    expect(inA.status).toBe(201);
    expect(inB.status).toBe(201);
    expect(inB.body.member.id).not.toBe(inA.body.member.id);
    expect(inB.body.member.workspaceId).toBe(b.workspaceId);
  });
});

describe('creating an API key is idempotent', () => {
  const path = (ws: string) => `/internal/v1/workspaces/${ws}/api-keys`;

  it('a replay (body id or Idempotency-Key) returns the same key, which works; another member is a 409', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId);
    const other = await addMember(ws.workspaceId);
    for (const send of [
      (key: string, body: object) => internal('POST', path(ws.workspaceId), { id: key, ...body }),
      (key: string, body: object) => internalWithHeaders('POST', path(ws.workspaceId), { 'idempotency-key': key }, body),
    ]) {
      const key = unique('apikey');
      const first = await send(key, { memberId: member.memberId });
      expect(first.status).toBe(201);
      expect(first.body.id).toMatch(/^key_/);
      expect(first.body.apiKey.startsWith(first.body.prefix)).toBe(true);
      const second = await send(key, { memberId: member.memberId });
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);

      const conflict = await send(key, { memberId: other.memberId });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('idempotency_conflict');

      expect(await countRows('SELECT COUNT(*) AS n FROM api_keys WHERE id = ?', first.body.id)).toBe(1);
      expect((await publicApi('GET', '/v1/billing/credits', second.body.apiKey)).status).toBe(200);
    }
    // The member's first key plus one per key created above; the conflicting member got none.
    expect(await countRows('SELECT COUNT(*) AS n FROM api_keys WHERE member_id = ?', member.memberId)).toBe(3);
    expect(await countRows('SELECT COUNT(*) AS n FROM api_keys WHERE member_id = ?', other.memberId)).toBe(1);
  });

  it('5 concurrent creates with one id make one key and give five identical answers', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId);
    const key = unique('apikey-conc');
    const answers = await Promise.all(Array.from({ length: 5 }, () => internal('POST', path(ws.workspaceId), { id: key, memberId: member.memberId })));
    for (const a of answers) expect(a.status).toBe(201);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(await countRows('SELECT COUNT(*) AS n FROM api_keys WHERE member_id = ?', member.memberId)).toBe(2);
  });

  it('revoking twice answers the same revokedAt, and the key stops working', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId);
    const created = await internal('POST', path(ws.workspaceId), { id: unique('to-revoke'), memberId: member.memberId });
    expect(created.status).toBe(201);
    expect((await publicApi('GET', '/v1/billing/credits', created.body.apiKey)).status).toBe(200);

    const first = await internal('DELETE', `${path(ws.workspaceId)}/${created.body.id}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: created.body.id, prefix: created.body.prefix, memberId: member.memberId });
    expect(new Date(first.body.revokedAt).toISOString()).toBe(first.body.revokedAt);
    const second = await internal('DELETE', `${path(ws.workspaceId)}/${created.body.id}`);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);

    const denied = await publicApi('GET', '/v1/billing/credits', created.body.apiKey);
    expect(denied.status).toBe(401);
    expect(denied.body.error.code).toBe('unauthenticated');
    // The member's other key is untouched.
    expect((await publicApi('GET', '/v1/billing/credits', member.apiKey)).status).toBe(200);
  });

  it('revoking a key through another workspace is a 404 and leaves the key working', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const member = await addMember(a.workspaceId);
    const created = await internal('POST', path(a.workspaceId), { memberId: member.memberId });
    expect(created.status).toBe(201);
    const wrong = await internal('DELETE', `${path(b.workspaceId)}/${created.body.id}`);
    expect(wrong.status).toBe(404);
    expect(wrong.body.error.code).toBe('not_found');
    expect((await publicApi('GET', '/v1/billing/credits', created.body.apiKey)).status).toBe(200);
  });
});
