// Regions as the simulator drives them (docs/regions.md): every workspace is homed in HOME_REGION;
// a share of deductions, holds, captures, releases and credit checks is called from a far region
// (X-Burnrate-Region, honoured where SIMULATED_REGIONS=enabled, which vitest.config.ts sets), where
// the workspace's regional object answers from its escrow lease. What the invariants read of a
// regional object comes from its own SQLite (runInDurableObject): its lease, holds and spends.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { internal, internalWithHeaders, type JsonResponse } from '../helpers/api';
import { regionalFor } from '../../workers/regions/regional_stub';
import { holdRegistryFor } from '../../workers/tenancy/hold_id_registry';
import type { Region } from '../../workers/regions/regions';
import { shardD1Of } from '../helpers/ledger_checks';
import { HOME_REGION, ledgerStubOf, type SimWorkspace, type World } from './world';

/** The far regions a run calls from: three, so that a workspace's leases meet (and stay few to read). */
export const FAR_REGIONS: readonly Region[] = ['weur', 'apac', 'wnam'];

/** Where the next call comes from: a far region with the run's region share, else home. */
export function pickCallerRegion(w: World): Region {
  if (w.forcedRegion) return w.forcedRegion;
  return w.regionShare > 0 && w.rng.chance(w.regionShare) ? w.rng.pick(FAR_REGIONS) : HOME_REGION;
}

/** An internal call made from `region` (home: no header, as before regions). */
export function fromRegion<T = any>(w: World, ws: SimWorkspace | null, region: Region, method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
  if (region === HOME_REGION) return internal<T>(method, path, body);
  ws?.regions.add(region);
  // (internalWithHeaders always says JSON: a POST without a body sends an empty object, which means the same.)
  return internalWithHeaders<T>(method, path, { 'X-Burnrate-Region': region }, body ?? (method === 'GET' ? undefined : {}));
}

/** The region an answer names as where it was decided (null: not said, e.g. a 5xx). */
export const decidedInOf = (res: JsonResponse): Region | null => (res.headers.get('X-Burnrate-Decided-In') as Region | null) ?? null;

export const regionalStubOf = (ws: SimWorkspace, region: Region) => regionalFor(env, ws.workspaceId, region);

export interface RegionalHoldRow {
  id: string;
  memberId: string | null;
  amountMicros: number;
  status: string;
  capturedMicros: number | null;
  transactionId: string | null;
  expiresAtMs: number;
  atHome: number;
}

export interface RegionalSpendRow {
  key: string;
  kind: string;
  transactionId: string | null;
  amountMicros: number;
  chargedMicros: number;
  reported: number;
  forwarded: number;
}

/** A regional object as its SQLite holds it. */
export interface RegionalFacts {
  region: Region;
  lease: { leaseMicros: number; termEndsMs: number; seq: number; pending: boolean } | null;
  holds: RegionalHoldRow[];
  spends: RegionalSpendRow[];
  /** What its decided spends not yet answered by home took from the lease (charged). */
  unreportedMicros: number;
  /** What its holds still `held` reserve in the lease (as the object counts them, expired ones until it notices). */
  heldMicros: number;
}

export async function regionalFactsOf(ws: SimWorkspace, region: Region): Promise<RegionalFacts> {
  return runInDurableObject(regionalStubOf(ws, region), (_instance, state) => {
    const sql = state.storage.sql;
    const tables = new Set(sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray().map((r) => r.name));
    const lease = tables.has('lease')
      ? (sql.exec<Record<string, SqlStorageValue>>('SELECT lease_micros AS leaseMicros, term_ends_ms AS termEndsMs, seq, pending FROM lease WHERE k = 1').toArray()[0] ?? null)
      : null;
    const holds = tables.has('holds')
      ? sql
          .exec<Record<string, SqlStorageValue>>(
            'SELECT id, member_id AS memberId, amount_micros AS amountMicros, status, captured_micros AS capturedMicros, transaction_id AS transactionId, expires_at_ms AS expiresAtMs, at_home AS atHome FROM holds ORDER BY id',
          )
          .toArray()
          .map((h) => ({ ...h }) as unknown as RegionalHoldRow)
      : [];
    const spends = tables.has('spends')
      ? sql
          .exec<Record<string, SqlStorageValue>>(
            'SELECT key, kind, transaction_id AS transactionId, amount_micros AS amountMicros, charged_micros AS chargedMicros, reported, forwarded FROM spends ORDER BY key',
          )
          .toArray()
          .map((s) => ({ ...s }) as unknown as RegionalSpendRow)
      : [];
    return {
      region,
      lease: lease ? { leaseMicros: lease.leaseMicros as number, termEndsMs: lease.termEndsMs as number, seq: lease.seq as number, pending: lease.pending !== null } : null,
      holds,
      spends,
      unreportedMicros: spends.filter((s) => s.reported === 0).reduce((sum, s) => sum + s.chargedMicros, 0),
      heldMicros: holds.filter((h) => h.status === 'held' && h.atHome === 0).reduce((sum, h) => sum + h.amountMicros, 0),
    };
  });
}

/** Every far region's facts for the workspace (the regions the run called it from). */
export const regionalFactsAll = (ws: SimWorkspace): Promise<RegionalFacts[]> => Promise.all([...ws.regions].sort().map((r) => regionalFactsOf(ws, r)));

/**
 * What a region could still spend of its lease now without home: the lease less its live holds
 * (expired ones are freed on its next call) and its unreported spends.
 */
export function freeLeaseMicros(f: RegionalFacts, nowMs: number): number {
  if (!f.lease) return 0;
  const live = f.holds.filter((h) => h.status === 'held' && h.atHome === 0 && h.expiresAtMs > nowMs).reduce((sum, h) => sum + h.amountMicros, 0);
  return Math.max(0, f.lease.leaseMicros - live - f.unreportedMicros);
}

/** The free lease of every far region of the workspace: with home's balance, all it may still spend. */
export async function freeLeasesMicros(ws: SimWorkspace, nowMs: number): Promise<number> {
  const facts = await regionalFactsAll(ws);
  return facts.reduce((sum, f) => sum + freeLeaseMicros(f, nowMs), 0);
}

/**
 * Right after a far region decided a spend or a hold from its lease: it has promised no more than
 * its lease (its live holds and unreported spends within it). Observed as `region_within_lease`.
 */
export async function checkWithinLease(w: World, ws: SimWorkspace, region: Region, what: string): Promise<void> {
  if (w.faultArmed) return;
  const f = await regionalFactsOf(ws, region);
  const leaseMicros = f.lease?.leaseMicros ?? 0;
  if (f.heldMicros + f.unreportedMicros > leaseMicros) {
    w.observe('region_within_lease', `ws${ws.index}: after ${what}, ${region} holds ${f.heldMicros} and has ${f.unreportedMicros} unreported, more than its lease of ${leaseMicros}`);
  }
}

/**
 * How late a regional object's alarm may fire. Deployed, it fires on time (reports within 1 s, lease
 * returns at the term's end); the simulator fires it late, but never this late: past an hour home lets
 * a lease nobody renewed expire (its safety valve for a region that cannot reach it), which is what a
 * region silent that long looks like, not what a late alarm is.
 */
export const REGION_ALARM_MAX_LATE_MS = 20 * 60_000;

const alarmAt = (ws: SimWorkspace, region: Region) => runInDurableObject(regionalStubOf(ws, region), (_i, state) => state.storage.getAlarm());

/**
 * How late a hold-id registry's alarm may fire (it tells the other regions of its claims; deployed,
 * within a second). Later than that, and another region's answers would be judged against a window
 * far wider than the documented one.
 */
export const REGISTRY_ALARM_MAX_LATE_MS = 5_000;

const registryStub = (region: Region, holdId: string) => holdRegistryFor(env, holdId, region);
const registryAlarmAt = (region: Region, holdId: string) => runInDurableObject(registryStub(region, holdId), (_i, state) => state.storage.getAlarm());

/** A hold id was sent to `region`'s registry (a new claim or not): it counts as told once that registry's alarm is done. */
export function watchRegistry(w: World, region: Region, holdId: string): void {
  const key = `${region}:${registryStub(region, holdId).id.toString()}`;
  const watched = w.untoldRegistries.get(key);
  if (watched) watched.holdIds.push(holdId);
  else w.untoldRegistries.set(key, { region, holdIds: [holdId] });
}

/** A registry with no alarm armed has told every claim it made: its watched ids are told. */
function registryTold(w: World, key: string): void {
  for (const id of w.untoldRegistries.get(key)?.holdIds ?? []) w.toldHoldIds.add(id);
  w.untoldRegistries.delete(key);
}

/** An alarm the clock may pass: a workspace's regional object's, or a hold-id registry's. */
interface DueAlarm {
  key: string;
  atMs: number | null;
  maxLateMs: number;
  fire: () => Promise<unknown>;
  read: () => Promise<number | null>;
}

/**
 * Moves the clock `ms` ahead; on the way, every alarm of a regional object or a hold-id registry that
 * would otherwise be later than its bound (REGION_ALARM_MAX_LATE_MS, REGISTRY_ALARM_MAX_LATE_MS) fires
 * at a seeded instant within it (and again, if it re-arms, as often as it comes due). In the order
 * they come due, so that a registry tells its claims at the same point among the leases' wakes every
 * time the seed runs.
 */
export async function advanceClock(w: World, ms: number): Promise<void> {
  const targetMs = w.clock.now() + ms;
  const due: DueAlarm[] = [];
  for (const ws of w.workspaces) {
    for (const region of [...ws.regions].sort()) {
      const read = () => alarmAt(ws, region);
      due.push({ key: `ws${ws.index}@${region}`, atMs: await read(), maxLateMs: REGION_ALARM_MAX_LATE_MS, read, fire: () => runDurableObjectAlarm(regionalStubOf(ws, region)) });
    }
  }
  for (const [key, r] of [...w.untoldRegistries]) {
    const read = () => registryAlarmAt(r.region, r.holdIds[0]!);
    const atMs = await read();
    if (atMs === null) registryTold(w, key);
    else due.push({ key, atMs, maxLateMs: REGISTRY_ALARM_MAX_LATE_MS, read, fire: () => runDurableObjectAlarm(registryStub(r.region, r.holdIds[0]!)) });
  }
  for (let fired = 0; fired < 200; fired++) {
    const next = due.filter((d) => d.atMs !== null && d.atMs + d.maxLateMs < targetMs).sort((a, b) => a.atMs! - b.atMs! || (a.key < b.key ? -1 : 1))[0];
    if (!next) break;
    const atMs = Math.max(w.clock.now(), next.atMs! + w.rng.int(0, next.maxLateMs));
    w.clock.advance(atMs - w.clock.now());
    try {
      await next.fire();
    } catch (error) {
      if (!w.faultArmed) w.observe('answers_as_documented', `the alarm of ${next.key} threw: ${String(error).slice(0, 200)}`);
    }
    next.atMs = await next.read();
    if (next.atMs === null && w.untoldRegistries.has(next.key)) registryTold(w, next.key);
  }
  w.clock.advance(Math.max(0, targetMs - w.clock.now()));
}

/**
 * Whether credit came in during this step (a deposit, most often an auto-recharge that a spend set
 * off, or that a region's reported spend set off while the call waited on home's answer): then "one
 * micro more than was spendable" may rightly be granted. Counted, not timed: an auto-recharge is
 * dated at the crossing that set it off, which may be before the step's clock (seed 2 of the
 * 20 x 2,000 soak, step 1889: a crossing dated 2 minutes earlier, charged during the hold's call).
 * Read from D1 once it holds every entry answered so far; with a rule broken on purpose the journal
 * may never reach D1, and then it answers true (the invariants after the step judge that run).
 */
export async function creditCameIn(w: World, ws: SimWorkspace): Promise<boolean> {
  const stub = ledgerStubOf(ws.workspaceId);
  const d1 = shardD1Of(ws.workspaceId);
  const read = () =>
    d1
      .prepare(
        `SELECT (SELECT COUNT(*) FROM transactions WHERE workspace_id = ?1 AND amount_micros > 0) AS n,
                (SELECT projected_journal_seq FROM balances WHERE workspace_id = ?1) AS projectedSeq`,
      )
      .bind(ws.workspaceId)
      .first<{ n: number; projectedSeq: number | null }>();
  const answeredSeq = await stub.answeredSeq();
  const first = await read();
  if ((first?.n ?? 0) > ws.creditsSeen) return true;
  if ((first?.projectedSeq ?? 0) >= answeredSeq) return false;
  if (w.broken) return true;
  const projected = await stub.projected();
  if (!projected.ok) return true;
  return ((await read())?.n ?? 0) > ws.creditsSeen;
}
