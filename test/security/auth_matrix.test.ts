// Authorization matrix: who may call what, and what a refused caller gets (and does not get).
// The first part is generated from the served /openapi.json, so that every operation (and any
// added later) is covered by its declared security; the hand-written cases after it go further
// (tenancy, nothing recorded by a refused call, header and path tricks).
//
// Contract: /work/shared/CONTRACT.md, "Units and shapes" (error body), "Authentication and roles",
// "Public billing API" and "Internal API". Storage is shared by all tests of this file, so every
// test works on workspaces it created itself (set up in beforeAll) and never on global counts.
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../workers/app';
import { INTERNAL_TOKEN, internal, publicApi, rawFetch } from '../helpers/api';
import { addMember, createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import { ADMIN_ONLY_OPERATIONS, exampleRequest, fetchDocument, operationsOf, type Json, type Operation } from '../openapi/openapi_helpers';

// --- helpers -------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** One request with exactly the headers given (the shared helpers always add their own auth). */
async function call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await rawFetch(path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: assertions on the body will fail and show the text
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** The contract's error body: `{ error: { code, message, requestId } }` with this status and code. */
function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { error: { code, message: expect.any(String), requestId: expect.any(String) } },
  });
  expect(res.body.error.message.trim()).not.toBe('');
  expect(res.body.error.requestId.trim()).not.toBe('');
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const xApiKey = (key: string) => ({ 'x-api-key': key });
const internalAuth = () => bearer(INTERNAL_TOKEN);

async function balanceOf(workspaceId: string): Promise<number> {
  const res = await internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=0`);
  expect(res.status).toBe(200);
  return res.body.balanceMicros;
}

async function mintKey(workspaceId: string, memberId: string) {
  const res = await internal('POST', `/internal/v1/workspaces/${workspaceId}/api-keys`, { memberId });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, apiKey: res.body.apiKey as string };
}

// --- shared fixtures -----------------------------------------------------------------------------

// Workspace A: the caller's own workspace for the public matrix, with a grant and a charge.
// Workspace B: another tenant, used to prove nothing of A is visible to B's keys.
const ctx = {} as {
  tag: string;
  a: { workspaceId: string; adminMemberId: string; adminKey: string };
  aMember: { memberId: string; apiKey: string };
  aSecondAdmin: { memberId: string; apiKey: string };
  aRevokedKey: string;
  aGrantTxn: string;
  aChargeTxn: string;
  aSecrets: string[];
  aBalance: number;
  b: { workspaceId: string; adminMemberId: string; adminKey: string };
  bMember: { memberId: string; apiKey: string };
  bTxn: string;
  bBalance: number;
  initialAutoTopup: unknown;
};

// Fixtures of the internal matrix (see below), made in the same beforeAll.
const ic = {} as {
  tag: string;
  ws: { workspaceId: string; adminMemberId: string; adminKey: string };
  member: { memberId: string; apiKey: string };
  victimKey: { id: string; apiKey: string };
  adjWs: string;
  dedWs: string;
};

beforeAll(async () => {
  ctx.tag = unique('authz');
  ic.tag = unique('internal-authz');

  // Every workspace starts at zero; the last test of this file covers a ledger first loaded after
  // other tenants hold credits (it once summed every tenant's entries).
  ctx.a = await createWorkspace('Tenant A');
  ctx.b = await createWorkspace('Tenant B');
  ic.ws = await createWorkspace('Internal matrix');
  ic.adjWs = (await createWorkspace('Internal matrix: adjustments')).workspaceId;
  ic.dedWs = (await createWorkspace('Internal matrix: deductions')).workspaceId;
  for (const ws of [ctx.a.workspaceId, ctx.b.workspaceId, ic.ws.workspaceId, ic.adjWs, ic.dedWs]) {
    expect(await balanceOf(ws)).toBe(0);
  }

  ctx.aMember = await addMember(ctx.a.workspaceId, 'member');
  ctx.aSecondAdmin = await addMember(ctx.a.workspaceId, 'admin');
  const grantDescription = `A-private-grant-${ctx.tag}`;
  const chargeDescription = `A-private-charge-${ctx.tag}`;
  const aGrant = await internal('POST', '/internal/v1/adjustments', {
    id: unique('a-grant'),
    workspaceId: ctx.a.workspaceId,
    amountMicros: 10_000_000,
    description: grantDescription,
  });
  expect(aGrant.status).toBe(201);
  const aCharge = await deduct(ctx.a.workspaceId, 2_500_000, unique('a-charge'), chargeDescription);
  expect(aCharge.status).toBe(201);
  ctx.aGrantTxn = aGrant.body.id;
  ctx.aChargeTxn = aCharge.body.id;
  ctx.aBalance = 7_500_000;
  ctx.aSecrets = [ctx.aGrantTxn, ctx.aChargeTxn, grantDescription, chargeDescription, ctx.a.workspaceId];

  // A key that worked once and was then revoked through the internal API.
  const revoked = await mintKey(ctx.a.workspaceId, ctx.a.adminMemberId);
  expect((await publicApi('GET', '/v1/billing/credits', revoked.apiKey)).status).toBe(200);
  const del = await internal('DELETE', `/internal/v1/workspaces/${ctx.a.workspaceId}/api-keys/${revoked.id}`);
  expect(del.status).toBe(200);
  ctx.aRevokedKey = revoked.apiKey;

  ctx.bMember = await addMember(ctx.b.workspaceId, 'member');
  const bGrant = await grant(ctx.b.workspaceId, 3_000_000);
  ctx.bTxn = bGrant.id;
  ctx.bBalance = 3_000_000;

  ic.member = await addMember(ic.ws.workspaceId, 'member');
  ic.victimKey = await mintKey(ic.ws.workspaceId, ic.ws.adminMemberId);
  await grant(ic.ws.workspaceId, 20_000_000);
  await grant(ic.adjWs, 20_000_000);
  await grant(ic.dedWs, 20_000_000);

  const settings = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
  expect(settings.status).toBe(200);
  ctx.initialAutoTopup = settings.body;
});

// --- generated from /openapi.json: every operation, by its declared security ----------------------

// Operations anyone may call without a key or token. Each says how it is protected instead; a new
// route with no `security` fails the test below until it is listed here (or, better, secured).
const PUBLIC_OPERATIONS: Record<string, string> = {
  'GET /healthz': 'liveness only: no data',
  'POST /v1/stripe/webhook': 'authenticated by Stripe-Signature over the raw body (checked below)',
};

// Routes the app serves outside /openapi.json, and what guards them. Anything else the app serves
// must be in the document (and so in the generated matrix).
const UNDOCUMENTED_ROUTES: Array<[RegExp, string]> = [
  [/^\/openapi\.json$/, 'the public API description itself'],
  [/^\/docs(\/|$)/, 'the public API reference page'],
  [/^\/dashboard(\/|$)/, 'the billing page: its own session cookie, CSRF token and Origin check (test/dashboard, test/hardening)'],
  [/^\/__bench(\/|$)/, 'local benchmark helpers, absent unless enabled (test/security/bench_routes.test.ts)'],
  [/^\/__scheduled(\/|$)/, 'local hand-fired cron, absent unless enabled'],
];

const opName = (o: { method: string; path: string }) => `${o.method.toUpperCase()} ${o.path}`;
const schemesOf = (o: Operation): string[] => ((o.op.security ?? []) as Json[]).flatMap((requirement) => Object.keys(requirement));

const generated = {} as { doc: Json; operations: Operation[] };
beforeAll(async () => {
  generated.doc = await fetchDocument();
  generated.operations = operationsOf(generated.doc);
});

/** The operation sent as the document's example says, with exactly these credentials. */
async function sendExample(o: Operation, headers: Record<string, string>) {
  const res = await exports.default.fetch(exampleRequest(generated.doc, o, headers));
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the assertion shows the text
  }
  return { status: res.status, code: body?.error?.code as string | undefined, text };
}

/** Every operation of `scheme` answering each credential with `status`/`code`; the misses, named. */
async function misses(scheme: string, credentials: Array<[string, () => Record<string, string>]>, status: number, code: string, only?: (o: Operation) => boolean) {
  const ops = generated.operations.filter((o) => schemesOf(o).includes(scheme) && (!only || only(o)));
  const wrong: string[] = [];
  for (const o of ops) {
    for (const [label, headers] of credentials) {
      const res = await sendExample(o, headers());
      if (res.status !== status || res.code !== code) wrong.push(`${opName(o)} with ${label} → ${res.status} ${res.code ?? res.text.slice(0, 80)}`);
      for (const secret of ctx.aSecrets ?? []) if (res.text.includes(secret)) wrong.push(`${opName(o)} with ${label} leaked ${secret}`);
    }
  }
  return { count: ops.length, wrong };
}

describe('generated from /openapi.json: every operation refuses the wrong credentials', () => {
  it('every operation declares internalToken or apiKey security, or is a listed public one', () => {
    const known = new Set(['internalToken', 'apiKey']);
    const problems: string[] = [];
    for (const o of generated.operations) {
      const schemes = schemesOf(o);
      const isPublic = opName(o) in PUBLIC_OPERATIONS;
      if (schemes.length === 0 && !isPublic) problems.push(`${opName(o)}: no security and not in PUBLIC_OPERATIONS`);
      if (schemes.length > 0 && isPublic) problems.push(`${opName(o)}: secured, yet listed as public`);
      for (const scheme of schemes) if (!known.has(scheme)) problems.push(`${opName(o)}: unknown scheme ${scheme} (add it to this matrix)`);
      // One requirement object, one scheme: alternatives (`[{a}, {b}]`) or an empty `{}` would open it.
      if (schemes.length > 0 && (o.op.security.length !== 1 || schemes.length !== 1)) problems.push(`${opName(o)}: security must be exactly one scheme`);
    }
    expect(problems).toEqual([]);
    // The document has no global default that could make an operation without `security` secured (or open).
    expect(generated.doc.security).toBeUndefined();
    expect(Object.keys(PUBLIC_OPERATIONS).filter((n) => !generated.operations.some((o) => opName(o) === n))).toEqual([]);
  });

  it('every route the app serves is in the document, or a listed undocumented one', () => {
    const documented = new Set(generated.operations.map(opName));
    const stray: string[] = [];
    for (const route of buildApp().routes) {
      if (route.method === 'ALL') continue; // middleware
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const name = `${route.method} ${path}`;
      if (!documented.has(name) && !UNDOCUMENTED_ROUTES.some(([re]) => re.test(path))) stray.push(name);
    }
    expect(stray).toEqual([]);
  });

  it('internalToken operations: no token or a wrong token → 401 unauthenticated', async () => {
    const { count, wrong } = await misses(
      'internalToken',
      [
        ['no token', () => ({})],
        ['a wrong token', () => bearer('not-the-internal-token')],
        ['the token in X-API-Key', () => xApiKey(INTERNAL_TOKEN)],
        ['an admin API key', () => bearer(ctx.a.adminKey)],
      ],
      401,
      'unauthenticated',
    );
    expect(count).toBeGreaterThanOrEqual(20);
    expect(wrong).toEqual([]);
  });

  it('apiKey operations: no key, an unknown key or a revoked key → 401 unauthenticated', async () => {
    const { count, wrong } = await misses(
      'apiKey',
      [
        ['no key', () => ({})],
        ['an unknown key', () => xApiKey('br_thisIsNotAKeyThisIsNotAKeyThisIsNotAKey123')],
        ['an unknown Bearer key', () => bearer('br_thisIsNotAKeyThisIsNotAKeyThisIsNotAKey123')],
        ['a revoked key', () => xApiKey(ctx.aRevokedKey)],
        ['the internal token', () => bearer(INTERNAL_TOKEN)],
      ],
      401,
      'unauthenticated',
    );
    expect(count).toBeGreaterThanOrEqual(14);
    expect(wrong).toEqual([]);
  });

  it('admin-only operations: a member’s key → 403 forbidden; the list is what the document says', async () => {
    const adminOnly = new Set(ADMIN_ONLY_OPERATIONS);
    // The document marks them by their 403 answer: the list and the document agree.
    const documented403 = generated.operations.filter((o) => schemesOf(o).includes('apiKey') && o.op.responses['403']).map(opName);
    expect(documented403.sort()).toEqual([...adminOnly].sort());
    const { count, wrong } = await misses('apiKey', [['a member key', () => xApiKey(ctx.aMember.apiKey)]], 403, 'forbidden', (o) => adminOnly.has(opName(o)));
    expect(count).toBe(adminOnly.size);
    expect(wrong).toEqual([]);
  });

  it('the other apiKey operations accept a member’s key (neither 401 nor 403)', async () => {
    const others = generated.operations.filter((o) => schemesOf(o).includes('apiKey') && !ADMIN_ONLY_OPERATIONS.includes(opName(o)));
    expect(others.length).toBeGreaterThanOrEqual(8);
    const refused: string[] = [];
    for (const o of others) {
      const res = await sendExample(o, xApiKey(ctx.aMember.apiKey));
      if (res.status === 401 || res.status === 403) refused.push(`${opName(o)} → ${res.status} ${res.code}`);
    }
    expect(refused).toEqual([]);
  });

  it('the Stripe webhook: a missing or bad signature → 400 invalid_request', async () => {
    const webhook = generated.operations.find((o) => opName(o) === 'POST /v1/stripe/webhook')!;
    const base = exampleRequest(generated.doc, webhook, {});
    const body = await base.clone().text();
    for (const signature of [undefined, '', 't=1,v1=00', `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (signature !== undefined) headers['stripe-signature'] = signature;
      const res = await exports.default.fetch(new Request(base.url, { method: 'POST', headers, body }));
      const reply = (await res.json()) as Json;
      expect({ signature, status: res.status, code: reply.error?.code }).toEqual({ signature, status: 400, code: 'invalid_request' });
    }
  });

  it('GET /healthz answers without credentials and tells nothing about a workspace', async () => {
    const res = await call('GET', '/healthz', {});
    expect(res.status).toBe(200);
    for (const secret of ctx.aSecrets) expect(res.text).not.toContain(secret);
  });
});

// --- public API: authentication ------------------------------------------------------------------

interface PublicRoute {
  name: string;
  method: 'GET' | 'PUT';
  path: () => string;
  body?: unknown;
}

// A valid request to each public route; only the credentials vary in the matrix.
const KEEP_AUTO_TOPUP_OFF = { enabled: false, thresholdCents: 4_321, topupAmountCents: 8_765 };
const publicRoutes: PublicRoute[] = [
  { name: 'GET /v1/billing/plan', method: 'GET', path: () => '/v1/billing/plan' },
  { name: 'GET /v1/billing/credits', method: 'GET', path: () => '/v1/billing/credits' },
  { name: 'GET /v1/billing/credits/history', method: 'GET', path: () => '/v1/billing/credits/history' },
  { name: 'GET /v1/billing/transactions/:id', method: 'GET', path: () => `/v1/billing/transactions/${ctx.aGrantTxn}` },
  { name: 'GET /v1/billing/auto-topup', method: 'GET', path: () => '/v1/billing/auto-topup' },
  { name: 'PUT /v1/billing/auto-topup', method: 'PUT', path: () => '/v1/billing/auto-topup', body: KEEP_AUTO_TOPUP_OFF },
];

const badPublicCredentials: Array<[string, () => Record<string, string>]> = [
  ['no credentials', () => ({})],
  ['an empty X-API-Key', () => xApiKey('')],
  ['a garbage X-API-Key', () => xApiKey('br_thisIsNotAKeyThisIsNotAKeyThisIsNotAKey123')],
  ['a garbage Bearer key', () => bearer('br_thisIsNotAKeyThisIsNotAKeyThisIsNotAKey123')],
  ['an over-long key', () => xApiKey(`br_${'a'.repeat(5_000)}`)],
  ['a revoked key in X-API-Key', () => xApiKey(ctx.aRevokedKey)],
  ['a revoked key as Bearer', () => bearer(ctx.aRevokedKey)],
  ['a valid key under the Basic scheme', () => ({ authorization: `Basic ${ctx.a.adminKey}` })],
  ['the internal service token', () => bearer(INTERNAL_TOKEN)],
];

describe('public API rejects missing, unknown and revoked keys with 401 unauthenticated', () => {
  describe.each(publicRoutes)('$name', (route) => {
    it.each(badPublicCredentials)('%s → 401', async (_label, headers) => {
      const res = await call(route.method, route.path(), headers(), route.body);
      expectError(res, 401, 'unauthenticated');
      // A refused caller learns nothing about the workspace.
      for (const secret of ctx.aSecrets) expect(res.text).not.toContain(secret);
    });
  });

  it('the refused PUTs above changed no setting', async () => {
    const now = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
    expect(now.status).toBe(200);
    expect(now.body).toEqual(ctx.initialAutoTopup);
  });

  it('an unauthenticated PUT with an invalid body is still 401 (authentication comes first)', async () => {
    const res = await call('PUT', '/v1/billing/auto-topup', {}, { enabled: 'yes', thresholdCents: -5 });
    expectError(res, 401, 'unauthenticated');
  });

  it('revoking one key leaves the other keys of the member working', async () => {
    const res = await publicApi('GET', '/v1/billing/credits', ctx.a.adminKey);
    expect(res.status).toBe(200);
    expect(res.body.balanceMicros).toBe(ctx.aBalance);
  });
});

describe('public API accepts a key as X-API-Key and as Authorization: Bearer alike', () => {
  it.each(publicRoutes)('$name', async (route) => {
    const viaHeader = await call(route.method, route.path(), xApiKey(ctx.a.adminKey), route.body);
    const viaBearer = await call(route.method, route.path(), bearer(ctx.a.adminKey), route.body);
    expect(viaHeader.status).toBe(200);
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.body).toEqual(viaHeader.body);
  });

  it('the answers are those of the key’s own workspace', async () => {
    const credits = await call('GET', '/v1/billing/credits', bearer(ctx.a.adminKey));
    expect(credits.body.balanceMicros).toBe(ctx.aBalance);
    const txn = await call('GET', `/v1/billing/transactions/${ctx.aChargeTxn}`, bearer(ctx.a.adminKey));
    expect(txn.body).toMatchObject({ id: ctx.aChargeTxn, type: 'usage', amountMicros: -2_500_000 });
  });
});

// --- public API: tenant isolation ----------------------------------------------------------------

describe("a key of workspace B never sees workspace A's data", () => {
  it.each([
    ['A’s grant', () => ctx.aGrantTxn],
    ['A’s charge', () => ctx.aChargeTxn],
  ])('GET /v1/billing/transactions/<%s> with B’s key → 404, indistinguishable from an id that never existed', async (_label, txnId) => {
    const foreign = await publicApi('GET', `/v1/billing/transactions/${txnId()}`, ctx.b.adminKey);
    expectError(foreign, 404, 'not_found');
    for (const secret of ctx.aSecrets) expect(JSON.stringify(foreign.body)).not.toContain(secret);

    const neverExisted = await publicApi('GET', '/v1/billing/transactions/txn_0000000000neverexisted00', ctx.b.adminKey);
    expectError(neverExisted, 404, 'not_found');
    expect(foreign.body.error.message).toBe(neverExisted.body.error.message);
  });

  it('…and the same for A’s key on B’s transaction', async () => {
    const res = await publicApi('GET', `/v1/billing/transactions/${ctx.bTxn}`, ctx.a.adminKey);
    expectError(res, 404, 'not_found');
  });

  it.each([
    ['', 'admin'],
    ['?limit=200', 'admin'],
    ['?type=adjustment', 'admin'],
    ['?type=usage', 'admin'],
    ['?status=completed', 'admin'],
    ['?limit=200', 'member'],
  ])('B’s history%s (%s key) lists only B’s transactions', async (query, role) => {
    const key = role === 'admin' ? ctx.b.adminKey : ctx.bMember.apiKey;
    const res = await publicApi('GET', `/v1/billing/credits/history${query}`, key);
    expect(res.status).toBe(200);
    expect(res.body.data.map((t: { id: string }) => t.id)).toEqual(query.includes('usage') ? [] : [ctx.bTxn]);
    for (const secret of ctx.aSecrets) expect(JSON.stringify(res.body)).not.toContain(secret);
  });

  it('a cursor taken from A’s history does not page into A’s ledger for B', async () => {
    const aPage = await publicApi('GET', '/v1/billing/credits/history?limit=1', ctx.a.adminKey);
    expect(aPage.status).toBe(200);
    expect(aPage.body.nextCursor).toEqual(expect.any(String));
    const res = await publicApi('GET', `/v1/billing/credits/history?cursor=${encodeURIComponent(aPage.body.nextCursor)}`, ctx.b.adminKey);
    // Either refused or B's own rows: never A's.
    if (res.status === 200) {
      for (const t of res.body.data) expect(t.id).toBe(ctx.bTxn);
    } else {
      expectError(res, 400, 'invalid_request');
    }
    for (const secret of ctx.aSecrets) expect(JSON.stringify(res.body)).not.toContain(secret);
  });

  it.each(['/v1/billing/credits', '/v1/billing/plan'])('%s with B’s key shows B’s balance only', async (path) => {
    const res = await publicApi('GET', path, ctx.b.adminKey);
    expect(res.status).toBe(200);
    const credits = path.endsWith('plan') ? res.body.credits : res.body;
    expect(credits.balanceMicros).toBe(ctx.bBalance);
    for (const secret of ctx.aSecrets) expect(JSON.stringify(res.body)).not.toContain(secret);
  });
});

// --- public API: roles ---------------------------------------------------------------------------

describe('roles: members read, only admins change auto-top-up', () => {
  it.each(publicRoutes.filter((r) => r.method === 'GET'))('a member may $name', async (route) => {
    const res = await call(route.method, route.path(), xApiKey(ctx.aMember.apiKey));
    expect(res.status).toBe(200);
  });

  it('a member PUT /v1/billing/auto-topup → 403 forbidden, and the settings did not change', async () => {
    const before = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
    const body = { enabled: false, thresholdCents: 1_111, topupAmountCents: 2_222 };
    for (const headers of [xApiKey(ctx.aMember.apiKey), bearer(ctx.aMember.apiKey)]) {
      const res = await call('PUT', '/v1/billing/auto-topup', headers, body);
      expectError(res, 403, 'forbidden');
    }
    const after = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
    expect(after.body.thresholdCents).not.toBe(1_111);
    const plan = await publicApi('GET', '/v1/billing/plan', ctx.aMember.apiKey);
    expect(plan.body.autoTopup).toEqual(before.body);
  });

  it('a member PUT with an invalid body is 403 too (the role is checked before the body)', async () => {
    const res = await call('PUT', '/v1/billing/auto-topup', xApiKey(ctx.aMember.apiKey), { enabled: 'maybe' });
    expectError(res, 403, 'forbidden');
  });

  it('an admin enabling auto-top-up without a saved payment method → 409 payment_method_required, nothing changed', async () => {
    const before = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
    expect(before.body.paymentMethod).toBeNull();
    const res = await publicApi('PUT', '/v1/billing/auto-topup', ctx.a.adminKey, { enabled: true, thresholdCents: 3_333, topupAmountCents: 4_444 });
    expectError(res, 409, 'payment_method_required');
    const after = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
    expect(after.body).toEqual(before.body);
  });

  it.each([
    ['the workspace’s first admin', () => ctx.a.adminKey, { enabled: false, thresholdCents: 1_111, topupAmountCents: 2_222 }],
    ['an admin added later', () => ctx.aSecondAdmin.apiKey, { enabled: false, thresholdCents: 5_000, topupAmountCents: 10_000 }],
  ])('%s: the same PUT → 200, and the settings are in force', async (_label, key, body) => {
    const res = await publicApi('PUT', '/v1/billing/auto-topup', key(), body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...body, paymentMethod: null, mode: 'fixed', targetCents: null, monthlyLimitCents: null, spentThisMonthCents: 0 });
    const read = await publicApi('GET', '/v1/billing/auto-topup', ctx.aMember.apiKey);
    expect(read.body).toEqual(res.body);
    const plan = await publicApi('GET', '/v1/billing/plan', ctx.aMember.apiKey);
    expect(plan.body.autoTopup).toEqual(res.body);
  });

  it('an admin of B changing settings leaves A’s untouched', async () => {
    const before = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
    const res = await publicApi('PUT', '/v1/billing/auto-topup', ctx.b.adminKey, { enabled: false, thresholdCents: 0, topupAmountCents: 500 });
    expect(res.status).toBe(200);
    const after = await publicApi('GET', '/v1/billing/auto-topup', ctx.a.adminKey);
    expect(after.body).toEqual(before.body);
  });
});

// --- internal API --------------------------------------------------------------------------------

interface InternalRoute {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: () => string;
  body?: () => unknown;
  /** Runs after all the refused calls: proves none of them was recorded, then that the token works. */
  nothingRecordedThenAccepted: () => Promise<void>;
}

const internalRoutes: InternalRoute[] = [
  {
    name: 'POST /internal/v1/workspaces',
    method: 'POST',
    path: () => '/internal/v1/workspaces',
    body: () => ({ id: `ws-create-${ic.tag}`, name: 'Refused workspace', admin: { name: 'Ada', email: `refused-${ic.tag}@example.com` } }),
    async nothingRecordedThenAccepted() {
      // Had a refused call been recorded under this id, another body with it would be a 409.
      const res = await internal('POST', '/internal/v1/workspaces', { id: `ws-create-${ic.tag}`, name: 'Another name', admin: { name: 'Ada', email: `other-${ic.tag}@example.com` } });
      expect(res.status).toBe(201);
      expect(res.body.workspace.name).toBe('Another name');
    },
  },
  {
    name: 'POST /internal/v1/workspaces/:ws/members',
    method: 'POST',
    path: () => `/internal/v1/workspaces/${ic.ws.workspaceId}/members`,
    body: () => ({ name: 'Refused member', email: `refused-member-${ic.tag}@example.com`, role: 'admin' }),
    async nothingRecordedThenAccepted() {
      // Had a refused call created the member, this email would now be taken (400).
      const res = await internal('POST', `/internal/v1/workspaces/${ic.ws.workspaceId}/members`, { name: 'Refused member', email: `refused-member-${ic.tag}@example.com`, role: 'admin' });
      expect(res.status).toBe(201);
    },
  },
  {
    name: 'POST /internal/v1/workspaces/:ws/api-keys',
    method: 'POST',
    path: () => `/internal/v1/workspaces/${ic.ws.workspaceId}/api-keys`,
    body: () => ({ id: `key-create-${ic.tag}`, memberId: ic.ws.adminMemberId }),
    async nothingRecordedThenAccepted() {
      const res = await internal('POST', `/internal/v1/workspaces/${ic.ws.workspaceId}/api-keys`, { id: `key-create-${ic.tag}`, memberId: ic.member.memberId });
      expect(res.status).toBe(201);
      expect(res.body.memberId).toBe(ic.member.memberId);
    },
  },
  {
    name: 'DELETE /internal/v1/workspaces/:ws/api-keys/:id',
    method: 'DELETE',
    path: () => `/internal/v1/workspaces/${ic.ws.workspaceId}/api-keys/${ic.victimKey.id}`,
    async nothingRecordedThenAccepted() {
      expect((await publicApi('GET', '/v1/billing/credits', ic.victimKey.apiKey)).status).toBe(200);
      const res = await internal('DELETE', `/internal/v1/workspaces/${ic.ws.workspaceId}/api-keys/${ic.victimKey.id}`);
      expect(res.status).toBe(200);
      expectError(await publicApi('GET', '/v1/billing/credits', ic.victimKey.apiKey), 401, 'unauthenticated');
    },
  },
  {
    name: 'GET /internal/v1/workspaces/:ws/credit-check',
    method: 'GET',
    path: () => `/internal/v1/workspaces/${ic.ws.workspaceId}/credit-check?amountMicros=1`,
    async nothingRecordedThenAccepted() {
      const res = await internal('GET', `/internal/v1/workspaces/${ic.ws.workspaceId}/credit-check?amountMicros=1`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ allowed: true, balanceMicros: 20_000_000 });
    },
  },
  {
    name: 'POST /internal/v1/adjustments',
    method: 'POST',
    path: () => '/internal/v1/adjustments',
    body: () => ({ id: `adj-${ic.tag}`, workspaceId: ic.adjWs, amountMicros: 7_000_000, description: `refused grant ${ic.tag}` }),
    async nothingRecordedThenAccepted() {
      expect(await balanceOf(ic.adjWs)).toBe(20_000_000);
      const res = await internal('POST', '/internal/v1/adjustments', { id: `adj-${ic.tag}`, workspaceId: ic.adjWs, amountMicros: 7_000_000, description: `refused grant ${ic.tag}` });
      expect(res.status).toBe(201);
      expect(res.headers.get('idempotent-replayed')).toBeNull(); // a first recording, not a replay
      expect(res.body.balanceAfterMicros).toBe(27_000_000);
    },
  },
  {
    name: 'POST /internal/v1/deductions',
    method: 'POST',
    path: () => '/internal/v1/deductions',
    body: () => ({ id: `ded-${ic.tag}`, workspaceId: ic.dedWs, amountMicros: 1_000_000, description: `refused charge ${ic.tag}` }),
    async nothingRecordedThenAccepted() {
      expect(await balanceOf(ic.dedWs)).toBe(20_000_000);
      const res = await internal('POST', '/internal/v1/deductions', { id: `ded-${ic.tag}`, workspaceId: ic.dedWs, amountMicros: 1_000_000, description: `refused charge ${ic.tag}` });
      expect(res.status).toBe(201);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expect(res.body.balanceAfterMicros).toBe(19_000_000);
    },
  },
];

const badInternalAuth: Array<[string, () => Record<string, string>]> = [
  ['no Authorization header', () => ({})],
  ['a wrong token', () => bearer('not-the-internal-token')],
  ['the token minus its last character', () => bearer(INTERNAL_TOKEN.slice(0, -1))],
  ['the token plus one character', () => bearer(`${INTERNAL_TOKEN}x`)],
  ['the token without the Bearer scheme', () => ({ authorization: INTERNAL_TOKEN })],
  ['the token under the Basic scheme', () => ({ authorization: `Basic ${INTERNAL_TOKEN}` })],
  ['an empty Bearer', () => ({ authorization: 'Bearer ' })],
  ['the token in X-API-Key', () => xApiKey(INTERNAL_TOKEN)],
  ['a public admin API key as Bearer', () => bearer(ic.ws.adminKey)],
  ['a public admin API key in X-API-Key', () => xApiKey(ic.ws.adminKey)],
];

describe('internal API refuses everything but the internal token with 401 unauthenticated', () => {
  describe.each(internalRoutes)('$name', (route) => {
    it.each(badInternalAuth)('%s → 401', async (_label, headers) => {
      const res = await call(route.method, route.path(), headers(), route.body?.());
      expectError(res, 401, 'unauthenticated');
    });

    it('a refused call with an invalid body is 401, not 400 (authentication comes first)', async () => {
      const res = await call(route.method, route.path(), {}, route.body ? '{"id":' : undefined);
      expectError(res, 401, 'unauthenticated');
    });

    it('nothing was recorded by the refused calls; the internal token is accepted', async () => {
      await route.nothingRecordedThenAccepted();
    });
  });

  it('refused money calls left no ledger entry behind', async () => {
    // Each money workspace holds its setup grant plus the one accepted call, nothing else.
    for (const [ws, expected] of [
      [ic.adjWs, 27_000_000],
      [ic.dedWs, 19_000_000],
    ] as const) {
      expect(await balanceOf(ws)).toBe(expected);
    }
  });

  it.each([
    ['POST', '/internal/v1/%77orkspaces'],
    ['POST', '/internal/v1/workspaces/'],
    ['POST', '/internal//v1/workspaces'],
    ['POST', '/INTERNAL/v1/workspaces'],
    ['POST', '/internal/v1/./workspaces'],
    ['POST', '/v1/../internal/v1/workspaces'],
  ])('path tricks do not bypass the token: %s %s → 401 or 404, never a success', async (method, path) => {
    const res = await call(method, path, {}, { name: 'Sneaky', admin: { name: 'Eve', email: 'eve@example.com' } });
    expect([401, 404]).toContain(res.status);
    expectError(res, res.status, res.status === 401 ? 'unauthenticated' : 'not_found');
  });
});

// --- unknown routes ------------------------------------------------------------------------------

describe('unknown routes → 404 not_found in the error shape', () => {
  it.each([
    ['GET', '/nope', () => ({})],
    ['GET', '/v1/billing/nope', () => xApiKey(ctx.a.adminKey)],
    ['GET', '/v1/billing/transactions', () => xApiKey(ctx.a.adminKey)],
    ['GET', '/v1/billing/transactions/', () => xApiKey(ctx.a.adminKey)],
    ['POST', '/internal/v1/nope', internalAuth],
    ['GET', '/internal/v1/workspaces', internalAuth],
    ['GET', `/internal/v1/workspaces/ws_abc/nope`, internalAuth],
  ])('%s %s', async (method, path, headers) => {
    const res = await call(method, path, headers());
    expectError(res, 404, 'not_found');
  });
});

// --- tenant isolation of the ledger itself -------------------------------------------------------

describe('a workspace’s ledger is computed from its own entries only', () => {
  it('a workspace created after other tenants hold credits can be funded and read', async () => {
    // Other workspaces of this file hold credits by now. This one's ledger is loaded for the first
    // time here; its balance (0) must be checked against its own entries (none), not everyone's.
    const late = await createWorkspace('Late tenant');
    const check = await internal('GET', `/internal/v1/workspaces/${late.workspaceId}/credit-check?amountMicros=0`);
    expect(check.status).toBe(200);
    expect(check.body.balanceMicros).toBe(0);
    const res = await internal('POST', '/internal/v1/adjustments', { id: unique('late-grant'), workspaceId: late.workspaceId, amountMicros: 1_000_000, description: 'Late grant' });
    expect(res.status).toBe(201);
    const credits = await publicApi('GET', '/v1/billing/credits', late.adminKey);
    expect(credits.status).toBe(200);
    expect(credits.body.balanceMicros).toBe(1_000_000);
  });
});
