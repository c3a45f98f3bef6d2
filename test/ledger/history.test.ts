import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { addMember, createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import { adjust, balanceRow, CREDIT, creditCheck, insertEntry, ledgerRows } from './ledger_helpers';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CONTRACT_FIELDS = ['id', 'createdAt', 'type', 'description', 'amountMicros', 'status', 'invoiceUrl', 'balanceAfterMicros'];

interface Txn {
  id: string;
  createdAt: string;
  type: string;
  description: string;
  amountMicros: number;
  status: string;
  invoiceUrl: string | null;
  balanceAfterMicros: number | null;
  forgivenMicros?: number;
}

const history = (apiKey: string, query = '') => publicApi<{ data: Txn[]; nextCursor: string | null }>('GET', `/v1/billing/credits/history${query}`, apiKey);

/** Follows nextCursor from the first page to the last, returning every page. */
async function walk(apiKey: string, query: string) {
  const pages: Txn[][] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const res = await history(apiKey, `?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    pages.push(res.body.data);
    cursor = res.body.nextCursor;
    if (cursor === null) return pages;
    expect(typeof cursor).toBe('string');
  }
  throw new Error('pagination did not end');
}

/** A workspace with `n` ledger entries made one after another: a grant, then alternating charges and grants. */
async function workspaceWithEntries(n: number) {
  const ws = await createWorkspace('History');
  const made: Txn[] = [await grant(ws.workspaceId, 100 * CREDIT, unique('h-grant'))];
  for (let i = 1; i < n; i++) {
    const res = i % 2 === 1 ? await deduct(ws.workspaceId, i * 1000, unique(`h-usage-${i}`), `Charge ${i}`) : await adjust(ws.workspaceId, i * 1000, unique(`h-adj-${i}`), `Grant ${i}`);
    expect(res.status).toBe(201);
    made.push(res.body);
  }
  return { ws, made };
}

describe('GET /v1/billing/credits/history', () => {
  it('lists the ledger newest first, each entry in the contract Transaction shape', async () => {
    const ws = await createWorkspace('History shape');
    const g = await grant(ws.workspaceId, 10 * CREDIT, unique('shape-grant'));
    const d1 = (await deduct(ws.workspaceId, 1_500_000, unique('shape-d1'), 'GPU minute')).body;
    const d2 = (await deduct(ws.workspaceId, 250_000, unique('shape-d2'), 'Tool call')).body;
    const correction = (await adjust(ws.workspaceId, -750_000, unique('shape-fix'), 'Correction')).body;

    const res = await history(ws.adminKey);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data).toEqual([correction, d2, d1, g]);

    const [c, u2, u1, a] = res.body.data as [Txn, Txn, Txn, Txn];
    expect(a).toMatchObject({ type: 'adjustment', amountMicros: 10 * CREDIT, balanceAfterMicros: 10 * CREDIT, description: 'Test grant' });
    expect(u1).toMatchObject({ type: 'usage', amountMicros: -1_500_000, balanceAfterMicros: 8_500_000, description: 'GPU minute' });
    expect(u2).toMatchObject({ type: 'usage', amountMicros: -250_000, balanceAfterMicros: 8_250_000, description: 'Tool call' });
    expect(c).toMatchObject({ type: 'adjustment', amountMicros: -750_000, balanceAfterMicros: 7_500_000, description: 'Correction' });

    for (const t of res.body.data) {
      for (const field of CONTRACT_FIELDS) expect(t, field).toHaveProperty(field);
      expect(t.id).toMatch(/^txn_[A-Za-z0-9_]+$/);
      expect(t.createdAt).toMatch(ISO_UTC);
      expect(new Date(t.createdAt).toISOString()).toBe(t.createdAt);
      expect(Number.isInteger(t.amountMicros)).toBe(true);
      expect(Number.isInteger(t.balanceAfterMicros)).toBe(true);
      expect(t.status).toBe('completed');
      expect(t.invoiceUrl).toBeNull();
    }
    const times = res.body.data.map((t) => Date.parse(t.createdAt));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    // The last entry's balance-after is the balance now.
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(c.balanceAfterMicros);
  });

  it('is readable by a member (not only admins) and shows only this workspace', async () => {
    const a = await createWorkspace('History A');
    const b = await createWorkspace('History B');
    await grant(a.workspaceId, 3 * CREDIT);
    await grant(b.workspaceId, 4 * CREDIT);
    const member = await addMember(a.workspaceId, 'member');

    const asMember = await history(member.apiKey);
    expect(asMember.status).toBe(200);
    expect(asMember.body.data.map((t) => t.amountMicros)).toEqual([3 * CREDIT]);
    const ofB = await history(b.adminKey);
    expect(ofB.body.data.map((t) => t.amountMicros)).toEqual([4 * CREDIT]);

    const anonymous = await history('');
    expect(anonymous.status).toBe(401);
    expect((anonymous.body as any).error.code).toBe('unauthenticated');
  });

  it('pages with limit=3 visit every entry exactly once, in order, and the last page says nextCursor: null', async () => {
    const { ws, made } = await workspaceWithEntries(11);
    const pages = await walk(ws.adminKey, 'limit=3');

    expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 2]);
    const ids = pages.flat().map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(made.map((t) => t.id).reverse());
    expect(pages.flat()).toEqual([...made].reverse());
  });

  it('when the entries fill the last page exactly, that page already says nextCursor: null', async () => {
    const { ws, made } = await workspaceWithEntries(6);
    const pages = await walk(ws.adminKey, 'limit=3');
    expect(pages.map((p) => p.length)).toEqual([3, 3]);
    expect(pages.flat().map((t) => t.id)).toEqual(made.map((t) => t.id).reverse());
  });

  it('entries written while paging do not shift the pages: no duplicates, nothing skipped', async () => {
    const { ws, made } = await workspaceWithEntries(7);
    const first = await history(ws.adminKey, '?limit=3');
    expect(first.body.data.map((t) => t.id)).toEqual(made.slice(-3).map((t) => t.id).reverse());

    // Two new entries arrive between page requests.
    await deduct(ws.workspaceId, 1000, unique('late-1'));
    await adjust(ws.workspaceId, 1000, unique('late-2'));

    const seen = [...first.body.data];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await history(ws.adminKey, `?limit=3&cursor=${encodeURIComponent(cursor)}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
    }
    expect(seen.map((t) => t.id)).toEqual(made.map((t) => t.id).reverse());
  });

  it('with limit=1 and usage accumulating, the first page is the open hour and the next pages still reach every entry', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 5 * CREDIT);
    await deduct(ws.workspaceId, CREDIT / 2);
    const usage = await internal('POST', '/internal/v1/usage', { events: [{ id: unique('tool'), workspaceId: ws.workspaceId, type: 'tool_execution' }] });
    expect(usage.status).toBe(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await publicApi('GET', `/v1/billing/credits/history?limit=1${cursor ? `&cursor=${cursor}` : ''}`, ws.adminKey);
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1);
      seen.push(res.body.data[0].status);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['accumulating', 'completed', 'completed']);
  });

  it('returns 50 entries by default, and up to 200 when asked', async () => {
    const ws = await createWorkspace('History default limit');
    await grant(ws.workspaceId, 100 * CREDIT);
    const charges = await Promise.all(Array.from({ length: 52 }, (_, i) => deduct(ws.workspaceId, 1000, unique(`many-${i}`))));
    expect(charges.every((r) => r.status === 201)).toBe(true);

    const page = await history(ws.adminKey);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(50);
    expect(page.body.nextCursor).not.toBeNull();
    const rest = await history(ws.adminKey, `?cursor=${encodeURIComponent(page.body.nextCursor!)}`);
    expect(rest.body.data).toHaveLength(3);
    expect(rest.body.nextCursor).toBeNull();

    const all = await history(ws.adminKey, '?limit=200');
    expect(all.body.data).toHaveLength(53);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.data.map((t) => t.id)).toEqual([...page.body.data, ...rest.body.data].map((t) => t.id));
    const seqOrder = (await ledgerRows(ws.workspaceId)).map((r) => r.id).reverse();
    expect(all.body.data.map((t) => t.id)).toEqual(seqOrder);
  });

  it('rejects a bad limit or cursor with 400 invalid_request naming the field', async () => {
    const ws = await createWorkspace('History validation');
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?limit=abc', 'limit'],
      ['?limit=-1', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${btoa('v2:5')}`, 'cursor'],
      ['?type=gift', 'type'],
      ['?status=done', 'status'],
    ] as const) {
      const res = await history(ws.adminKey, query);
      expect(res.status, query).toBe(400);
      expect((res.body as any).error.code, query).toBe('invalid_request');
      expect((res.body as any).error.message, query).toContain(field);
    }
  });

  it('filters by type and by status, and pages within a filter', async () => {
    const ws = await createWorkspace('History filters');
    await grant(ws.workspaceId, 10 * CREDIT, unique('f-grant-1'));
    const usage = [];
    for (let i = 0; i < 5; i++) usage.push((await deduct(ws.workspaceId, 100_000 * (i + 1), unique(`f-usage-${i}`))).body);
    await adjust(ws.workspaceId, 2 * CREDIT, unique('f-grant-2'));
    await adjust(ws.workspaceId, -CREDIT, unique('f-fix'));
    // A pending deposit (a top-up awaiting payment), written straight to D1: pending entries do not
    // count towards the balance, so the ledger invariant still holds.
    const pending = insertEntry(ws.workspaceId, { status: 'pending', type: 'deposit', amountMicros: 25 * CREDIT });
    await pending.statement.run();

    const byUsage = await history(ws.adminKey, '?type=usage');
    expect(byUsage.body.data.map((t) => t.id)).toEqual(usage.map((t) => t.id).reverse());
    expect(byUsage.body.data.every((t) => t.type === 'usage' && t.amountMicros < 0)).toBe(true);

    const byAdjustment = await history(ws.adminKey, '?type=adjustment');
    expect(byAdjustment.body.data.map((t) => t.amountMicros)).toEqual([-CREDIT, 2 * CREDIT, 10 * CREDIT]);
    expect(byAdjustment.body.data.every((t) => t.type === 'adjustment')).toBe(true);

    const byPending = await history(ws.adminKey, '?status=pending');
    expect(byPending.body.data).toHaveLength(1);
    expect(byPending.body.data[0]).toMatchObject({ id: pending.id, type: 'deposit', status: 'pending', amountMicros: 25 * CREDIT, balanceAfterMicros: null });

    const byCompleted = await history(ws.adminKey, '?status=completed');
    expect(byCompleted.body.data).toHaveLength(8);
    expect(byCompleted.body.data.some((t) => t.id === pending.id)).toBe(false);

    const unfiltered = await history(ws.adminKey);
    expect(unfiltered.body.data).toHaveLength(9);
    expect(unfiltered.body.data[0]!.id).toBe(pending.id);

    expect((await history(ws.adminKey, '?type=deposit&status=completed')).body.data).toEqual([]);
    expect((await history(ws.adminKey, '?type=refund')).body).toEqual({ data: [], nextCursor: null });

    const usagePages = await walk(ws.adminKey, 'type=usage&limit=2');
    expect(usagePages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(usagePages.flat().map((t) => t.id)).toEqual(usage.map((t) => t.id).reverse());

    // The pending deposit does not count in the balance.
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(10 * CREDIT - 1_500_000 + CREDIT);
  });
});

describe('negative adjustments never take the balance below zero', () => {
  it('a correction larger than the balance takes it to 0 and records the rest as forgivenMicros', async () => {
    const ws = await createWorkspace('Forgiven');
    await grant(ws.workspaceId, 3 * CREDIT);

    const correctionId = unique('too-big-fix');
    const correction = await adjust(ws.workspaceId, -5 * CREDIT, correctionId, 'Over-correction');
    expect(correction.status).toBe(201);
    expect(correction.body).toMatchObject({
      type: 'adjustment',
      status: 'completed',
      amountMicros: -3 * CREDIT,
      forgivenMicros: 2 * CREDIT,
      balanceAfterMicros: 0,
    });
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expect((await creditCheck(ws.workspaceId, 0)).body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });

    // At zero, a further correction moves nothing and forgives all of it.
    const atZero = await adjust(ws.workspaceId, -CREDIT, unique('fix-at-zero'), 'Correction at zero');
    expect(atZero.status).toBe(201);
    expect(atZero.body.amountMicros).toBe(0);
    expect(atZero.body.forgivenMicros).toBe(CREDIT);
    expect(atZero.body.balanceAfterMicros).toBe(0);

    const page = await history(ws.adminKey, '?type=adjustment');
    expect(page.body.data.map((t) => [t.amountMicros, t.balanceAfterMicros, t.forgivenMicros])).toEqual([
      [0, 0, CREDIT],
      [-3 * CREDIT, 0, 2 * CREDIT],
      [3 * CREDIT, 3 * CREDIT, 0],
    ]);
    for (const row of await ledgerRows(ws.workspaceId)) {
      expect(row.balance_after_micros).toBeGreaterThanOrEqual(0);
      expect(row.forgiven_micros).toBeGreaterThanOrEqual(0);
    }
    expect(await balanceRow(ws.workspaceId)).toBe(0);

    // A replay of the over-correction answers the original, not a recomputation at balance 0.
    const replay = await adjust(ws.workspaceId, -5 * CREDIT, correctionId, 'Over-correction');
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(correction.body);
  });
});

describe('GET /v1/billing/plan', () => {
  it('answers { plan: { id, name }, credits: CreditSummary, autoTopup: AutoTopup } for members and admins', async () => {
    const ws = await createWorkspace('Plan');
    await grant(ws.workspaceId, 12 * CREDIT);
    await deduct(ws.workspaceId, 2 * CREDIT);
    const member = await addMember(ws.workspaceId, 'member');

    for (const key of [ws.adminKey, member.apiKey]) {
      const res = await publicApi('GET', '/v1/billing/plan', key);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['autoTopup', 'credits', 'plan']);

      expect(Object.keys(res.body.plan).sort()).toEqual(['id', 'name']);
      expect(typeof res.body.plan.id).toBe('string');
      expect(res.body.plan.id.length).toBeGreaterThan(0);
      expect(typeof res.body.plan.name).toBe('string');
      expect(res.body.plan.name.length).toBeGreaterThan(0);

      const credits = res.body.credits;
      expect(Object.keys(credits).sort()).toEqual([
        'accumulatingMicros',
        'balanceMicros',
        'burnRateMicrosPerHour',
        'heldMicros',
        'hoursRemaining',
        'nextExpiry',
        'paidMicros',
        'promotionalMicros',
        'updatedAt',
      ]);
      expect(credits.balanceMicros).toBe(10 * CREDIT);
      expect(Number.isInteger(credits.accumulatingMicros)).toBe(true);
      expect(Number.isInteger(credits.burnRateMicrosPerHour)).toBe(true);
      if (credits.burnRateMicrosPerHour === 0) expect(credits.hoursRemaining).toBeNull();
      expect(credits.updatedAt).toMatch(ISO_UTC);
      expect(credits).toEqual((await publicApi('GET', '/v1/billing/credits', key)).body);

      expect(res.body.autoTopup).toEqual({
        enabled: false,
        thresholdCents: expect.any(Number),
        topupAmountCents: expect.any(Number),
        paymentMethod: null,
        mode: 'fixed',
        targetCents: null,
        monthlyLimitCents: null,
        spentThisMonthCents: 0,
      });
      expect(Number.isInteger(res.body.autoTopup.thresholdCents)).toBe(true);
      expect(Number.isInteger(res.body.autoTopup.topupAmountCents)).toBe(true);
    }

    const anonymous = await publicApi('GET', '/v1/billing/plan', null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
  });
});
