// Bad input, field by field: every body, query and path value of the public and internal routes.
//
// Contract (/work/shared/CONTRACT.md, "Units and shapes"): a value that fails validation is a 400
// `invalid_request` whose message names the field; malformed JSON is a 400; unknown JSON fields are
// ignored; the service never answers 500 for bad input. Bad money calls record nothing.
// Storage is shared by the tests of this file: each case works on the workspaces made in beforeAll.
import { beforeAll, describe, expect, it } from 'vitest';
import { internal, publicApi, type JsonResponse } from '../helpers/api';
import { addMember, createWorkspace, grant, unique } from '../helpers/fixtures';

// --- helpers -------------------------------------------------------------------------------------

/** The contract's error body with this status and code. */
function expectError(res: JsonResponse, status: number, code: string) {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { error: { code, message: expect.any(String), requestId: expect.any(String) } },
  });
  expect(res.body.error.requestId.trim()).not.toBe('');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The message names the field: the field's name (or dotted path) appears as a whole word. */
function expectNamesField(message: string, field: string) {
  expect(message, `message should name "${field}"`).toMatch(new RegExp(`(^|[^\\w.])${escapeRe(field)}($|[^\\w])`));
}

// Body values: MISSING deletes the field; raw(text) puts literal JSON text in its place (for numbers
// that JSON.stringify cannot write, such as 9007199254740993 or 1e400).
const MISSING = Symbol('missing');
const RAW = Symbol('raw');
type Raw = { [RAW]: string };
const raw = (text: string): Raw => ({ [RAW]: text });
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && RAW in v;

function encode(body: unknown): string {
  const raws: string[] = [];
  const json = JSON.stringify(body, (_key, value) => (isRaw(value) ? `@@RAW${raws.push(value[RAW]) - 1}@@` : value));
  return json.replace(/"@@RAW(\d+)@@"/g, (_m, i: string) => raws[Number(i)]!);
}

/** A copy of `base` with the (dotted) field set to value, or removed when value is MISSING. */
function withField(base: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  const parts = field.split('.');
  let target: any = copy;
  for (const p of parts.slice(0, -1)) target = target[p];
  const last = parts[parts.length - 1]!;
  if (value === MISSING) delete target[last];
  else target[last] = value;
  return copy;
}

const label = (v: unknown) => (v === MISSING ? 'missing' : isRaw(v) ? `raw ${v[RAW]}` : typeof v === 'string' && v.length > 40 ? `"${v.slice(0, 8)}…" (${v.length} chars)` : JSON.stringify(v));

const MAX_ENTRY_MICROS = 1_000_000 * 1_000_000; // the largest single movement: one million credits
const BIG = raw('9007199254740993'); // 2^53 + 1: not representable, must not be rounded and accepted
const long = (n: number, ch = 'x') => ch.repeat(n);

// --- shared fixtures -----------------------------------------------------------------------------

const ctx = {} as {
  ws: string;
  adminKey: string;
  adminMemberId: string;
  memberId: string;
  keyId: string;
  keyPlain: string;
  txnId: string;
  other: { workspaceId: string; adminMemberId: string; adminKey: string };
};
const START_BALANCE = 50_000_000;

beforeAll(async () => {
  const ws = await createWorkspace('Bad input');
  ctx.other = await createWorkspace('Bad input: other tenant');
  ctx.ws = ws.workspaceId;
  ctx.adminKey = ws.adminKey;
  ctx.adminMemberId = ws.adminMemberId;
  ctx.memberId = (await addMember(ws.workspaceId, 'member')).memberId;
  const key = await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/api-keys`, { memberId: ctx.adminMemberId });
  expect(key.status).toBe(201);
  ctx.keyId = key.body.id;
  ctx.keyPlain = key.body.apiKey;
  ctx.txnId = (await grant(ws.workspaceId, START_BALANCE)).id;
});

/** What a bad call must leave untouched: the balance, the ledger and the auto-top-up settings. */
async function snapshot() {
  const [check, history, settings] = await Promise.all([
    internal('GET', `/internal/v1/workspaces/${ctx.ws}/credit-check?amountMicros=0`),
    publicApi('GET', '/v1/billing/credits/history?limit=200', ctx.adminKey),
    publicApi('GET', '/v1/billing/auto-topup', ctx.adminKey),
  ]);
  expect([check.status, history.status, settings.status]).toEqual([200, 200, 200]);
  return { balanceMicros: check.body.balanceMicros, entries: history.body.data.map((t: { id: string }) => t.id), settings: settings.body };
}

// --- the routes, each with a valid request -------------------------------------------------------

interface BodyRoute {
  name: string;
  method: 'POST' | 'PUT';
  path: () => string;
  /** A valid body; each case breaks one field of it. */
  base: () => Record<string, unknown>;
  send: (path: string, body: string) => Promise<JsonResponse>;
  okStatus: number;
}

const asInternal = (method: string) => (path: string, body: string) => internal(method, path, body);
const asAdmin = (method: string) => (path: string, body: string) => publicApi(method, path, ctx.adminKey, body);

const routes = {
  createWorkspace: {
    name: 'POST /internal/v1/workspaces',
    method: 'POST',
    path: () => '/internal/v1/workspaces',
    base: () => ({ id: unique('ws-create'), name: 'Acme', admin: { name: 'Ada', email: `${unique('ada')}@example.com` } }),
    send: asInternal('POST'),
    okStatus: 201,
  },
  createMember: {
    name: 'POST /internal/v1/workspaces/:ws/members',
    method: 'POST',
    path: () => `/internal/v1/workspaces/${ctx.ws}/members`,
    base: () => ({ name: 'Max', email: `${unique('max')}@example.com`, role: 'member' }),
    send: asInternal('POST'),
    okStatus: 201,
  },
  createApiKey: {
    name: 'POST /internal/v1/workspaces/:ws/api-keys',
    method: 'POST',
    path: () => `/internal/v1/workspaces/${ctx.ws}/api-keys`,
    base: () => ({ memberId: ctx.memberId }),
    send: asInternal('POST'),
    okStatus: 201,
  },
  adjustment: {
    name: 'POST /internal/v1/adjustments',
    method: 'POST',
    path: () => '/internal/v1/adjustments',
    base: () => ({ id: unique('adj'), workspaceId: ctx.ws, amountMicros: 1_000_000, description: 'Bad-input grant' }),
    send: asInternal('POST'),
    okStatus: 201,
  },
  deduction: {
    name: 'POST /internal/v1/deductions',
    method: 'POST',
    path: () => '/internal/v1/deductions',
    base: () => ({ id: unique('ded'), workspaceId: ctx.ws, amountMicros: 1_000, description: 'Bad-input charge' }),
    send: asInternal('POST'),
    okStatus: 201,
  },
  autoTopup: {
    name: 'PUT /v1/billing/auto-topup',
    method: 'PUT',
    path: () => '/v1/billing/auto-topup',
    base: () => ({ enabled: false, thresholdCents: 1_000, topupAmountCents: 2_000 }),
    send: asAdmin('PUT'),
    okStatus: 200,
  },
} satisfies Record<string, BodyRoute>;

// --- body fields ---------------------------------------------------------------------------------

const idempotencyIdBad = ['', '   ', long(256), 'has space', '-leading-dash', 'semi;colon', 42, null];
const workspaceIdBad = [MISSING, 'not-a-ws', 'ws_', `ws_${long(65, 'a')}`, 'ws_bad-dash', 'WS_abc', 42, null];
const descriptionBad = [MISSING, '', '   ', long(501), 42, null, { text: 'x' }];
const nameBad = [MISSING, '', '   ', long(201), 42, null];
const emailBad = [MISSING, '', 'not-an-email', 'a@', '@example.com', `${long(315, 'a')}@x.com`, 42];
const intBad = [1.5, '100', BIG, raw('1e400'), null, true, [1], MISSING];

// [route, field, bad values]: each value → 400 invalid_request naming the field.
const bodyTable: Array<[BodyRoute, string, unknown[]]> = [
  [routes.createWorkspace, 'id', idempotencyIdBad],
  [routes.createWorkspace, 'name', nameBad],
  [routes.createWorkspace, 'admin', [MISSING, 'Ada', null, []]],
  [routes.createWorkspace, 'admin.name', nameBad],
  [routes.createWorkspace, 'admin.email', emailBad],

  [routes.createMember, 'id', idempotencyIdBad],
  [routes.createMember, 'name', nameBad],
  [routes.createMember, 'email', emailBad],
  [routes.createMember, 'role', [MISSING, '', 'owner', 'ADMIN', 1, null]],

  [routes.createApiKey, 'id', idempotencyIdBad],
  [routes.createApiKey, 'memberId', [MISSING, '', 'not-a-member', 'mem_', `mem_${long(65, 'a')}`, 'mem_bad-dash', 'key_abc', 42, null]],

  [routes.adjustment, 'amountMicros', [...intBad, 0, raw('-0'), raw('-9007199254740993'), MAX_ENTRY_MICROS + 1, -(MAX_ENTRY_MICROS + 1)]],
  [routes.adjustment, 'id', [MISSING, ...idempotencyIdBad]],
  [routes.adjustment, 'workspaceId', workspaceIdBad],
  [routes.adjustment, 'description', descriptionBad],

  [routes.deduction, 'amountMicros', [...intBad, 0, raw('-0'), -1, -1_000_000, MAX_ENTRY_MICROS + 1]],
  [routes.deduction, 'id', [MISSING, ...idempotencyIdBad]],
  [routes.deduction, 'workspaceId', workspaceIdBad],
  [routes.deduction, 'description', descriptionBad],

  [routes.autoTopup, 'enabled', [MISSING, 'true', 'false', 1, 0, null]],
  [routes.autoTopup, 'thresholdCents', [...intBad, -1, 1_000_001]],
  [routes.autoTopup, 'topupAmountCents', [...intBad, -1, 0, 499, 1_000_001]],
];

const bodyCases = bodyTable.flatMap(([route, field, values]) =>
  values.map((value) => ({ title: `${route.name} ${field} = ${label(value)}`, route, field, value })),
);

describe('bad body fields → 400 invalid_request naming the field, nothing recorded', () => {
  it.each(bodyCases)('$title', async ({ route, field, value }) => {
    const before = await snapshot();
    const res = await route.send(route.path(), encode(withField(route.base(), field, value)));
    expectError(res, 400, 'invalid_request');
    expectNamesField(res.body.error.message, field);
    expect(await snapshot()).toEqual(before);
  });
});

// --- malformed and non-object bodies -------------------------------------------------------------

const malformedBodies: Array<[string, string]> = [
  ['truncated JSON', '{"id":'],
  ['an empty body', ''],
  ['not JSON at all', 'amountMicros=5'],
  ['a trailing comma', '{"amountMicros": 5,}'],
  ['a JSON array', '[]'],
  ['JSON null', 'null'],
  ['a JSON string', '"hello"'],
  ['a JSON number', '42'],
];

describe('malformed or non-object JSON bodies → 400 invalid_request, nothing recorded', () => {
  const cases = Object.values(routes).flatMap((route) => malformedBodies.map(([what, text]) => ({ title: `${route.name}: ${what}`, route, text })));
  it.each(cases)('$title', async ({ route, text }) => {
    const before = await snapshot();
    const res = await route.send(route.path(), text);
    expectError(res, 400, 'invalid_request');
    expect(await snapshot()).toEqual(before);
  });
});

// --- query values --------------------------------------------------------------------------------

const history = (query: string) => publicApi('GET', `/v1/billing/credits/history?${query}`, ctx.adminKey);
const creditCheck = (query: string) => internal('GET', `/internal/v1/workspaces/${ctx.ws}/credit-check${query === '' ? '' : `?${query}`}`);

const queryTable: Array<[string, string, (q: string) => Promise<JsonResponse>, string[]]> = [
  ['GET /v1/billing/credits/history', 'limit', history, ['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'limit=-1', 'limit=', 'limit=1e2', 'limit=99999999999999999', 'limit=1&limit=2']],
  ['GET /v1/billing/credits/history', 'cursor', history, ['cursor=garbage', 'cursor=!!!', 'cursor=', `cursor=${long(201, 'A')}`, `cursor=${btoa('v1:abc')}`, `cursor=${btoa('v2:5')}`, `cursor=${btoa('v1:-5')}`]],
  ['GET /v1/billing/credits/history', 'type', history, ['type=bogus', 'type=USAGE', 'type=', 'type=usage&type=refund']],
  ['GET /v1/billing/credits/history', 'status', history, ['status=bogus', 'status=Completed', 'status=']],
  ['GET /internal/v1/workspaces/:ws/credit-check', 'amountMicros', creditCheck, [
    '', 'amountMicros=-1', 'amountMicros=1.5', 'amountMicros=', 'amountMicros=abc', 'amountMicros=1e3', 'amountMicros=0x10',
    'amountMicros=%201', 'amountMicros=Infinity', `amountMicros=${MAX_ENTRY_MICROS + 1}`, 'amountMicros=9007199254740993',
    'amountMicros=99999999999999999', 'amountMicros=1&amountMicros=2', 'amountmicros=5',
  ]],
];

describe('bad query values → 400 invalid_request naming the parameter', () => {
  const cases = queryTable.flatMap(([route, field, send, queries]) => queries.map((query) => ({ title: `${route} ?${query || '(none)'}`, field, send, query })));
  it.each(cases)('$title', async ({ field, send, query }) => {
    const res = await send(query);
    expectError(res, 400, 'invalid_request');
    expectNamesField(res.body.error.message, field);
  });
});

// --- path values ---------------------------------------------------------------------------------

const badWs = ['not-a-ws', 'ws_', `ws_${long(65, 'a')}`, 'ws_bad-dash', 'WS_abc', 'mem_abc', "ws_1' OR '1'='1", 'ws_a/b'];
const pathTable: Array<[string, string, string[], (seg: string) => Promise<JsonResponse>]> = [
  ['POST /internal/v1/workspaces/:ws/members', 'ws', badWs, (ws) => internal('POST', `/internal/v1/workspaces/${ws}/members`, { name: 'Max', email: `${unique('max')}@example.com`, role: 'member' })],
  ['POST /internal/v1/workspaces/:ws/api-keys', 'ws', badWs, (ws) => internal('POST', `/internal/v1/workspaces/${ws}/api-keys`, { memberId: ctx.memberId })],
  ['DELETE /internal/v1/workspaces/:ws/api-keys/:id', 'ws', badWs, (ws) => internal('DELETE', `/internal/v1/workspaces/${ws}/api-keys/${ctx.keyId}`)],
  ['GET /internal/v1/workspaces/:ws/credit-check', 'ws', badWs, (ws) => internal('GET', `/internal/v1/workspaces/${ws}/credit-check?amountMicros=1`)],
  ['DELETE /internal/v1/workspaces/:ws/api-keys/:id', 'id', ['not-a-key', 'key_', `key_${long(65, 'a')}`, 'key_bad-dash', 'mem_abc', "key_1' OR '1'='1"], (id) => internal('DELETE', `/internal/v1/workspaces/${ctx.ws}/api-keys/${id}`)],
  ['GET /v1/billing/transactions/:id', 'id', ['not-a-txn', 'txn_', `txn_${long(65, 'a')}`, 'txn_bad-dash', 'ws_abc', "txn_1' OR '1'='1", 'txn_%00'], (id) => publicApi('GET', `/v1/billing/transactions/${id}`, ctx.adminKey)],
];

describe('bad path ids → 400 invalid_request naming the parameter', () => {
  const cases = pathTable.flatMap(([route, field, values, send]) => values.map((value) => ({ title: `${route} ${field} = ${label(value)}`, field, value, send })));
  it.each(cases)('$title', async ({ field, value, send }) => {
    const res = await send(value === 'txn_%00' ? value : encodeURIComponent(value));
    expectError(res, 400, 'invalid_request');
    expectNamesField(res.body.error.message, field);
  });

  it('a refused revocation left the key working', async () => {
    expect((await publicApi('GET', '/v1/billing/credits', ctx.keyPlain)).status).toBe(200);
  });
});

// --- well-formed but unknown ids → 404 -----------------------------------------------------------

describe('valid-format but unknown ids → 404 not_found', () => {
  const UNKNOWN_WS = 'ws_0000000000doesnotexist0000';
  it.each([
    ['POST .../members of an unknown workspace', () => internal('POST', `/internal/v1/workspaces/${UNKNOWN_WS}/members`, { name: 'Max', email: `${unique('max')}@example.com`, role: 'member' })],
    ['POST .../api-keys of an unknown workspace', () => internal('POST', `/internal/v1/workspaces/${UNKNOWN_WS}/api-keys`, { memberId: ctx.memberId })],
    ['POST .../api-keys for an unknown member', () => internal('POST', `/internal/v1/workspaces/${ctx.ws}/api-keys`, { memberId: 'mem_0000000000doesnotexist0000' })],
    ['POST .../api-keys for a member of another workspace', () => internal('POST', `/internal/v1/workspaces/${ctx.ws}/api-keys`, { memberId: ctx.other.adminMemberId })],
    ['DELETE .../api-keys/:id in an unknown workspace', () => internal('DELETE', `/internal/v1/workspaces/${UNKNOWN_WS}/api-keys/${ctx.keyId}`)],
    ['DELETE .../api-keys/:id through another workspace', () => internal('DELETE', `/internal/v1/workspaces/${ctx.other.workspaceId}/api-keys/${ctx.keyId}`)],
    ['DELETE .../api-keys/:id of an unknown key', () => internal('DELETE', `/internal/v1/workspaces/${ctx.ws}/api-keys/key_0000000000doesnotexist0000`)],
    ['GET .../credit-check of an unknown workspace', () => internal('GET', `/internal/v1/workspaces/${UNKNOWN_WS}/credit-check?amountMicros=1`)],
    ['POST /internal/v1/adjustments to an unknown workspace', () => internal('POST', '/internal/v1/adjustments', { id: unique('adj'), workspaceId: UNKNOWN_WS, amountMicros: 1_000_000, description: 'Ghost grant' })],
    ['POST /internal/v1/deductions from an unknown workspace', () => internal('POST', '/internal/v1/deductions', { id: unique('ded'), workspaceId: UNKNOWN_WS, amountMicros: 1_000, description: 'Ghost charge' })],
    ['GET /v1/billing/transactions/:id of an unknown transaction', () => publicApi('GET', '/v1/billing/transactions/txn_0000000000doesnotexist0000', ctx.adminKey)],
  ])('%s', async (_title, send) => {
    const before = await snapshot();
    expectError(await send(), 404, 'not_found');
    expect(await snapshot()).toEqual(before);
  });

  it('the key whose revocation was refused through the wrong workspace still works', async () => {
    expect((await publicApi('GET', '/v1/billing/credits', ctx.keyPlain)).status).toBe(200);
  });
});

// --- what is accepted --------------------------------------------------------------------------

describe('unknown JSON fields are ignored and cannot override server-set values', () => {
  it('POST /internal/v1/workspaces: 201; the first member is still an admin', async () => {
    const res = await internal('POST', '/internal/v1/workspaces', {
      name: 'Extra fields',
      plan: 'enterprise',
      balanceMicros: 999,
      admin: { name: 'Ada', email: `${unique('ada')}@example.com`, role: 'member', workspaceId: ctx.ws },
    });
    expect(res.status).toBe(201);
    expect(res.body.member.role).toBe('admin');
    expect(res.body.member.workspaceId).toBe(res.body.workspace.id);
    expect(res.body.member.workspaceId).not.toBe(ctx.ws);
  });

  it('POST .../members: 201; the member belongs to the workspace of the path', async () => {
    const res = await internal('POST', `/internal/v1/workspaces/${ctx.ws}/members`, { name: 'Max', email: `${unique('max')}@example.com`, role: 'member', workspaceId: ctx.other.workspaceId, extra: true });
    expect(res.status).toBe(201);
    expect(res.body.member.workspaceId).toBe(ctx.ws);
  });

  it('POST .../api-keys: 201', async () => {
    const res = await internal('POST', `/internal/v1/workspaces/${ctx.ws}/api-keys`, { memberId: ctx.memberId, workspaceId: ctx.other.workspaceId, scopes: ['all'] });
    expect(res.status).toBe(201);
    expect(res.body.memberId).toBe(ctx.memberId);
  });

  it.each([
    ['adjustments', 2_000_000, 'adjustment'],
    ['deductions', 500_000, 'usage'],
  ] as const)('POST /internal/v1/%s: 201; type, status and balance are the server’s', async (kind, amount, type) => {
    const before = (await snapshot()).balanceMicros;
    const res = await internal('POST', `/internal/v1/${kind}`, {
      id: unique(kind),
      workspaceId: ctx.ws,
      amountMicros: amount,
      description: `extra fields ${kind}`,
      type: 'deposit',
      status: 'pending',
      balanceAfterMicros: 123,
      forgivenMicros: 5,
      memberId: ctx.memberId,
      extra: { nested: true },
    });
    expect(res.status).toBe(201);
    const signed = type === 'usage' ? -amount : amount;
    expect(res.body).toMatchObject({ type, status: 'completed', amountMicros: signed, balanceAfterMicros: before + signed });
    expect((await snapshot()).balanceMicros).toBe(before + signed);
  });

  it('PUT /v1/billing/auto-topup: 200; a payment method cannot be smuggled in', async () => {
    const res = await publicApi('PUT', '/v1/billing/auto-topup', ctx.adminKey, { enabled: false, thresholdCents: 1_500, topupAmountCents: 3_000, paymentMethod: { brand: 'visa', last4: '4242' }, extra: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ enabled: false, thresholdCents: 1_500, topupAmountCents: 3_000, paymentMethod: null, mode: 'fixed', targetCents: null, monthlyLimitCents: null, spentThisMonthCents: 0 });
    const enable = await publicApi('PUT', '/v1/billing/auto-topup', ctx.adminKey, { enabled: true, thresholdCents: 1_500, topupAmountCents: 3_000, paymentMethod: { brand: 'visa', last4: '4242' } });
    expectError(enable, 409, 'payment_method_required');
  });

  it('unknown query parameters are ignored', async () => {
    const res = await publicApi('GET', '/v1/billing/credits/history?limit=5&foo=bar&workspaceId=ws_other', ctx.adminKey);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
  });
});

describe('a refused money call does not use up its id', () => {
  it.each([
    ['adjustments', 1_234_567],
    ['deductions', 7_654],
  ] as const)('POST /internal/v1/%s: the same id with a valid body is a first recording', async (kind, amount) => {
    const id = unique(`reuse-${kind}`);
    const bad = await internal('POST', `/internal/v1/${kind}`, { id, workspaceId: ctx.ws, amountMicros: 1.5, description: 'first try' });
    expectError(bad, 400, 'invalid_request');
    const good = await internal('POST', `/internal/v1/${kind}`, { id, workspaceId: ctx.ws, amountMicros: amount, description: 'second try' });
    expect(good.status).toBe(201);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
    expect(good.body).toMatchObject({ description: 'second try', amountMicros: kind === 'deductions' ? -amount : amount });
  });
});

describe('values at the limits are accepted', () => {
  it.each([
    ['deduction description of 500 chars', () => internal('POST', '/internal/v1/deductions', { id: unique('ded'), workspaceId: ctx.ws, amountMicros: 1, description: long(500) }), 201],
    ['deduction id of 255 chars', () => internal('POST', '/internal/v1/deductions', { id: `d${long(254)}`, workspaceId: ctx.ws, amountMicros: 1, description: 'limit' }), 201],
    ['negative adjustment (a correction)', () => internal('POST', '/internal/v1/adjustments', { id: unique('adj'), workspaceId: ctx.ws, amountMicros: -1, description: 'correction' }), 201],
    ['workspace and admin names of 200 chars', () => internal('POST', '/internal/v1/workspaces', { name: long(200), admin: { name: long(200), email: `${unique('ada')}@example.com` } }), 201],
    ['history limit=1', () => publicApi('GET', '/v1/billing/credits/history?limit=1', ctx.adminKey), 200],
    ['history limit=200', () => publicApi('GET', '/v1/billing/credits/history?limit=200', ctx.adminKey), 200],
    ['history type=usage&status=completed', () => publicApi('GET', '/v1/billing/credits/history?type=usage&status=completed', ctx.adminKey), 200],
    ['credit-check amountMicros=0', () => internal('GET', `/internal/v1/workspaces/${ctx.ws}/credit-check?amountMicros=0`), 200],
    ['credit-check amountMicros=10^12 (the largest movement)', () => internal('GET', `/internal/v1/workspaces/${ctx.ws}/credit-check?amountMicros=${MAX_ENTRY_MICROS}`), 200],
    ['auto-topup thresholdCents=0, topupAmountCents=500', () => publicApi('PUT', '/v1/billing/auto-topup', ctx.adminKey, { enabled: false, thresholdCents: 0, topupAmountCents: 500 }), 200],
    ['auto-topup thresholdCents=10^6, topupAmountCents=10^6', () => publicApi('PUT', '/v1/billing/auto-topup', ctx.adminKey, { enabled: false, thresholdCents: 1_000_000, topupAmountCents: 1_000_000 }), 200],
  ])('%s', async (_title, send, status) => {
    expect((await send()).status).toBe(status);
  });
});
