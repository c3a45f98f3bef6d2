// Free-text fields refuse control characters, bidi overrides and unpaired surrogates (400
// invalid_request naming the field, nothing recorded) and accept ordinary printable Unicode.
//
// Contract: /work/shared/CONTRACT.md, "Units and shapes" (text fields).
import { beforeAll, describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace, grant, unique, type TestWorkspace } from '../helpers/fixtures';

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Text fields');
  await grant(ws.workspaceId, 10_000_000);
});

const BAD: Array<[string, string]> = [
  ['NUL', 'a\u0000b'],
  ['newline', 'a\nb'],
  ['tab', 'a\tb'],
  ['escape (C0)', 'a\u001bb'],
  ['DEL', 'a\u007fb'],
  ['NEL (C1)', 'a\u0085b'],
  ['right-to-left mark', 'a\u200fb'],
  ['right-to-left override', 'invoice\u202Egnp.exe'],
  ['left-to-right isolate', 'a\u2066b\u2069'],
  ['lone high surrogate', 'a\ud83db'],
  ['lone low surrogate', 'a\ude80b'],
];

type Case = { where: string; field: string; send: (value: string) => Promise<{ status: number; body: any }> };

const cases: Case[] = [
  { where: 'POST /internal/v1/workspaces', field: 'name', send: (v) => internal('POST', '/internal/v1/workspaces', { name: v, admin: { name: 'Ada', email: `${unique('a')}@example.com` } }) },
  { where: 'POST /internal/v1/workspaces', field: 'admin.name', send: (v) => internal('POST', '/internal/v1/workspaces', { name: 'Acme', admin: { name: v, email: `${unique('a')}@example.com` } }) },
  { where: 'POST /internal/v1/workspaces', field: 'admin.email', send: (v) => internal('POST', '/internal/v1/workspaces', { name: 'Acme', admin: { name: 'Ada', email: `${v.replace(/ /g, '')}@example.com` } }) },
  { where: 'POST …/members', field: 'name', send: (v) => internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/members`, { name: v, email: `${unique('m')}@example.com`, role: 'member' }) },
  { where: 'POST /internal/v1/adjustments', field: 'description', send: (v) => internal('POST', '/internal/v1/adjustments', { id: unique('adj'), workspaceId: ws.workspaceId, amountMicros: 1_000, description: v }) },
  { where: 'POST /internal/v1/deductions', field: 'description', send: (v) => internal('POST', '/internal/v1/deductions', { id: unique('ded'), workspaceId: ws.workspaceId, amountMicros: 1_000, description: v }) },
  { where: 'POST /internal/v1/usage', field: 'events.0.model', send: (v) => internal('POST', '/internal/v1/usage', { events: [{ id: unique('ev'), workspaceId: ws.workspaceId, type: 'model', model: v, inputTokens: 10 }] }) },
  {
    where: 'POST /internal/v1/usage',
    field: 'events.0.description',
    send: (v) => internal('POST', '/internal/v1/usage', { events: [{ id: unique('ev'), workspaceId: ws.workspaceId, type: 'charge', amountMicros: 5, description: v }] }),
  },
  { where: 'POST /internal/v1/resources', field: 'instanceType', send: (v) => internal('POST', '/internal/v1/resources', { id: unique('res'), workspaceId: ws.workspaceId, kind: 'instance', instanceType: v }) },
];

const ledgerRows = async () => (await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=0`)).body.balanceMicros as number;

describe('refused: 400 invalid_request naming the field, nothing recorded', () => {
  const table = cases.flatMap((c) => BAD.map(([what, value]) => ({ title: `${c.where} ${c.field} with ${what}`, c, value })));
  it.each(table)('$title', async ({ c, value }) => {
    const before = await ledgerRows();
    const res = await c.send(value);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message.startsWith(`${c.field}: `), res.body.error.message).toBe(true);
    expect(await ledgerRows()).toBe(before);
  });
});

describe('accepted: printable Unicode, emoji and non-Latin scripts', () => {
  const text = 'Café Zürich 東京 مرحبا Ωμέγα 🚀👩‍💻';

  it('a workspace and a member named in any script', async () => {
    const res = await internal('POST', '/internal/v1/workspaces', { name: text, admin: { name: 'Zoë Ñúñez', email: `${unique('z')}@example.com` } });
    expect(res.status).toBe(201);
    expect(res.body.workspace.name).toBe(text);
    expect(res.body.member.name).toBe('Zoë Ñúñez');
  });

  it('a ledger description with emoji and Arabic keeps its text', async () => {
    const res = await internal('POST', '/internal/v1/adjustments', { id: unique('adj-ok'), workspaceId: ws.workspaceId, amountMicros: 1_000, description: text });
    expect(res.status).toBe(201);
    expect(res.body.description).toBe(text);
  });

  it('a usage charge described in any script', async () => {
    const res = await internal('POST', '/internal/v1/usage', { events: [{ id: unique('ev-ok'), workspaceId: ws.workspaceId, type: 'charge', amountMicros: 5, description: text }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.accepted).toBe(1);
  });
});
