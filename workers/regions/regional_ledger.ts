import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { canonicalJson } from '../lib/crypto';
import { newId } from '../lib/ids';
import { simControl } from '../lib/sim_hooks';
import { iso } from '../lib/time';
import { callerKey } from '../ledger/caller_keys';
import { holdEntryKey } from '../ledger/rules/holds/hold_keys';
import type { HoldView } from '../ledger/rules/holds/hold_book';
import type { CreateHoldInput } from '../ledger/rules/holds/hold_writes';
import type { LedgerFailure, LedgerResult } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import type { TransactionView } from '../ledger/transaction_view';
import type { CreditSummary } from '../ledger/ledger_types';
import { crossRegion } from './cross_region';
import { LEASE_HOLD_TTL_MS, type LeaseAnswer, type LeaseExchange } from './lease_protocol';
import { RegionalStore, type LeaseRow, type RegionalHold, type SpendRow } from './regional_store';
import { ReadFloors, type ReadFloor } from './read_floor';
import type { Region } from './regions';

/** Where a call is decided: the workspace, the region this object serves, and the workspace's home. */
export interface Where {
  workspaceId: string;
  region: Region;
  homeRegion: Region;
}

/** An answer and the region that decided it (the routes' X-Burnrate-Decided-In). */
export interface Decided<T> {
  result: LedgerResult<T>;
  decidedIn: Region;
}

export interface RegionalDeduction {
  id: string;
  amountMicros: number;
  description: string;
  memberId: string | null;
}

/** How long a granted lease may be spent before the alarm gives back its free part (and asks again if busy). */
export const LEASE_TERM_MS = 20_000;
/** How soon decided spends are reported to home (the bound on how stale home's balance is). */
export const REPORT_INTERVAL_MS = 1_000;
/** How long a far credit summary is served from the regional object's copy of home's (no write through the region since). */
export const SUMMARY_TTL_MS = 1_000;
/** A region whose public reads were used this recently gets its read floor refreshed after each report. */
const READERS_RECENT_MS = 60_000;
/** A failed exchange (home unreachable) is retried this much later by the alarm. */
const RETRY_MS = 5_000;
/** Recent spend is measured over this window to size the next lease. */
const RATE_WINDOW_MS = 10_000;
/** The longest hold kept in a region (a lease's term plus this stays well inside home's lease TTL). */
export const MAX_REGIONAL_HOLD_TTL_MS = LEASE_HOLD_TTL_MS / 2;

/**
 * One workspace's escrow in one region away from its home (docs/regions.md). It answers credit
 * checks, holds, captures, releases and deductions from its lease alone, writing each decision to
 * its own SQLite before answering; it reports what it spent to home in batches (lease exchanges);
 * when its lease cannot cover a request it asks home for more, and failing that gives its free
 * lease back and sends the request home, where it is decided exactly as if called there.
 */
export class RegionalLedger extends DurableObject<Env> {
  private readonly store = new RegionalStore(this.ctx.storage.sql);
  /** The clock leases and holds are timed by: Date.now, except in tests that move it past a term. */
  clock: () => number = () => Date.now();
  /** Exchanges run one at a time; requests short of lease join the next one. */
  private running: Promise<void> = Promise.resolve();
  private next: { promise: Promise<void>; wantMicros: number; returnAll: boolean } | null = null;
  private alarmAtMs: number | null = null;
  private recent: Array<{ atMs: number; micros: number }> = [];
  /** Where this region's public reads start their D1 session (read_floor.ts). */
  private readonly floors = new ReadFloors();
  /** When a public read here last asked for the floor (the alarm refreshes it only for regions read lately). */
  private lastReadAtMs = 0;
  /** Home's credit summary as last fetched for a far read, and the region's write count then. */
  private summaryCache: { value: CreditSummary; atMs: number; writes: number } | null = null;

  // --- the routes' calls ------------------------------------------------------------------------

  async creditCheck(where: Where, amountMicros: number, memberId: string | null): Promise<Decided<{ allowed: boolean; balanceMicros: number; reason?: 'insufficient_credits' | 'spend_limit' }>> {
    this.begin(where);
    if (!this.limited(memberId)) {
      const need = Math.max(1, amountMicros);
      // Limited again after the wait: home's answer brings the list of limited members (a limit set
      // while this region held no lease was never recalled here).
      if ((await this.covered(need)) && !this.limited(memberId)) return this.local({ ok: true, replayed: false, value: { allowed: true, balanceMicros: this.balanceMicros() } });
    }
    return this.home(where, (ledger) => ledger.creditCheck(where.workspaceId, amountMicros, memberId ?? undefined), false);
  }

  async deduct(where: Where, input: RegionalDeduction): Promise<Decided<TransactionView>> {
    this.begin(where);
    const key = callerKey(input.id);
    const request = canonicalJson({ amountMicros: input.amountMicros, description: input.description, memberId: input.memberId });
    const replay = this.replayed(key, request, input.id);
    if (replay) return replay;
    if (!this.limited(input.memberId) && (await this.covered(input.amountMicros))) {
      // Decided after the wait: another call with this id may have been decided meanwhile.
      const again = this.replayed(key, request, input.id);
      if (again) return again;
      if (this.store.freeMicros(this.clock()) >= input.amountMicros && !this.limited(input.memberId)) {
        const value = this.spend({ kind: 'deduction', key, amountMicros: input.amountMicros, chargedMicros: input.amountMicros, description: input.description, memberId: input.memberId, request });
        return this.local({ ok: true, replayed: false, value });
      }
    }
    const decided = await this.home(where, (ledger) => ledger.postEntry({ workspaceId: where.workspaceId, id: key, kind: 'deduction', amountMicros: input.amountMicros, description: input.description, memberId: input.memberId }));
    // Remembered here too, so that a retry here is answered by home's decision, not decided again.
    if (decided.result.ok && !decided.result.replayed && !this.store.spend(key)) {
      this.store.insertSpend({ key, kind: 'deduction', transactionId: decided.result.value.id, amountMicros: input.amountMicros, chargedMicros: 0, description: input.description, memberId: input.memberId, request, answer: JSON.stringify(decided.result.value), createdAtMs: this.clock(), reported: 1, forwarded: 1 });
    }
    return decided;
  }

  async createHold(where: Where, input: CreateHoldInput): Promise<Decided<HoldView>> {
    this.begin(where);
    const request = canonicalJson({ workspaceId: input.workspaceId, memberId: input.memberId, amountMicros: input.amountMicros, ttlSeconds: input.ttlSeconds, description: input.description });
    const known = this.store.hold(input.id);
    if (known && known.atHome === 0) return this.local(known.request === request ? { ok: true, replayed: true, value: this.view(where, known) } : holdConflict(input.id));
    // A hold may outlive the lease hold at home only if something renews it; nothing does once the
    // term is over and the region has nothing to report (home lets it expire after LEASE_HOLD_TTL_MS).
    // So only holds that end well within that are kept here; longer ones are decided at home.
    const fits = input.ttlSeconds * 1000 <= MAX_REGIONAL_HOLD_TTL_MS;
    if (!known && fits && !this.limited(input.memberId) && (await this.covered(input.amountMicros)) && !this.limited(input.memberId) && !this.store.hold(input.id) && this.store.freeMicros(this.clock()) >= input.amountMicros) {
      const nowMs = this.clock();
      const hold: RegionalHold = {
        id: input.id,
        memberId: input.memberId,
        amountMicros: input.amountMicros,
        description: input.description,
        request,
        status: 'held',
        capturedMicros: null,
        transactionId: null,
        expiresAtMs: nowMs + input.ttlSeconds * 1000,
        createdAtMs: nowMs,
        closedAtMs: null,
        atHome: 0,
      };
      this.store.putHold(hold);
      return this.local({ ok: true, replayed: false, value: this.view(where, hold) });
    }
    const decided = await this.home(where, (ledger) => ledger.createHold(input));
    // A hold made at home is captured and released there: remembered so that this region sends them home.
    if (decided.result.ok && !this.store.hold(input.id)) this.markAtHome(input.id, request);
    return decided;
  }

  async captureHold(where: Where, holdId: string, amountMicros: number): Promise<Decided<{ hold: HoldView; transaction: TransactionView | null }>> {
    this.begin(where);
    const first = this.store.hold(holdId);
    if (!first || first.atHome === 1) return this.home(where, (ledger) => ledger.captureHold(where.workspaceId, holdId, amountMicros));
    const closed = this.closedAnswer(where, first, amountMicros);
    if (closed) return this.local(closed);
    if (amountMicros === 0) return this.local(this.close(where, first, 'capture_zero'));
    const own = (h: RegionalHold) => (h.status === 'held' ? h.amountMicros : 0);
    // The excess over the hold comes from the free lease; short of it, home is asked for more first.
    const coverage = own(first) + this.store.freeMicros(this.clock());
    // (Never refused and never sent home: its free lease is not given back first, it pays for the excess.)
    if (amountMicros > coverage) await this.covered(amountMicros - own(first), false);
    const hold = this.store.hold(holdId)!;
    const closedNow = this.closedAnswer(where, hold, amountMicros);
    if (closedNow) return this.local(closedNow);
    // Its free lease whatever the term: home still reserves it for this region until it is given back.
    const chargedMicros = Math.min(amountMicros, own(hold) + this.store.freeAnyTermMicros());
    const nowMs = this.clock();
    const transactionId = newId('txn', nowMs);
    this.store.putHold({ ...hold, status: 'captured', capturedMicros: amountMicros, transactionId, closedAtMs: nowMs });
    const transaction = this.spend({
      kind: 'capture',
      key: holdEntryKey(holdId),
      amountMicros,
      chargedMicros,
      description: hold.description ?? `Hold ${holdId}`,
      memberId: hold.memberId,
      request: String(amountMicros),
      transactionId,
    });
    return this.local({ ok: true, replayed: false, value: { hold: this.view(where, this.store.hold(holdId)!), transaction } });
  }

  async releaseHold(where: Where, holdId: string): Promise<Decided<HoldView>> {
    this.begin(where);
    const hold = this.store.hold(holdId);
    if (!hold || hold.atHome === 1) return this.home(where, (ledger) => ledger.releaseHold(where.workspaceId, holdId));
    if (hold.status === 'captured') return this.local({ ok: false, code: 'hold_closed', message: `The hold "${holdId}" was captured; it can no longer be released.` });
    if (hold.status !== 'held') return this.local({ ok: true, replayed: true, value: this.view(where, hold) });
    const closed = this.close(where, hold, 'release');
    return this.local(closed.ok ? { ...closed, value: closed.value.hold } : closed);
  }

  // --- reads near the caller (read_floor.ts) ------------------------------------------------------

  /**
   * The bookmark a public read in this region starts its D1 session from: it covers every write
   * made through this region before the call. When it does not yet, this region's spends are
   * reported first and home answers a bookmark taken once its entries are in D1.
   */
  async readFloor(where: Where): Promise<ReadFloor> {
    this.begin(where);
    this.lastReadAtMs = this.clock();
    return this.floors.floor(async () => {
      await this.exchange(0, false);
      const answer: LedgerResult<string | null> = await crossRegion(this.env, where.region, where.homeRegion, async (): Promise<LedgerResult<string | null>> => ledgerFor(this.env, where.workspaceId).projectedBookmark(where.workspaceId));
      if (!answer.ok) throw new Error(`read floor: home answered ${answer.code}: ${answer.message}`);
      return answer.value;
    });
  }

  /** A read that started at `version` reached `bookmark`: the next read here starts no older. */
  readReached(version: number, bookmark: string | null): null {
    this.floors.readReached(version, bookmark);
    return null;
  }

  /** A write sent home from this region by a public route (a top-up, a setting): later reads here must see it. */
  wrote(): null {
    this.floors.wrote();
    return null;
  }

  /**
   * The credit summary a far `GET /v1/billing/credits` shows: home's (the balance lives in its
   * memory, not in D1), kept here for SUMMARY_TTL_MS and taken again at once after any write made
   * through this region, this region's spends reported first: never less than the caller's writes.
   */
  async creditSummary(where: Where): Promise<LedgerResult<CreditSummary>> {
    this.begin(where);
    const cached = this.summaryCache;
    if (cached && cached.writes === this.floors.writes && this.clock() - cached.atMs < SUMMARY_TTL_MS) return { ok: true, replayed: false, value: cached.value };
    const writes = this.floors.writes;
    await this.exchange(0, false);
    const result: LedgerResult<CreditSummary> = await crossRegion(this.env, where.region, where.homeRegion, async (): Promise<LedgerResult<CreditSummary>> => ledgerFor(this.env, where.workspaceId).creditSummary(where.workspaceId));
    if (result.ok) this.summaryCache = { value: result.value, atMs: this.clock(), writes };
    return result;
  }

  /** Before a summary is read at home: this region's spends are there (at once when none is unreported). */
  async reportSpends(where: Where): Promise<null> {
    this.begin(where);
    await this.exchange(0, false);
    return null;
  }

  /** Home asks for the lease back (a spend limit changed): spends reported, the free part returned; open holds keep theirs. */
  async recall(workspaceId: string, region: Region, homeRegion: Region): Promise<null> {
    this.begin({ workspaceId, region, homeRegion });
    await this.exchange(0, true);
    return null;
  }

  /** For tests and the bench: the lease as this object sees it. */
  leaseState(): { workspaceId: string | null; region: Region | null; leaseMicros: number; heldMicros: number; unreportedMicros: number; freeMicros: number; termEndsMs: number; pending: boolean; alarmAtMs: number | null } {
    const l = this.store.lease;
    return {
      workspaceId: l?.workspaceId ?? null,
      region: l?.region ?? null,
      leaseMicros: l?.leaseMicros ?? 0,
      heldMicros: this.store.heldMicros,
      unreportedMicros: this.store.unreportedMicros,
      freeMicros: this.store.freeMicros(this.clock()),
      termEndsMs: l?.termEndsMs ?? 0,
      pending: Boolean(l?.pending),
      alarmAtMs: this.alarmAtMs,
    };
  }

  /**
   * Reports what was spent; at the end of the lease's term gives back the free part (asking again
   * for what the recent spend rate needs, if anything); retries an exchange that did not get through.
   */
  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const lease = this.store.lease;
    if (!lease) return;
    const nowMs = this.clock();
    this.store.expireDue(nowMs);
    try {
      if (nowMs >= lease.termEndsMs && (lease.leaseMicros > 0 || this.store.unreportedMicros > 0 || lease.pending)) await this.exchange(this.recentMicros(nowMs), true);
      else if (this.store.unreportedMicros > 0 || lease.pending) await this.exchange(0, false);
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'a lease exchange with home failed; retrying', workspaceId: lease.workspaceId, region: lease.region, error: String(error) }));
      await this.arm(this.clock() + RETRY_MS);
      return;
    }
    this.refreshFloorSoon(lease);
    await this.armForLease();
  }

  /**
   * After a report: if this region's public reads were used lately and a write is not covered yet,
   * the floor's bookmark is taken now (in the background), so the next read need not wait for home.
   */
  private refreshFloorSoon(lease: LeaseRow): void {
    if (this.floors.covered || this.clock() - this.lastReadAtMs > READERS_RECENT_MS) return;
    const where: Where = { workspaceId: lease.workspaceId, region: lease.region, homeRegion: lease.homeRegion };
    this.ctx.waitUntil(this.readFloor(where).then(
      () => undefined,
      (error) => console.error(JSON.stringify({ level: 'warn', msg: 'read floor not refreshed after a report', workspaceId: lease.workspaceId, region: lease.region, error: String(error) })),
    ));
  }

  // --- deciding -----------------------------------------------------------------------------------

  private begin(where: Where): void {
    this.store.ensureLease(where.workspaceId, where.region, where.homeRegion);
    this.store.expireDue(this.clock());
  }

  private limited(memberId: string | null | undefined): boolean {
    return Boolean(memberId) && this.store.lease!.limited.includes(memberId!);
  }

  /**
   * True when the free lease covers `needMicros`, after asking home for more if it did not. A
   * request home cannot cover from a new grant gives the free lease back first (so that home,
   * deciding it, counts every credit this region held), then goes home; a capture (decided here
   * whatever it finds) keeps it: `giveBackIfShort` false.
   */
  private async covered(needMicros: number, giveBackIfShort = true): Promise<boolean> {
    if (this.store.freeMicros(this.clock()) >= needMicros) return true;
    try {
      await this.exchange(needMicros + this.sizeFor(needMicros), false);
      if (this.store.freeMicros(this.clock()) >= needMicros) return true;
      if (giveBackIfShort && this.store.freeAnyTermMicros() > 0) await this.exchange(0, true);
    } catch (error) {
      // Home could not be reached for a lease: the request goes home itself (which may fail too).
      console.error(JSON.stringify({ level: 'error', msg: 'lease exchange failed; sending the request home', region: this.store.lease?.region, error: String(error) }));
    }
    return false;
  }

  /** A decided spend: durable here, reported to home within REPORT_INTERVAL_MS. */
  private spend(s: { kind: 'deduction' | 'capture'; key: string; amountMicros: number; chargedMicros: number; description: string; memberId: string | null; request: string; transactionId?: string }): TransactionView {
    const nowMs = this.clock();
    const transactionId = s.transactionId ?? newId('txn', nowMs);
    this.store.insertSpend({ ...s, transactionId, answer: '', createdAtMs: nowMs, reported: 0, forwarded: 0 });
    const view: TransactionView = {
      id: transactionId,
      createdAt: iso(nowMs),
      type: 'usage',
      description: s.description,
      amountMicros: -s.chargedMicros,
      status: 'completed',
      invoiceUrl: null,
      balanceAfterMicros: this.balanceMicros(),
      forgivenMicros: s.amountMicros - s.chargedMicros,
    };
    this.store.saveAnswer(s.key, JSON.stringify(view));
    // After the spend is recorded, before it is answered: a read floor taken before it is stale.
    this.floors.wrote();
    this.recent.push({ atMs: nowMs, micros: s.chargedMicros });
    void this.arm(nowMs + REPORT_INTERVAL_MS);
    return view;
  }

  private replayed(key: string, request: string, id: string): Decided<TransactionView> | null {
    const known = this.store.spend(key);
    if (!known) return null;
    if (known.request !== request) return this.local({ ok: false, code: 'idempotency_conflict', message: `The id "${id}" was already used with a different request.` });
    return { result: { ok: true, replayed: true, value: JSON.parse(known.answer) as TransactionView }, decidedIn: known.forwarded ? this.store.lease!.homeRegion : this.store.lease!.region };
  }

  private closedAnswer(where: Where, hold: RegionalHold, amountMicros: number): LedgerResult<{ hold: HoldView; transaction: TransactionView | null }> | null {
    if (hold.status === 'captured') {
      if (hold.capturedMicros !== amountMicros) return { ok: false, code: 'idempotency_conflict', message: `The hold "${hold.id}" was already captured with another amount.` };
      const entry = this.store.spend(holdEntryKey(hold.id));
      return { ok: true, replayed: true, value: { hold: this.view(where, hold), transaction: entry ? (JSON.parse(entry.answer) as TransactionView) : null } };
    }
    if (hold.status === 'released') {
      if (amountMicros === 0 && hold.capturedMicros === 0) return { ok: true, replayed: true, value: { hold: this.view(where, hold), transaction: null } };
      return { ok: false, code: 'hold_closed', message: `The hold "${hold.id}" was released; it can no longer be captured.` };
    }
    return null;
  }

  private close(where: Where, hold: RegionalHold, how: 'release' | 'capture_zero'): LedgerResult<{ hold: HoldView; transaction: null }> {
    const closed: RegionalHold = { ...hold, status: 'released', capturedMicros: how === 'capture_zero' ? 0 : null, closedAtMs: this.clock() };
    this.store.putHold(closed);
    // What it reserved is free again: given back at the term's end (or at once when that is past).
    void this.armForLease();
    return { ok: true, replayed: false, value: { hold: this.view(where, closed), transaction: null } };
  }

  private markAtHome(holdId: string, request: string): void {
    const nowMs = this.clock();
    this.store.putHold({ id: holdId, memberId: null, amountMicros: 0, description: null, request, status: 'held', capturedMicros: null, transactionId: null, expiresAtMs: nowMs, createdAtMs: nowMs, closedAtMs: null, atHome: 1 });
  }

  private view(where: Where, h: RegionalHold): HoldView {
    return {
      id: h.id,
      workspaceId: where.workspaceId,
      memberId: h.memberId,
      amountMicros: h.amountMicros,
      status: h.status,
      capturedMicros: h.capturedMicros,
      transactionId: h.transactionId,
      description: h.description,
      expiresAt: iso(h.expiresAtMs),
      createdAt: iso(h.createdAtMs),
    };
  }

  /** What this region shows as the balance: what home could give when it last answered, plus the free lease. */
  private balanceMicros(): number {
    return (this.store.lease?.otherMicros ?? 0) + this.store.freeAnyTermMicros();
  }

  private local<T>(result: LedgerResult<T>): Decided<T> {
    return { result, decidedIn: this.store.lease!.region };
  }

  /** The request decided by the home ledger, as if it had been called there. */
  private async home<T>(where: Where, call: (ledger: ReturnType<typeof ledgerFor>) => Promise<LedgerResult<T>>, writes = true): Promise<Decided<T>> {
    const result: LedgerResult<T> = await crossRegion(this.env, where.region, where.homeRegion, () => call(ledgerFor(this.env, where.workspaceId)));
    // Home decided it (and may have written): reads here from now on need a bookmark taken after it.
    if (writes) this.floors.wrote();
    return { result, decidedIn: where.homeRegion };
  }

  // --- lease exchanges ----------------------------------------------------------------------------

  /** What to ask for beyond a request: the recent spend, at least four times the request. */
  private sizeFor(needMicros: number): number {
    return Math.max(needMicros * 4, this.recentMicros(this.clock()));
  }

  private recentMicros(nowMs: number): number {
    this.recent = this.recent.filter((r) => r.atMs > nowMs - RATE_WINDOW_MS);
    return this.recent.reduce((sum, r) => sum + r.micros, 0);
  }

  /**
   * One exchange with home, joined by every request that asks while one is running (their wants
   * add up): spends reported, the free lease given back when `returnAll`, `wantMicros` asked for.
   */
  private exchange(wantMicros: number, returnAll: boolean): Promise<void> {
    if (this.next) {
      this.next.wantMicros += wantMicros;
      this.next.returnAll ||= returnAll;
      return this.next.promise;
    }
    const next = { wantMicros, returnAll, promise: Promise.resolve() };
    next.promise = this.running.catch(() => undefined).then(() => {
      this.next = null;
      return this.exchangeNow(next.wantMicros, next.returnAll);
    });
    this.next = next;
    this.running = next.promise;
    return next.promise;
  }

  private async exchangeNow(wantMicros: number, returnAll: boolean): Promise<void> {
    const lease = this.store.lease!;
    if (!lease.pending) {
      const spends = this.store.unreported();
      const returnMicros = returnAll ? this.store.freeAnyTermMicros() : 0;
      if (spends.length === 0 && returnMicros === 0 && wantMicros === 0) return;
      lease.seq += 1;
      lease.pending = {
        workspaceId: lease.workspaceId,
        region: lease.region,
        seq: lease.seq,
        spends: spends.map(reported),
        returnMicros,
        wantMicros: returnAll ? 0 : wantMicros,
      };
      // Given back before asking: not spendable here from now on, whatever home answers.
      lease.leaseMicros -= returnMicros;
      this.store.saveLease();
      // The alarm retries it if this attempt fails or the object is lost before applying the answer
      // (a request's exchange too, not only the alarm's): else home keeps what it granted reserved.
      await this.arm(this.clock() + RETRY_MS);
    }
    const sent = lease.pending!;
    const answer: LedgerResult<LeaseAnswer> = await crossRegion(this.env, lease.region, lease.homeRegion, async (): Promise<LedgerResult<LeaseAnswer>> => ledgerFor(this.env, lease.workspaceId).leaseExchange(sent));
    // Test-only (the simulator's fault): evicted between home's answer and applying it.
    const sim = simControl()?.region;
    if (sim?.evictAfterExchange) {
      sim.evictAfterExchange = false;
      this.ctx.abort('evicted by the simulator after a lease exchange');
    }
    if (!answer.ok) throw new Error(`lease exchange refused: ${answer.code}: ${answer.message}`);
    this.apply(sent, answer.value);
    // A returning exchange that also wants (the term's end of a busy region) asks in a second one.
    if (returnAll && wantMicros > 0) await this.exchangeNow(wantMicros, false);
  }

  private apply(sent: LeaseExchange, answer: LeaseAnswer): void {
    const lease = this.store.lease!;
    this.store.markReported(sent.spends.map((s) => s.key));
    lease.leaseMicros = answer.leaseMicros;
    lease.otherMicros = answer.otherMicros;
    lease.limited = answer.limitedMemberIds;
    lease.pending = null;
    if (answer.grantedMicros > 0) lease.termEndsMs = this.clock() + LEASE_TERM_MS;
    this.store.saveLease();
    // The exchange's retry wake is no longer needed: the next wake is what the lease now calls for.
    this.alarmAtMs = null;
    void this.armForLease();
  }

  private async armForLease(): Promise<void> {
    const lease = this.store.lease;
    if (!lease) return;
    const nowMs = this.clock();
    if (this.store.unreportedMicros > 0 || lease.pending) await this.arm(nowMs + REPORT_INTERVAL_MS);
    else if (lease.leaseMicros > 0) {
      // In its term: wake at its end. After it, a free part goes back at once; what open holds still
      // reserve waits for them (their expiry here; a capture or release arms its own wake), rather
      // than the alarm polling every 100 ms for as long as a hold stays open.
      if (nowMs < lease.termEndsMs) await this.arm(lease.termEndsMs);
      else if (this.store.freeAnyTermMicros() > 0) await this.arm(nowMs + 100);
      else {
        const nextExpiryMs = this.store.earliestHoldExpiryMs();
        if (nextExpiryMs !== null) await this.arm(Math.max(nextExpiryMs, nowMs + 100));
      }
    }
  }

  private async arm(atMs: number): Promise<void> {
    if (this.alarmAtMs !== null && this.alarmAtMs <= atMs) return;
    this.alarmAtMs = atMs;
    await this.ctx.storage.setAlarm(atMs);
  }
}

const holdConflict = (id: string): LedgerFailure => ({ ok: false, code: 'idempotency_conflict', message: `The hold id "${id}" was already used with a different request.` });

const reported = (s: SpendRow) => ({
  kind: s.kind,
  key: s.key,
  transactionId: s.transactionId!,
  amountMicros: s.amountMicros,
  chargedMicros: s.chargedMicros,
  description: s.description,
  memberId: s.memberId,
});
