// Hold ids claimed in the registry of the caller's region (workers/tenancy/hold_id_registry.ts):
// a far hold waits on no other region; a capture or release by id alone finds the hold wherever it
// was made (the other regions' registries, asked across regions, the slow path).
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSimulatedRttMs } from '../../workers/regions/cross_region';
import type { Region } from '../../workers/regions/regions';
import { holdRegistryFor, holdRegistryShard } from '../../workers/tenancy/hold_id_registry';
import { deductFrom, from, grantTo, unique, workspaceHomedIn } from './regions_helpers';

// Long enough that one call between regions cannot hide in a far hold's latency.
const RTT_MS = 1_000;
beforeAll(() => setSimulatedRttMs(RTT_MS));
afterAll(() => setSimulatedRttMs(null));

/** Who the registry object of `region` says owns the id (read from its SQLite, not through a call). */
const claimedIn = (region: Region, holdId: string) =>
  runInDurableObject(holdRegistryFor(env, holdId, region), (_i, state) =>
    state.storage.sql.exec<{ w: string }>('SELECT workspace_id AS w FROM hold_owners WHERE hold_id = ?', holdId).toArray().map((r) => r.w),
  );

const hold = (region: Region, workspaceId: string, id: string, amountMicros = 200_000) => from(region, 'POST', '/internal/v1/holds', { id, workspaceId, amountMicros });

async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await call();
  return { value, ms: Date.now() - started };
}

describe('a far hold claims its id in its own region', () => {
  it('is claimed in the far region\'s registry, not home\'s, and waits on no other region', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 10_000_000);
    // The first call from weur asks home for a lease (one round trip) of 5x what it needs: the hold after it is covered.
    expect((await deductFrom('weur', ws, 100_000)).status).toBe(201);
    const id = unique('far-hold');
    const { value: res, ms } = await timed(() => hold('weur', ws, id));
    expect(res.status).toBe(201);
    expect(res.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    expect(ms).toBeLessThan(RTT_MS / 2);
    expect(await claimedIn('weur', id)).toEqual([ws]);
    expect(await claimedIn('enam', id)).toEqual([]);

    // Captured where it was made: found in weur's registry, decided in weur, as fast.
    const { value: capture, ms: captureMs } = await timed(() => from('weur', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 150_000 }));
    expect(capture.status).toBe(200);
    expect(capture.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    expect(captureMs).toBeLessThan(RTT_MS / 2);
  }, 30_000);

  it('a hold at home is claimed in the registry made before regions (hold-ids-<shard>)', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 1_000_000);
    const id = unique('home-hold');
    expect((await hold('enam', ws, id)).status).toBe(201);
    const legacy = env.HOLD_ID_REGISTRY.get(env.HOLD_ID_REGISTRY.idFromName(`hold-ids-${holdRegistryShard(id)}`));
    expect(await legacy.ownerOf(id)).toBe(ws);
  });
});

describe('captured or released from another region than the hold\'s', () => {
  it('a hold made at home is found from a far region and decided at home', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 1_000_000);
    const id = unique('made-at-home');
    expect((await hold('enam', ws, id)).status).toBe(201);
    const { value: capture, ms } = await timed(() => from('apac', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 120_000 }));
    expect(capture.status).toBe(200);
    expect(capture.headers.get('X-Burnrate-Decided-In')).toBe('enam');
    expect(capture.body.hold).toMatchObject({ id, workspaceId: ws, status: 'captured', capturedMicros: 120_000 });
    // The slow path, honestly: apac's registry did not know the id, the others were asked across regions.
    expect(ms).toBeGreaterThanOrEqual(RTT_MS);
  }, 30_000);

  it('a hold made in a far region is captured from home and released from a third region', async () => {
    const ws = await workspaceHomedIn('enam');
    await grantTo(ws, 2_000_000);
    const id = unique('made-in-weur');
    const made = await hold('weur', ws, id);
    expect(made.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    const capture = await from('enam', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 100_000 });
    expect(capture.status).toBe(200);
    expect(capture.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    expect(capture.body.transaction.amountMicros).toBe(-100_000);
    // The same capture from weur answers the original; a release from oc finds it captured.
    const replay = await from('weur', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 100_000 });
    expect(replay.body.transaction.id).toBe(capture.body.transaction.id);
    const release = await from('oc', 'POST', `/internal/v1/holds/${id}/release`, { workspaceId: ws });
    expect(release.status).toBe(409);
    expect(release.body.error.code).toBe('hold_closed');

    const second = unique('made-in-weur');
    expect((await hold('weur', ws, second)).status).toBe(201);
    const released = await from('sam', 'POST', `/internal/v1/holds/${second}/release`, {});
    expect(released.status).toBe(200);
    expect(released.body.hold.status).toBe('released');
  }, 60_000);

  it('an id nobody claimed is a 404 from every region', async () => {
    const capture = await from('weur', 'POST', `/internal/v1/holds/${unique('never')}/capture`, { amountMicros: 1 });
    expect(capture.status).toBe(404);
  }, 30_000);
});

describe('the same id for two workspaces', () => {
  it('in one far region: the second is a 409 and holds nothing', async () => {
    const [a, b] = [await workspaceHomedIn('enam'), await workspaceHomedIn('enam')];
    await grantTo(a, 1_000_000);
    await grantTo(b, 1_000_000);
    const id = unique('same-id');
    expect((await hold('weur', a, id)).status).toBe(201);
    const taken = await hold('weur', b, id);
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('idempotency_conflict');
    // What b's object held for the id while the claim was refused was let go.
    const bs = await from('weur', 'POST', `/internal/v1/holds/${id}/release`, { workspaceId: b });
    expect(bs.body.hold?.status ?? bs.status).toBe('released');
    // By id alone it is a's.
    const capture = await from('weur', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 50_000 });
    expect(capture.status).toBe(200);
    expect(capture.body.hold.workspaceId).toBe(a);
  }, 30_000);

  it('claimed in two regions before either knew: by id alone each region answers its own, a third region is a 409; named, each is found', async () => {
    const [a, b] = [await workspaceHomedIn('enam'), await workspaceHomedIn('enam')];
    await grantTo(a, 1_000_000);
    await grantTo(b, 1_000_000);
    const id = unique('two-regions');
    // At once: each region's registry hears of the other's claim only half a round trip later.
    const [inA, inB] = await Promise.all([hold('weur', a, id), hold('apac', b, id)]);
    expect([inA.status, inB.status]).toEqual([201, 201]);
    await toldIn('oc', id, 2);

    const ambiguous = await from('oc', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 10_000 });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.error.code).toBe('idempotency_conflict');

    const inWeur = await from('weur', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 10_000 });
    expect(inWeur.body.hold.workspaceId).toBe(a);
    const named = await from('oc', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 20_000, workspaceId: b });
    expect(named.status).toBe(200);
    expect(named.body.hold).toMatchObject({ workspaceId: b, capturedMicros: 20_000 });
    expect(named.headers.get('X-Burnrate-Decided-In')).toBe('apac');
  }, 60_000);

  it('once a region is told of a claim, it refuses the id to another workspace, and finds the hold in one round trip', async () => {
    const [a, b] = [await workspaceHomedIn('enam'), await workspaceHomedIn('enam')];
    await grantTo(a, 1_000_000);
    await grantTo(b, 1_000_000);
    const id = unique('told');
    expect((await hold('weur', a, id)).status).toBe(201);
    await toldIn('apac', id, 1);
    const taken = await hold('apac', b, id);
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('idempotency_conflict');

    // apac knows the hold was claimed in weur: asked there straight away (no registry asked across regions).
    const { value: capture, ms } = await timed(() => from('apac', 'POST', `/internal/v1/holds/${id}/capture`, { amountMicros: 30_000 }));
    expect(capture.status).toBe(200);
    expect(capture.body.hold.workspaceId).toBe(a);
    expect(capture.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    expect(ms).toBeGreaterThanOrEqual(RTT_MS);
    expect(ms).toBeLessThan(2 * RTT_MS);
  }, 60_000);
});

/** Waits until `region`'s registry was told of `count` claims of the id made in other regions. */
async function toldIn(region: Region, holdId: string, count: number): Promise<void> {
  for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 100) {
    const claims = await holdRegistryFor(env, holdId, region).claimsOf(holdId);
    if (claims.filter((c) => c.region !== null).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${region} was not told of ${count} claims of ${holdId} within 10 s`);
}
