// Regions (docs/regions.md): bursts of calls from one far region within a lease's term (deductions,
// holds, captures, releases, credit checks, a few simulated seconds apart), the regional object's
// alarm (its reports and lease returns: fired late, sometimes twice, sometimes after the clock passed
// the 20 s term), the regional object evicted mid-lease or between home's answer to an exchange and
// applying it, and every lease returned (the clock past the term, every region's alarm fired) with
// what must hold then: every credit spendable at home again but what the regions' open holds keep.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { evictIfRunning } from '../sim_helpers';
import type { RegionalLedger } from '../../../workers/regions/regional_ledger';
import type { Region } from '../../../workers/regions/regions';
import { LEASE_TERM_MS, MAX_REGIONAL_HOLD_TTL_MS } from '../../../workers/regions/regional_ledger';
import { advanceClock, creditCameIn, decidedInOf, FAR_REGIONS, freeLeasesMicros, fromRegion, regionalFactsAll, regionalStubOf } from '../regions';
import { activeInModel, ledgerStubOf, type SimWorkspace, type World } from '../world';
import { availableMicros, holdOps } from './holds';
import { entryOps } from './entries';
import type { SimOp } from './op';

const withRegions = (w: World) => w.workspaces.filter((ws) => ws.regions.size > 0);
const regionsOn = (w: World) => (w.regionShare > 0 && w.workspaces.length > 0 ? 1 : 0);

/** Fires a regional object's alarm (if armed); twice now and then, as a retried alarm runs it. */
async function fireAlarm(w: World, ws: SimWorkspace, region: Region, twice: boolean): Promise<string> {
  const stub = regionalStubOf(ws, region);
  const ran = await runDurableObjectAlarm(stub);
  if (ran && twice) await runInDurableObject(stub, (instance: RegionalLedger) => instance.alarm());
  return ran ? (twice ? 'fired twice' : 'fired') : 'none armed';
}

/** A credit check from the region: never allowed for more than home and every free lease hold together. */
const creditCheck: SimOp = {
  name: 'region_credit_check',
  weight: (w) => 3 * regionsOn(w),
  async run(w) {
    const ws = w.pickWorkspace()!;
    const region = w.forcedRegion ?? w.rng.pick(FAR_REGIONS);
    const home = await availableMicros(ws);
    if (home === null) return w.note('region_credit_check', `ws${ws.index}: no credit check at home`);
    const all = home + (await freeLeasesMicros(ws, w.clock.now()));
    const over = w.rng.chance(0.3);
    const amountMicros = over ? all + 1 : w.rng.int(0, Math.max(0, Math.floor(all * 0.5)));
    const res = await fromRegion(w, ws, region, 'GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=${amountMicros}`);
    w.note('region_credit_check', `ws${ws.index} ${amountMicros}${over ? ' (one micro more than all)' : ''} from ${region} → ${res.status} ${res.body?.allowed} in ${decidedInOf(res)}`);
    if (!w.expectStatus('credit check', res.status, [200], res.body)) return;
    if (res.body.balanceMicros < 0) w.observe('never_below_zero', `credit check from ${region} answers ${res.body.balanceMicros}`);
    if (over && res.body.allowed === true && !w.faultArmed && !(await creditCameIn(w, ws))) w.observe('never_below_zero', `ws${ws.index}: credit check of ${amountMicros} from ${region} allowed, one micro more than home (${home}) and the free leases hold`);
  },
};

/** Calls from one far region for one workspace, a few simulated seconds apart (within the lease's term). */
const burst: SimOp = {
  name: 'region_burst',
  weight: (w) => 6 * regionsOn(w),
  async run(w) {
    // A funded workspace where there is one: leases are granted from what home could give.
    const funded: SimWorkspace[] = [];
    for (const candidate of w.workspaces) if (((await availableMicros(candidate)) ?? 0) > 0) funded.push(candidate);
    const ws = funded.length > 0 ? w.rng.pick(funded) : w.pickWorkspace()!;
    const region = w.rng.pick(FAR_REGIONS);
    const count = w.rng.int(2, 8);
    w.note('region_burst', `ws${ws.index} from ${region}: ${count} calls`);
    const pool = [...entryOps.filter((o) => o.name === 'deduction'), ...holdOps, creditCheck];
    w.forcedRegion = region;
    w.forcedWorkspace = ws;
    try {
      for (let i = 0; i < count; i++) {
        if (i > 0) w.clock.advance(w.rng.int(0, 4_000));
        const op = w.rng.weighted(pool.filter((o) => o.weight(w) > 0), (o) => o.weight(w) * (w.focus[o.name] ?? 1));
        await op.run(w);
      }
    } finally {
      w.forcedRegion = null;
      w.forcedWorkspace = null;
    }
  },
};

const alarm: SimOp = {
  name: 'region_alarm',
  weight: (w) => (withRegions(w).length > 0 ? 4 : 0),
  async run(w) {
    const ws = w.rng.pick(withRegions(w));
    const region = w.rng.pick([...ws.regions].sort());
    // Half the time past the lease's term: the alarm then reports and gives the free part back.
    const past = w.rng.chance(0.5);
    if (past) w.clock.advance(LEASE_TERM_MS + w.rng.int(0, 10_000));
    const fired = await fireAlarm(w, ws, region, w.rng.chance(0.2));
    w.note('region_alarm', `ws${ws.index} ${region}${past ? ' past its term' : ''}: ${fired}`);
  },
};

const evict: SimOp = {
  name: 'region_evict',
  weight: (w) => (withRegions(w).length > 0 ? 3 : 0),
  async run(w) {
    const ws = w.rng.pick(withRegions(w));
    const region = w.rng.pick([...ws.regions].sort());
    // Mid-lease: evicted between calls; or mid-call: the next region to get home's answer to an
    // exchange is evicted before applying it (the call answers 5xx; its alarm or next call resends it).
    if (w.rng.chance(0.5)) {
      await evictIfRunning(regionalStubOf(ws, region));
      return w.note('region_evict', `ws${ws.index} ${region} between calls`);
    }
    w.control.region = { evictAfterExchange: true };
    w.faultArmed = true;
    w.note('region_evict', `ws${ws.index} ${region} after its next lease exchange`);
    // What makes it exchange: a deduction, a hold or a capture from there, or its alarm past the term.
    w.forcedRegion = region;
    w.forcedWorkspace = ws;
    try {
      const roll = w.rng.int(0, 2);
      if (roll === 0) w.clock.advance(LEASE_TERM_MS + 1_000);
      if (roll === 0) w.note('region_evict', `alarm ${await fireAlarm(w, ws, region, false).catch((e) => `threw: ${String(e).slice(0, 80)}`)}`);
      else await w.rng.pick([...entryOps.filter((o) => o.name === 'deduction'), holdOps[0]!]).run(w);
    } finally {
      w.forcedRegion = null;
      w.forcedWorkspace = null;
    }
  },
};

/**
 * Every lease of a workspace returned: the clock past the term and each region's alarm fired (a few
 * rounds: a region reports, then gives back). Then no region has unreported spends or an exchange
 * pending, each keeps exactly what its open holds reserve, and home reserves for the regions no more
 * than that: every other credit is spendable at home again.
 */
const leasesReturn: SimOp = {
  name: 'leases_return',
  weight: (w) => (withRegions(w).length > 0 ? 3 : 0),
  run: (w) => returnLeases(w, w.rng.pick(withRegions(w))),
};

/** The clock past the lease's term and each region's alarm fired, three rounds; then what must hold (see leasesReturn). */
async function returnLeases(w: World, ws: SimWorkspace): Promise<void> {
  const regions = [...ws.regions].sort();
  // Each round past a term: a region reports and gives back; one whose retried exchange brought a
  // grant back gives that back in the next round.
  for (let round = 0; round < 3; round++) {
    w.clock.advance(LEASE_TERM_MS + 1_000);
    for (const region of regions) await fireAlarm(w, ws, region, false);
  }
  const facts = await regionalFactsAll(ws);
  const leases = await runInDurableObject(ledgerStubOf(ws.workspaceId), (_i, state) =>
    state.storage.sql.exec<{ id: string; amountMicros: number; status: string }>(`SELECT id, amount_micros AS amountMicros, status FROM holds WHERE id LIKE '#lease:%'`).toArray().map((r) => ({ ...r })),
  );
  w.note('leases_return', `ws${ws.index} ${facts.map((f) => `${f.region}: lease ${f.lease?.leaseMicros ?? 0}, held ${f.heldMicros}, unreported ${f.unreportedMicros}${f.lease?.pending ? `, exchange ${f.lease.seq} pending` : ''}`).join('; ')}`);
  if (w.faultArmed) return;
  const nowMs = w.clock.now();
  for (const f of facts) {
    if (f.lease?.pending) return w.observe('leases_return', `ws${ws.index}: ${f.region} still has an exchange pending after its alarms`);
    if (f.unreportedMicros > 0) return w.observe('leases_return', `ws${ws.index}: ${f.region} has ${f.unreportedMicros} of spends unreported after its alarms`);
    const live = f.holds.filter((h) => h.status === 'held' && h.atHome === 0 && h.expiresAtMs > nowMs).reduce((sum, h) => sum + h.amountMicros, 0);
    const leaseMicros = f.lease?.leaseMicros ?? 0;
    if (leaseMicros !== live) return w.observe('leases_return', `ws${ws.index}: ${f.region} keeps a lease of ${leaseMicros}, its open holds reserve ${live}`);
    const atHome = leases.find((l) => l.id === `#lease:${f.region}`);
    const homeMicros = atHome?.status === 'held' ? atHome.amountMicros : 0;
    // Home reserves what the region keeps: never more (credits locked for nothing). Less only if
    // home let the lease expire (its 1-hour safety valve, the region silent that long).
    if (homeMicros > leaseMicros || (homeMicros < leaseMicros && atHome?.status !== 'expired')) {
      return w.observe('leases_return', `ws${ws.index}: home reserves ${homeMicros} (${atHome?.status ?? 'no lease'}) for ${f.region}, which keeps ${leaseMicros}`);
    }
  }
  // Every model-active hold kept in a far region is still held there.
  for (const h of ws.holds.values()) {
    if (!h.decidedIn || !activeInModel(h, nowMs)) continue;
    const row = facts.find((f) => f.region === h.decidedIn)?.holds.find((r) => r.id === h.id);
    if (row?.status !== 'held') return w.observe('leases_return', `ws${ws.index}: hold ${h.id} kept in ${h.decidedIn} is ${row?.status ?? 'unknown there'}`);
  }
}

/**
 * How a run ends: the clock past every hold a region may keep (30 minutes at most) and every lease
 * returned, checked as leases_return checks one workspace's. A run leaves no credit out in a region
 * (its spends are in the digest, and the next run, hours later, finds no lease home let expire).
 */
export async function windDownRegions(w: World): Promise<void> {
  await advanceClock(w, MAX_REGIONAL_HOLD_TTL_MS + 60_000);
  for (const ws of withRegions(w)) await returnLeases(w, ws);
}

export const regionOps: SimOp[] = [burst, creditCheck, alarm, evict, leasesReturn];
