import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { ledgerD1, projected } from '../helpers/ledger_checks';
import { setSimulatedRttMs } from '../../workers/regions/cross_region';
import { balanceAtHome, deductFrom, from, grantTo, leasesAtHome, leaseTermEnds, unique, workspaceHomedIn } from './regions_helpers';

beforeAll(() => setSimulatedRttMs(0));
afterAll(() => setSimulatedRttMs(null));

describe('home region', () => {
  it('defaults to the caller\'s region and is kept in the directory', async () => {
    const res = await from('apac', 'POST', '/internal/v1/workspaces', { name: 'Tokyo', admin: { name: 'Ada', email: `${unique('a')}@example.com` } });
    expect(res.status).toBe(201);
    expect(res.body.workspace.homeRegion).toBe('apac');
    const row = await env.DB.prepare('SELECT home_region AS r FROM workspaces WHERE id = ?').bind(res.body.workspace.id).first<{ r: string }>();
    expect(row?.r).toBe('apac');
  });

  it('without a header the caller is in enam; a named homeRegion wins', async () => {
    const plain = await internal('POST', '/internal/v1/workspaces', { name: 'Plain', admin: { name: 'Ada', email: `${unique('a')}@example.com` } });
    expect(plain.body.workspace.homeRegion).toBe('enam');
    const named = await from('weur', 'POST', '/internal/v1/workspaces', { name: 'Named', homeRegion: 'oc', admin: { name: 'Ada', email: `${unique('a')}@example.com` } });
    expect(named.body.workspace.homeRegion).toBe('oc');
  });

  it('an unknown region is a 400 naming it', async () => {
    const header = await from('mars' as never, 'GET', '/internal/v1/workspaces/ws_x/credit-check?amountMicros=0');
    expect(header.status).toBe(400);
    expect(header.body.error.message).toContain('X-Burnrate-Region');
    const body = await internal('POST', '/internal/v1/workspaces', { name: 'Bad', homeRegion: 'mars', admin: { name: 'Ada', email: `${unique('a')}@example.com` } });
    expect(body.status).toBe(400);
    expect(body.body.error.message).toContain('homeRegion');
  });
});

describe('a far region decides from its lease', () => {
  it('deductions from weur are decided in weur, reported home once each, under the id they were answered with', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 10_000_000);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await deductFrom('weur', ws, 100_000));
    for (const a of answers) {
      expect(a.status).toBe(201);
      expect(a.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    }
    // The first one asked home for a lease: home holds it, and its balance shows it reserved.
    const leases = await leasesAtHome(ws);
    expect(leases).toHaveLength(1);
    expect(leases[0]!.id).toBe('#lease:weur');
    expect(await balanceAtHome(ws, 'enam')).toBe(10_000_000 - leases[0]!.amountMicros);

    // The term ends: the spends are reported, the free lease goes back.
    await leaseTermEnds(ws, 'weur');
    expect(await leasesAtHome(ws)).toHaveLength(0);
    expect(await balanceAtHome(ws, 'enam')).toBe(10_000_000 - 500_000);
    const d1 = await ledgerD1(ws);
    const { results } = await d1.prepare(`SELECT id, amount_micros AS a FROM transactions WHERE workspace_id = ? AND type = 'usage' ORDER BY seq`).bind(ws).all<{ id: string; a: number }>();
    expect(results.map((r) => r.id).sort()).toEqual(answers.map((a) => a.body.id).sort());
    expect(results.every((r) => r.a === -100_000)).toBe(true);

    // A retry in weur answers the original; at home too (the same key).
    const again = await deductFrom('weur', ws, 100_000, 'never-used-before');
    expect(again.status).toBe(201);
  });

  it('a replay is answered from the region, another body is a 409', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 5_000_000);
    const first = await deductFrom('apac', ws, 250_000, 'job-1');
    const replay = await deductFrom('apac', ws, 250_000, 'job-1');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    const conflict = await deductFrom('apac', ws, 260_000, 'job-1');
    expect(conflict.status).toBe(409);
    await leaseTermEnds(ws, 'apac');
    // Reported: a retry at home answers the same transaction.
    const atHome = await deductFrom('enam', ws, 250_000, 'job-1');
    expect(atHome.status).toBe(201);
    expect(atHome.body.id).toBe(first.body.id);
    expect(await balanceAtHome(ws, 'enam')).toBe(4_750_000);
  });

  it('credit checks and holds from a far region are answered there; at home they say enam', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 2_000_000);
    const check = await from('oc', 'GET', `/internal/v1/workspaces/${ws}/credit-check?amountMicros=100000`);
    expect(check.status).toBe(200);
    expect(check.body.allowed).toBe(true);
    expect(check.headers.get('X-Burnrate-Decided-In')).toBe('oc');
    const home = await from('enam', 'GET', `/internal/v1/workspaces/${ws}/credit-check?amountMicros=100000`);
    expect(home.headers.get('X-Burnrate-Decided-In')).toBe('enam');

    const hold = await from('oc', 'POST', '/internal/v1/holds', { id: unique('h'), workspaceId: ws, amountMicros: 200_000 });
    expect(hold.status).toBe(201);
    expect(hold.headers.get('X-Burnrate-Decided-In')).toBe('oc');
    const capture = await from('oc', 'POST', `/internal/v1/holds/${hold.body.id}/capture`, { amountMicros: 150_000 });
    expect(capture.status).toBe(200);
    expect(capture.headers.get('X-Burnrate-Decided-In')).toBe('oc');
    expect(capture.body.hold.status).toBe('captured');
    expect(capture.body.transaction.amountMicros).toBe(-150_000);
    const replay = await from('oc', 'POST', `/internal/v1/holds/${hold.body.id}/capture`, { amountMicros: 150_000 });
    expect(replay.body.transaction.id).toBe(capture.body.transaction.id);
    const released = await from('oc', 'POST', `/internal/v1/holds/${hold.body.id}/release`, {});
    expect(released.status).toBe(409);

    const h2 = await from('oc', 'POST', '/internal/v1/holds', { id: unique('h'), workspaceId: ws, amountMicros: 300_000 });
    const rel = await from('oc', 'POST', `/internal/v1/holds/${h2.body.id}/release`, {});
    expect(rel.status).toBe(200);
    expect(rel.body.hold.status).toBe('released');
    expect(rel.headers.get('X-Burnrate-Decided-In')).toBe('oc');

    await leaseTermEnds(ws, 'oc');
    expect(await balanceAtHome(ws, 'enam')).toBe(2_000_000 - 150_000);
  });

  it('what the lease cannot cover goes home and is decided there (402 when nothing covers it)', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 1_000_000);
    const big = await deductFrom('sam', ws, 900_000);
    expect(big.status).toBe(201);
    expect(big.headers.get('X-Burnrate-Decided-In')).toBe('enam');
    const refused = await deductFrom('sam', ws, 200_000);
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('insufficient_credits');
    expect(refused.headers.get('X-Burnrate-Decided-In')).toBe('enam');
    const check = await from('sam', 'GET', `/internal/v1/workspaces/${ws}/credit-check?amountMicros=200000`);
    expect(check.body).toMatchObject({ allowed: false, balanceMicros: 100_000, reason: 'insufficient_credits' });
    await projected(ws);
  });
});
