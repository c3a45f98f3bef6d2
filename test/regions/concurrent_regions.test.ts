import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { addMember } from '../helpers/fixtures';
import { ledgerD1, projected } from '../helpers/ledger_checks';
import { setSimulatedRttMs } from '../../workers/regions/cross_region';
import type { Region } from '../../workers/regions/regions';
import { balanceAtHome, deductFrom, from, grantTo, leasesAtHome, leaseTermEnds, regional, unique, workspaceHomedIn } from './regions_helpers';

// Every call between two regions takes 150 ms here, as across continents.
beforeAll(() => setSimulatedRttMs(150));
afterAll(() => setSimulatedRttMs(null));

const FAR: Region[] = ['weur', 'apac', 'oc', 'sam', 'me'];
const AMOUNT = 10_000;

async function usageEntries(ws: string) {
  await projected(ws);
  const d1 = await ledgerD1(ws);
  return (await d1.prepare(`SELECT id, amount_micros AS a, forgiven_micros AS f FROM transactions WHERE workspace_id = ? AND type = 'usage'`).bind(ws).all<{ id: string; a: number; f: number }>()).results;
}

describe('5 regions × 200 concurrent deductions on a balance covering 600', () => {
  it('never accepts more than is covered, records each exactly once, and gives every credit left back', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 600 * AMOUNT);
    const started = Date.now();
    const answers = await Promise.all(FAR.flatMap((region) => Array.from({ length: 200 }, () => deductFrom(region, ws, AMOUNT).then((res) => ({ region, res })))));
    const elapsedMs = Date.now() - started;
    const accepted = answers.filter((a) => a.res.status === 201);
    for (const a of answers) expect([201, 402]).toContain(a.res.status);
    for (const a of answers) expect(['enam', a.region]).toContain(a.res.headers.get('X-Burnrate-Decided-In'));
    expect(accepted.length).toBeLessThanOrEqual(600);
    expect(accepted.length).toBeGreaterThan(0);
    const decidedNear = answers.filter((a) => a.res.headers.get('X-Burnrate-Decided-In') === a.region).length;
    console.log(JSON.stringify({ accepted: accepted.length, decidedNear, decidedHome: answers.length - decidedNear, elapsedMs }));

    // Within 30 s every lease's term ends (its alarm is armed for it): spends reported, free lease back.
    for (const region of FAR) await leaseTermEnds(ws, region);
    expect(await leasesAtHome(ws)).toEqual([]);
    const entries = await usageEntries(ws);
    expect(entries).toHaveLength(accepted.length);
    expect(new Set(entries.map((e) => e.id))).toEqual(new Set(accepted.map((a) => a.res.body.id)));
    expect(entries.every((e) => e.a === -AMOUNT && e.f === 0)).toBe(true);
    expect(await balanceAtHome(ws, 'enam')).toBe((600 - accepted.length) * AMOUNT);
    // What is left is spendable: from home, then from a far region once home has it all.
    if (accepted.length < 600) {
      const rest = await deductFrom('weur', ws, (600 - accepted.length) * AMOUNT);
      expect(rest.status).toBe(201);
      await leaseTermEnds(ws, 'weur');
    }
    expect(await balanceAtHome(ws, 'enam')).toBe(0);
  }, 120_000);
});

describe('a regional object that is evicted mid-lease', () => {
  it('loses nothing and spends nothing twice', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 5_000_000);
    const before = await Promise.all(Array.from({ length: 20 }, (_, i) => deductFrom('weur', ws, AMOUNT, `ev-${i}`)));
    expect(before.filter((r) => r.status !== 201).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
    const stub = regional(ws, 'weur');
    const mid = await stub.leaseState();
    expect(mid.leaseMicros).toBeGreaterThan(0);
    await evictDurableObject(stub);
    const state = await stub.leaseState();
    expect(state.leaseMicros).toBe(mid.leaseMicros);
    expect(state.unreportedMicros).toBe(mid.unreportedMicros);
    // Retries after the restart are answered as before; new ones spend the same lease.
    const retries = await Promise.all(Array.from({ length: 20 }, (_, i) => deductFrom('weur', ws, AMOUNT, `ev-${i}`)));
    expect(retries.map((r) => r.body.id)).toEqual(before.map((r) => r.body.id));
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => deductFrom('weur', ws, AMOUNT, `ev-after-${i}`)));
    expect(after.every((r) => r.status === 201)).toBe(true);
    await evictDurableObject(stub);
    await leaseTermEnds(ws, 'weur');
    const entries = await usageEntries(ws);
    expect(entries).toHaveLength(30);
    expect(await balanceAtHome(ws, 'enam')).toBe(5_000_000 - 30 * AMOUNT);
    expect(await leasesAtHome(ws)).toEqual([]);
  }, 60_000);
});

describe('a lease recalled while holds are open', () => {
  it('keeps what the holds reserve; they are captured in the region and recorded at home', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 3_000_000);
    const hold = await from('apac', 'POST', '/internal/v1/holds', { id: unique('h'), workspaceId: ws, amountMicros: 400_000 });
    expect(hold.status).toBe(201);
    expect(hold.headers.get('X-Burnrate-Decided-In')).toBe('apac');
    // A spend limit set at home recalls every lease before it answers.
    const { adminKey, memberId } = await adminAndMember(ws);
    const put = await publicApi('PUT', `/v1/billing/spend-limits/${memberId}`, adminKey, { limitMicros: 1_000_000, period: 'month' });
    expect(put.status).toBe(200);
    const leases = await leasesAtHome(ws);
    expect(leases).toEqual([{ id: '#lease:apac', amountMicros: 400_000 }]);
    expect(await balanceAtHome(ws, 'enam')).toBe(2_600_000);
    // The limited member's requests now go home.
    const limited = await from('apac', 'POST', '/internal/v1/deductions', { id: unique('m'), workspaceId: ws, memberId, amountMicros: 100_000, description: 'member' });
    expect(limited.status).toBe(201);
    expect(limited.headers.get('X-Burnrate-Decided-In')).toBe('enam');

    const capture = await from('apac', 'POST', `/internal/v1/holds/${hold.body.id}/capture`, { amountMicros: 300_000 });
    expect(capture.status).toBe(200);
    expect(capture.headers.get('X-Burnrate-Decided-In')).toBe('apac');
    await leaseTermEnds(ws, 'apac');
    expect(await leasesAtHome(ws)).toEqual([]);
    expect(await balanceAtHome(ws, 'enam')).toBe(3_000_000 - 300_000 - 100_000);
    const entries = await usageEntries(ws);
    expect(entries.map((e) => e.a).sort((x, y) => x - y)).toEqual([-300_000, -100_000]);
    expect(entries.find((e) => e.a === -300_000)!.id).toBe(capture.body.transaction.id);
  }, 60_000);
});

describe('a lease that only open holds keep after its term', () => {
  it('wakes its region at the first hold\'s expiry, not every 100 ms; a release gives the credit back at the next wake', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 3_000_000);
    const hold = await from('apac', 'POST', '/internal/v1/holds', { id: unique('h'), workspaceId: ws, amountMicros: 400_000, ttlSeconds: 600 });
    expect(hold.status).toBe(201);
    expect(hold.headers.get('X-Burnrate-Decided-In')).toBe('apac');
    await leaseTermEnds(ws, 'apac');
    // The free part went home; the hold's reservation stays leased.
    expect(await leasesAtHome(ws)).toEqual([{ id: '#lease:apac', amountMicros: 400_000 }]);
    const alarmAtMs = await runInDurableObject(regional(ws, 'apac'), (_instance, state) => state.storage.getAlarm());
    expect(alarmAtMs).not.toBeNull();
    expect(alarmAtMs!).toBeGreaterThanOrEqual(Date.parse(hold.body.expiresAt) - 1_000);

    const release = await from('apac', 'POST', `/internal/v1/holds/${hold.body.id}/release`, {});
    expect(release.status).toBe(200);
    expect(await runInDurableObject(regional(ws, 'apac'), (_instance, state) => state.storage.getAlarm())).toBeLessThanOrEqual(Date.now() + 30_000);
    await leaseTermEnds(ws, 'apac');
    expect(await leasesAtHome(ws)).toEqual([]);
    expect(await balanceAtHome(ws, 'enam')).toBe(3_000_000);
  }, 60_000);
});

async function adminAndMember(ws: string) {
  const admin = await internal('POST', `/internal/v1/workspaces/${ws}/members`, { name: 'Root', email: `${unique('root')}@example.com`, role: 'admin' });
  const member = await addMember(ws);
  return { adminKey: admin.body.apiKey as string, memberId: member.memberId };
}
