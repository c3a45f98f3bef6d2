import { and, eq, isNull, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { drizzle } from 'drizzle-orm/d1';
import { DurableObject } from 'cloudflare:workers';
import { balances, checkoutSessions, resourceIntervals, resources, stripeEvents, transactions, workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { canonicalJson, sha256Hex } from '../lib/crypto';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { MICROS_PER_CENT } from '../lib/money';
import { chargeSavedCard } from '../stripe/charge_saved_card';
import { classifyEvents } from '../usage/classify_events';
import { exactInstance, MS_PER_HOUR, roundMicros } from '../usage/exact_cost';
import { insertEvents, rollUp, upsertRollups } from '../usage/ingest_statements';
import { latestPriceVersion, loadPriceBook } from '../usage/pricing';
import { billHour, insertSettlementLines, readHour } from '../usage/settle_hour';
import type { NormalizedEvent } from '../usage/usage_event';
import type { LedgerResult } from './ledger_result';
import type { CloseDepositInput, CreditSummary, IngestResult, OpenDepositInput, PostEntryInput, SavedCardDepositInput } from './ledger_types';
import { LedgerInvariantError, readLedgerState, type LedgerState } from './load_state';
import { toResourceView, type ResourceView, type StartResourceInput } from './resource_view';
import { hoursRemaining, nextAlarmMs, planEnforcement, restoreStatements, terminationStatements, type BalanceView, type Enforcement } from './zero_balance';
import { insertOutbox, outboxEvent, type OutboxEvent } from '../notifications/outbox';
import { SerialQueue } from './serial_queue';
import { toTransactionView, type TransactionView } from './transaction_view';

interface IngestWaiter {
  workspaceId: string;
  events: NormalizedEvent[];
  resolve: (result: LedgerResult<IngestResult>) => void;
  reject: (error: unknown) => void;
}

const notFound = { ok: false, code: 'not_found', message: 'No such workspace.' } as const;
const RECENT_EVENT_IDS = 50_000;
const PRICE_CHECK_INTERVAL_MS = 10_000;
const MAX_AUTO_RECHARGE_FAILURES = 3;

// The balance an entry leaves, read back inside its batch, and only if the guarded balance update
// just before it changed exactly one row (SQLite's changes() sees the previous statement of the
// same batch). Otherwise NULL, which the completed-entry CHECK turns into an aborted batch.
const balanceAfterGuard = (workspaceId: string) =>
  sql`(SELECT ${balances.balanceMicros} FROM ${balances} WHERE ${balances.workspaceId} = ${workspaceId} AND changes() = 1)`;

/**
 * The only writer of one workspace's money. Holds the settled balance, the unsettled usage and the
 * price list in memory, so that credit checks need no D1 round trip; applies mutations one at a
 * time through an explicit queue (the input gate does not hold across awaits on D1); makes each
 * one a single atomic D1 batch whose balance update is guarded by the value it expected. If the
 * cache and D1 ever disagree, the batch fails, nothing is written, and the cache is rebuilt.
 */
export class WorkspaceLedger extends DurableObject<Env> {
  private readonly queue = new SerialQueue();
  private state: LedgerState | null = null;
  private loading: Promise<LedgerState | null> | null = null;
  private ingestWaiters: IngestWaiter[] = [];
  private ingestScheduled = false;
  // Recently accepted event ids → request hash: lets most duplicates be answered without D1 and
  // keeps the optimistic write path clean. D1's primary key remains the authority.
  private readonly recentEvents = new Map<string, string>();

  private get db() {
    return drizzle(this.env.DB);
  }

  // --- reads: answered from memory once loaded --------------------------------------------------

  async creditCheck(workspaceId: string, amountMicros: number): Promise<LedgerResult<{ allowed: boolean; balanceMicros: number }>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    this.refreshPricesSoon(state);
    const spendable = this.spendable(state, Date.now());
    // The alarm should have acted already; if a check sees the balance gone first, act now.
    if (spendable <= 0 && state.open.intervals.some((iv) => iv.stoppedAtMs === null)) {
      this.ctx.waitUntil(this.checkBalance(workspaceId).catch(() => undefined));
    }
    return { ok: true, replayed: false, value: { allowed: spendable > 0 && spendable >= amountMicros, balanceMicros: spendable } };
  }

  async creditSummary(workspaceId: string): Promise<LedgerResult<CreditSummary>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    this.refreshPricesSoon(state);
    const nowMs = Date.now();
    const accumulatingMicros = state.open.accumulatingMicros(nowMs, state.book);
    const balanceMicros = Math.max(0, state.balanceMicros - accumulatingMicros);
    const burnRateMicrosPerHour = state.open.burnRateMicrosPerHour(nowMs, state.book);
    return {
      ok: true,
      replayed: false,
      value: {
        balanceMicros,
        accumulatingMicros,
        burnRateMicrosPerHour,
        hoursRemaining: hoursRemaining(balanceMicros, burnRateMicrosPerHour),
        updatedAt: iso(Math.max(state.updatedAtMs, accumulatingMicros > 0 ? nowMs : 0)),
        openSinceMs: state.open.oldestUnsettledHourMs(nowMs),
      },
    };
  }

  async quoteSandboxRuntime(
    workspaceId: string,
    instanceType: string,
    seconds: number,
  ): Promise<LedgerResult<{ costMicros: number; affordable: boolean; affordableSeconds: number | null; microsPerHour: number } | null>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    await this.refreshPrices(state);
    const nowMs = Date.now();
    const rate = state.book.at(nowMs).instanceTypes.get(instanceType);
    if (rate === undefined) return { ok: true, replayed: false, value: null };
    const costMicros = roundMicros(exactInstance(seconds * 1000, rate));
    const spendable = this.spendable(state, nowMs);
    // How long the balance lasts with this instance added to what already burns.
    const burn = state.open.burnRateMicrosPerHour(nowMs, state.book) + rate;
    const affordableSeconds = burn > 0 ? Math.floor((spendable * 3600) / burn) : null;
    // Affordable: the balance covers the cost and lasts that long with what already runs.
    const affordable = spendable > 0 && spendable >= costMicros && (affordableSeconds === null || affordableSeconds >= seconds);
    return { ok: true, replayed: false, value: { costMicros, affordable, affordableSeconds, microsPerHour: rate } };
  }

  // --- ledger entries ---------------------------------------------------------------------------

  postEntry(input: PostEntryInput): Promise<LedgerResult<TransactionView>> {
    return this.queue.run(() => this.thenEnforce(input.workspaceId, this.postEntryNow(input)));
  }

  private async postEntryNow(input: PostEntryInput, retried = false): Promise<LedgerResult<TransactionView>> {
    const state = await this.load(input.workspaceId);
    if (!state) return notFound;

    // Mutations decide on current prices (the spendable balance depends on them). Deductions come
    // fast, so here a check within the last second is current enough.
    if (Date.now() - state.pricesCheckedAtMs > 1_000) await this.refreshPrices(state);
    const requestHash = await sha256Hex(
      canonicalJson({ kind: input.kind, amountMicros: input.amountMicros, description: input.description, memberId: input.memberId ?? null }),
    );
    const spendable = this.spendable(state, Date.now());

    let deltaMicros: number;
    let forgivenMicros = 0;
    if (input.kind === 'deduction') {
      if (spendable < input.amountMicros) {
        // A replay of a deduction that succeeded earlier must still answer as it did then.
        const earlier = await this.findByKey(input.workspaceId, input.id);
        if (earlier) return this.replay(earlier, requestHash);
        return {
          ok: false,
          code: 'insufficient_credits',
          message: `The balance (${spendable} micros) cannot cover ${input.amountMicros} micros.`,
        };
      }
      deltaMicros = -input.amountMicros;
    } else {
      // A correction (or a refund, which is negative) never takes what the open hour's usage still
      // needs; the rest is forgiven.
      deltaMicros = Math.max(input.amountMicros, -spendable) || 0;
      forgivenMicros = deltaMicros - input.amountMicros;
    }

    const nowMs = Date.now();
    const db = this.db;
    try {
      // New entries take one round trip: no read before the write. A replay is detected by the
      // unique idempotency index failing the batch, and then answered from the stored entry.
      const [updated, inserted] = await db.batch([
        this.moveBalance(state, deltaMicros, nowMs),
        db
          .insert(transactions)
          .values({
            id: newId('txn', nowMs),
            workspaceId: input.workspaceId,
            idempotencyKey: input.id,
            requestHash,
            type: input.kind === 'deduction' ? 'usage' : input.kind,
            status: 'completed',
            description: input.description,
            amountMicros: deltaMicros,
            forgivenMicros,
            balanceAfterMicros: balanceAfterGuard(input.workspaceId),
            memberId: input.memberId ?? null,
            createdAtMs: nowMs,
            settledAtMs: nowMs,
          })
          .returning(),
        ...(input.stripeEvent
          ? [
              this.db
                .insert(stripeEvents)
                .values({ eventId: input.stripeEvent.id, type: input.stripeEvent.type, workspaceId: input.workspaceId, processedAtMs: nowMs })
                .onConflictDoNothing(),
            ]
          : []),
      ]);
      const row = inserted[0];
      const balanceAfter = updated[0]?.balanceMicros;
      if (!row || balanceAfter === undefined) throw new LedgerInvariantError('ledger batch wrote nothing');
      state.balanceMicros = balanceAfter;
      state.updatedAtMs = nowMs;
      return { ok: true, replayed: false, value: toTransactionView(row) };
    } catch (error) {
      const message = String(error);
      if (message.includes('UNIQUE') && message.includes('idempotency_key')) {
        const earlier = await this.findByKey(input.workspaceId, input.id);
        if (earlier) return this.replay(earlier, requestHash);
      }
      // Any other failure: the cache may not match D1. Rebuild it before the next decision; if the
      // guard showed the cache was stale, decide once more on the fresh balance.
      this.state = null;
      if (!retried && message.includes('transactions_completed_has_balance_after')) {
        console.error(JSON.stringify({ level: 'error', msg: 'balance cache was stale; rebuilt from D1', workspaceId: input.workspaceId }));
        return this.postEntryNow(input, true);
      }
      if (message.includes('balances_non_negative')) {
        return { ok: false, code: 'insufficient_credits', message: 'The balance cannot cover this amount.' };
      }
      throw error;
    }
  }

  // --- deposits: pending until Stripe says paid or failed --------------------------------------

  /** Records a pending deposit (and the checkout session that pays it), once per key. */
  openDeposit(input: OpenDepositInput): Promise<LedgerResult<TransactionView>> {
    return this.queue.run(() => this.openDepositNow(input));
  }

  /**
   * A deposit paid at once with the saved card (the dashboard's "pay with Visa •••• 4242"): the
   * pending entry, then one off-session PaymentIntent keyed by the entry, then its outcome. A
   * payment Stripe has not decided yet stays pending for the webhook, as for auto-recharge.
   */
  depositWithSavedCard(input: SavedCardDepositInput): Promise<LedgerResult<TransactionView>> {
    return this.queue.run(async () => {
      const state = await this.load(input.workspaceId);
      if (!state) return notFound;
      const { stripeCustomerId, paymentMethodId } = state.flags;
      if (!stripeCustomerId || !paymentMethodId) {
        return { ok: false, code: 'payment_method_required', message: 'No saved payment method: pay with a new card through Checkout.' };
      }
      const opened = await this.openDepositNow({
        workspaceId: input.workspaceId,
        key: input.key,
        type: 'deposit',
        amountMicros: input.amountCents * MICROS_PER_CENT,
        description: input.description,
      });
      // A replay (or a conflicting reuse of the key) answers with what was recorded; it never pays twice.
      if (!opened.ok || opened.replayed) return opened;
      const { outcome, failureReason } = await chargeSavedCard(this.env, {
        workspaceId: input.workspaceId,
        transactionKey: input.key,
        amountCents: input.amountCents,
        customerId: stripeCustomerId,
        paymentMethodId,
        description: 'burnrate credit top-up',
      });
      if (!outcome) return opened;
      return this.thenEnforce(input.workspaceId, this.closeDepositNow({ workspaceId: input.workspaceId, key: input.key, outcome, failureReason }));
    });
  }

  private async openDepositNow(input: OpenDepositInput): Promise<LedgerResult<TransactionView>> {
    const state = await this.load(input.workspaceId);
    if (!state) return notFound;
    const requestHash = await sha256Hex(canonicalJson({ type: input.type, amountMicros: input.amountMicros, sessionId: input.sessionId ?? null }));
    const earlier = await this.findByKey(input.workspaceId, input.key);
    if (earlier) return this.replay(earlier, requestHash);
    const nowMs = Date.now();
    const insert = this.db
      .insert(transactions)
      .values({
        id: input.transactionId ?? newId('txn', nowMs),
        workspaceId: input.workspaceId,
        idempotencyKey: input.key,
        requestHash,
        type: input.type,
        status: 'pending',
        description: input.description,
        amountMicros: input.amountMicros,
        createdAtMs: nowMs,
      })
      .returning();
    const [inserted] = input.sessionId
      ? await this.db.batch([
          insert,
          this.db.insert(checkoutSessions).values({
            sessionId: input.sessionId,
            workspaceId: input.workspaceId,
            transactionKey: input.key,
            amountCents: input.amountMicros / MICROS_PER_CENT,
            createdAtMs: nowMs,
          }),
        ])
      : [await insert];
    return { ok: true, replayed: false, value: toTransactionView(inserted[0]!) };
  }

  /**
   * Settles a pending deposit exactly once: completed (the balance moves in the same batch) or
   * failed. Later calls for the same key answer with the entry as it is. When a Stripe event caused
   * it, the event id is recorded in the same batch.
   */
  closeDeposit(input: CloseDepositInput): Promise<LedgerResult<TransactionView>> {
    return this.queue.run(() => this.thenEnforce(input.workspaceId, this.closeDepositNow(input)));
  }

  private async closeDepositNow(input: CloseDepositInput): Promise<LedgerResult<TransactionView>> {
    const state = await this.load(input.workspaceId);
    if (!state) return notFound;
    const entry = await this.findByKey(input.workspaceId, input.key);
    if (!entry) return { ok: false, code: 'not_found', message: 'No such pending deposit.' };
    const nowMs = Date.now();
    const eventRecord = input.event
      ? [this.db.insert(stripeEvents).values({ eventId: input.event.id, type: input.event.type, workspaceId: input.workspaceId, processedAtMs: nowMs }).onConflictDoNothing()]
      : [];
    if (entry.status !== 'pending') {
      if (eventRecord[0]) await eventRecord[0];
      return { ok: true, replayed: true, value: toTransactionView(entry) };
    }
    const settle = this.db
      .update(transactions)
      .set(
        input.outcome === 'completed'
          ? { status: 'completed', balanceAfterMicros: balanceAfterGuard(input.workspaceId), invoiceUrl: input.invoiceUrl ?? null, settledAtMs: nowMs }
          : { status: 'failed', settledAtMs: nowMs },
      )
      .where(and(eq(transactions.workspaceId, input.workspaceId), eq(transactions.idempotencyKey, input.key), eq(transactions.status, 'pending')))
      .returning();
    // An auto-recharge's outcome also keeps the count of consecutive declines, in the same batch;
    // the third turns auto-top-up off and tells the platform.
    const recharge: BatchItem<'sqlite'>[] = [];
    if (entry.type === 'auto_recharge') {
      const failures = input.outcome === 'completed' ? 0 : state.flags.autoTopupFailures + 1;
      const giveUp = failures >= MAX_AUTO_RECHARGE_FAILURES;
      recharge.push(
        this.db
          .update(workspaces)
          .set({ autoTopupFailures: failures, ...(giveUp ? { autoTopupEnabled: false } : {}) })
          .where(eq(workspaces.id, input.workspaceId)),
      );
      const event = giveUp ? outboxEvent('auto_recharge.failed', { failures, transactionId: entry.id, reason: input.failureReason ?? 'card_declined', autoTopupDisabled: true }) : null;
      if (event) {
        recharge.push(insertOutbox(this.db, input.workspaceId, [event], nowMs));
        this.afterCommit = () => this.sendNotifications([event]);
      }
      state.flags.autoTopupFailures = failures;
      if (giveUp) state.flags.autoTopupEnabled = false;
    }
    try {
      if (input.outcome === 'completed') {
        const [moved, settled] = await this.db.batch([this.moveBalance(state, entry.amountMicros, nowMs), settle, ...eventRecord, ...recharge]);
        state.balanceMicros = moved[0]?.balanceMicros ?? state.balanceMicros + entry.amountMicros;
        state.updatedAtMs = nowMs;
        return { ok: true, replayed: false, value: toTransactionView(settled[0] ?? entry) };
      }
      const [settled] = await this.db.batch([settle, ...eventRecord, ...recharge]);
      return { ok: true, replayed: false, value: toTransactionView(settled[0] ?? entry) };
    } catch (error) {
      this.state = null;
      this.afterCommit = null;
      throw error;
    } finally {
      const after = this.afterCommit;
      this.afterCommit = null;
      if (after) await after();
    }
  }

  // --- usage ingestion: group commit ------------------------------------------------------------

  /**
   * Takes a request's events for this workspace. Requests that arrive while a commit is in flight
   * wait and are committed together in the next one (group commit): one D1 batch for all of them.
   */
  ingest(workspaceId: string, events: NormalizedEvent[]): Promise<LedgerResult<IngestResult>> {
    return new Promise((resolve, reject) => {
      this.ingestWaiters.push({ workspaceId, events, resolve, reject });
      if (this.ingestScheduled) return;
      this.ingestScheduled = true;
      void this.queue.run(async () => {
        const group = this.ingestWaiters.splice(0);
        this.ingestScheduled = false;
        try {
          await this.commitIngestGroup(group);
          await this.thenEnforce(group[0]!.workspaceId, Promise.resolve({ ok: true, replayed: false, value: null }));
        } catch (error) {
          this.state = null;
          for (const w of group) w.reject(error);
        }
      });
    });
  }

  private async commitIngestGroup(group: IngestWaiter[]): Promise<void> {
    const workspaceId = group[0]!.workspaceId;
    const state = await this.load(workspaceId);
    if (!state) {
      for (const w of group) w.resolve(notFound);
      return;
    }
    await this.refreshPrices(state);

    let known: ReadonlyMap<string, string> = this.recentEvents;
    for (let attempt = 0; ; attempt++) {
      const { outcomes, byok, descriptions } = classifyEvents(
        group.map((w) => w.events),
        known,
        state.book,
        state.open.settledThroughMs,
      );
      const rows = outcomes.flatMap((o) => o.rows);
      const rollups = rollUp(rows, byok, descriptions);
      if (rows.length > 0) {
        const occurredAt = new Map(rows.filter((r) => r.type === 'charge').map((r) => [r.lineKey, r.occurredAtMs]));
        try {
          await this.db.batch([insertEvents(this.db, workspaceId, rows), upsertRollups(this.db, workspaceId, rollups, occurredAt)]);
        } catch (error) {
          // Some id is already stored but was not in memory (an earlier life of this object):
          // learn the stored ids of this group and classify again.
          if (attempt === 0 && String(error).includes('UNIQUE')) {
            known = new Map([...this.recentEvents, ...(await this.storedEventHashes(workspaceId, group))]);
            continue;
          }
          throw error;
        }
      }
      for (const r of rollups) state.open.addRollup(r, state.book);
      for (const r of rows) this.rememberEvent(r.eventId, r.requestHash);
      outcomes.forEach((o, i) => {
        const waiter = group[i]!;
        if (o.refusal) waiter.resolve({ ok: false, ...o.refusal });
        else waiter.resolve({ ok: true, replayed: false, value: { accepted: o.rows.length, duplicates: o.duplicates, costMicros: roundMicros(o.exact) } });
      });
      return;
    }
  }

  private async storedEventHashes(workspaceId: string, group: IngestWaiter[]): Promise<Map<string, string>> {
    const ids = JSON.stringify([...new Set(group.flatMap((w) => w.events.map((e) => e.id)))]);
    const { results } = await this.env.DB.prepare(
      'SELECT event_id, request_hash FROM usage_events WHERE workspace_id = ? AND event_id IN (SELECT value FROM json_each(?))',
    )
      .bind(workspaceId, ids)
      .all<{ event_id: string; request_hash: string }>();
    return new Map(results.map((r) => [r.event_id, r.request_hash]));
  }

  private rememberEvent(id: string, hash: string) {
    this.recentEvents.set(id, hash);
    if (this.recentEvents.size > RECENT_EVENT_IDS) {
      const oldest = this.recentEvents.keys().next().value;
      if (oldest !== undefined) this.recentEvents.delete(oldest);
    }
  }

  // --- metered resources ------------------------------------------------------------------------

  startResource(input: StartResourceInput): Promise<LedgerResult<ResourceView>> {
    return this.queue.run(() => this.thenEnforce(input.workspaceId, this.startResourceNow(input)));
  }

  private async startResourceNow(input: StartResourceInput): Promise<LedgerResult<ResourceView>> {
    const state = await this.load(input.workspaceId);
    if (!state) return notFound;
    await this.refreshPrices(state);
    const requestHash = await sha256Hex(canonicalJson({ ...input, startedAtMs: input.startedAtMs ?? null }));
    const nowMs = Date.now();
    // Metering starts no later than now: a start reported a little ahead (the platform's clock)
    // must still be watched by the zero-balance alarm, which looks at what runs now.
    const startedAtMs = Math.min(Math.max(input.startedAtMs ?? nowMs, state.open.settledThroughMs), nowMs);
    const earlier = await this.findResource(input.id);
    if (earlier) return this.replayResource(earlier, requestHash);
    if (input.kind === 'instance' && !state.book.at(startedAtMs).instanceTypes.has(input.instanceType ?? '')) {
      return { ok: false, code: 'invalid_request', message: `instanceType: unknown instance type "${input.instanceType}".` };
    }
    // Nothing new starts metering on an empty balance: it would be terminated at once.
    if (this.spendable(state, nowMs) <= 0) {
      return { ok: false, code: 'insufficient_credits', message: `The workspace has no credits left to start ${input.kind === 'instance' ? 'an instance' : 'a volume'}.` };
    }
    const row = {
      id: input.id,
      workspaceId: input.workspaceId,
      memberId: input.memberId ?? '',
      kind: input.kind,
      instanceType: input.kind === 'instance' ? (input.instanceType ?? null) : null,
      sizeBytes: input.kind === 'volume' ? (input.sizeBytes ?? 0) : null,
      requestHash,
      startedAtMs,
      stoppedAtMs: null,
      stopReason: null,
      createdAtMs: nowMs,
    };
    try {
      await this.db.batch([
        this.db.insert(resources).values(row),
        this.db.insert(resourceIntervals).values({
          resourceId: row.id,
          workspaceId: row.workspaceId,
          startedAtMs,
          stoppedAtMs: null,
          instanceType: row.instanceType,
          sizeBytes: row.sizeBytes,
        }),
      ]);
    } catch (error) {
      const earlier = String(error).includes('UNIQUE') ? await this.findResource(input.id) : undefined;
      if (earlier) return this.replayResource(earlier, requestHash);
      throw error;
    }
    state.open.intervals.push({ resourceId: row.id, memberId: row.memberId, kind: row.kind, instanceType: row.instanceType, sizeBytes: row.sizeBytes, startedAtMs, stoppedAtMs: null });
    return { ok: true, replayed: false, value: toResourceView(row) };
  }

  stopResource(workspaceId: string, resourceId: string, stoppedAtMs: number | null, reason = 'stopped'): Promise<LedgerResult<ResourceView>> {
    return this.queue.run(() => this.thenEnforce(workspaceId, this.stopResourceNow(workspaceId, resourceId, stoppedAtMs, reason)));
  }

  private async stopResourceNow(workspaceId: string, resourceId: string, stoppedAtMs: number | null, reason: string): Promise<LedgerResult<ResourceView>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    await this.refreshPrices(state);
    const resource = await this.findResource(resourceId);
    if (!resource || resource.workspaceId !== workspaceId) return { ok: false, code: 'not_found', message: 'No such resource.' };
    if (resource.stoppedAtMs !== null) return { ok: true, replayed: true, value: toResourceView(resource) };
    // A stop can't precede the start, can't reopen a settled hour, and can't be in the future.
    const at = Math.min(Math.max(stoppedAtMs ?? Date.now(), resource.startedAtMs, state.open.settledThroughMs), Date.now());
    await this.db.batch([
      this.db.update(resources).set({ stoppedAtMs: at, stopReason: reason }).where(and(eq(resources.id, resourceId), isNull(resources.stoppedAtMs))),
      this.db
        .update(resourceIntervals)
        .set({ stoppedAtMs: at })
        .where(and(eq(resourceIntervals.resourceId, resourceId), isNull(resourceIntervals.stoppedAtMs))),
    ]);
    for (const iv of state.open.intervals) if (iv.resourceId === resourceId && iv.stoppedAtMs === null) iv.stoppedAtMs = at;
    return { ok: true, replayed: false, value: toResourceView({ ...resource, stoppedAtMs: at, stopReason: reason }) };
  }

  /** Changes a volume's size from `atMs` on: a new interval, so time already metered keeps its size. */
  resizeVolume(workspaceId: string, resourceId: string, sizeBytes: number, atMs: number | null): Promise<LedgerResult<ResourceView>> {
    return this.queue.run(() => this.thenEnforce(workspaceId, this.resizeVolumeNow(workspaceId, resourceId, sizeBytes, atMs)));
  }

  private async resizeVolumeNow(workspaceId: string, resourceId: string, sizeBytes: number, atMs: number | null): Promise<LedgerResult<ResourceView>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    await this.refreshPrices(state);
    const resource = await this.findResource(resourceId);
    if (!resource || resource.workspaceId !== workspaceId) return { ok: false, code: 'not_found', message: 'No such resource.' };
    if (resource.kind !== 'volume') return { ok: false, code: 'invalid_request', message: 'sizeBytes: only a volume can be resized.' };
    if (resource.stoppedAtMs !== null) return { ok: false, code: 'invalid_request', message: 'The volume is no longer metered.' };
    if (resource.sizeBytes === sizeBytes) return { ok: true, replayed: true, value: toResourceView(resource) };
    if (state.flags.storageSuspendedAtMs !== null) {
      // Suspended storage is not metered; the new size applies from the restore on.
      await this.db.update(resources).set({ sizeBytes }).where(eq(resources.id, resourceId));
      return { ok: true, replayed: false, value: toResourceView({ ...resource, sizeBytes }) };
    }
    const current = state.open.intervals.find((iv) => iv.resourceId === resourceId && iv.stoppedAtMs === null);
    const at = Math.min(Math.max(atMs ?? Date.now(), current?.startedAtMs ?? resource.startedAtMs, state.open.settledThroughMs), Date.now());
    await this.db.batch([
      this.db.update(resources).set({ sizeBytes }).where(eq(resources.id, resourceId)),
      this.db
        .update(resourceIntervals)
        .set({ stoppedAtMs: at })
        .where(and(eq(resourceIntervals.resourceId, resourceId), isNull(resourceIntervals.stoppedAtMs))),
      // Same start as the closed one (a resize at the very instant it began) replaces it.
      this.db
        .insert(resourceIntervals)
        .values({ resourceId, workspaceId, startedAtMs: at, stoppedAtMs: null, instanceType: null, sizeBytes })
        .onConflictDoUpdate({ target: [resourceIntervals.resourceId, resourceIntervals.startedAtMs], set: { stoppedAtMs: null, sizeBytes } }),
    ]);
    state.open.intervals = state.open.intervals.filter((iv) => !(iv.resourceId === resourceId && iv.startedAtMs === at));
    for (const iv of state.open.intervals) if (iv.resourceId === resourceId && iv.stoppedAtMs === null) iv.stoppedAtMs = at;
    state.open.intervals.push({ resourceId, memberId: resource.memberId, kind: 'volume', instanceType: null, sizeBytes, startedAtMs: at, stoppedAtMs: null });
    return { ok: true, replayed: false, value: toResourceView({ ...resource, sizeBytes }) };
  }

  // --- hourly settlement ------------------------------------------------------------------------

  /**
   * Settles every closed hour before cutoffMs: one `usage` entry per hour with usage, exactly once.
   * The entry's idempotency key is the hour, and balances.settled_through_ms moves in the same
   * batch, so a second run, a duplicated message or a rerun after a crash finds nothing to do.
   */
  settle(workspaceId: string, cutoffMs: number): Promise<LedgerResult<{ settledHours: number; chargedMicros: number; forgivenMicros: number }>> {
    return this.queue.run(() => this.thenEnforce(workspaceId, this.settleNow(workspaceId, cutoffMs)));
  }

  private async settleNow(workspaceId: string, cutoffMs: number): Promise<LedgerResult<{ settledHours: number; chargedMicros: number; forgivenMicros: number }>> {
    let state = await this.load(workspaceId);
    if (!state) return notFound;
    // Settlement never trusts a cached price list.
    state.book = await loadPriceBook(this.env.DB);
    state.pricesCheckedAtMs = Date.now();
    let settledHours = 0;
    let chargedMicros = 0;
    let forgivenMicros = 0;
    let rebuilds = 0;
    // The next closed hour is recomputed from the state each time round: after a rebuild from D1
    // the settled point may have moved, and an hour before it is never billed again.
    for (let hourMs = state.open.closedHours(cutoffMs)[0]; hourMs !== undefined; hourMs = state.open.closedHours(cutoffMs)[0]) {
      if (hourMs < state.open.settledThroughMs) throw new LedgerInvariantError(`hour ${iso(hourMs)} is before the settled point`);
      const { rollups, intervals } = await readHour(this.db, workspaceId, hourMs);
      const bill = billHour(hourMs, rollups, intervals, state.book, state.balanceMicros);
      const nowMs = Date.now();
      const txnId = newId('txn', nowMs);
      try {
        const [updated] = await this.db.batch([
          this.moveBalance(state, -bill.chargedMicros, nowMs, hourMs + MS_PER_HOUR),
          this.db.insert(transactions).values({
            id: txnId,
            workspaceId,
            idempotencyKey: `settle:${iso(hourMs)}`,
            requestHash: 'settlement',
            type: 'usage',
            status: 'completed',
            description: bill.description,
            amountMicros: -bill.chargedMicros || 0,
            forgivenMicros: bill.forgivenMicros,
            balanceAfterMicros: balanceAfterGuard(workspaceId),
            createdAtMs: nowMs,
            settledAtMs: nowMs,
          }),
          insertSettlementLines(this.db, workspaceId, txnId, bill),
        ]);
        state.balanceMicros = updated[0]?.balanceMicros ?? state.balanceMicros - bill.chargedMicros;
        state.updatedAtMs = nowMs;
        state.open.settleThrough(hourMs + MS_PER_HOUR);
        settledHours += 1;
        chargedMicros += bill.chargedMicros;
        forgivenMicros += bill.forgivenMicros;
      } catch (error) {
        // Settled already (by an earlier life of this object), or the cache was stale: rebuild
        // from D1, which knows exactly which hours are settled, and carry on from there.
        this.state = null;
        const expected = String(error).includes('UNIQUE') || String(error).includes('transactions_completed_has_balance_after');
        if (!expected || ++rebuilds > 3) throw error;
        state = await this.load(workspaceId);
        if (!state) return notFound;
      }
    }
    return { ok: true, replayed: false, value: { settledHours, chargedMicros, forgivenMicros } };
  }

  // --- zero balance: enforcement and the alarm that predicts it -------------------------------

  /**
   * What the balance demands, acted on now (used by the alarm, and by tests to simulate it at a
   * given instant). Terminates and suspends at zero, restores storage above it, keeps the
   * low-balance flag in step, and re-arms the alarm.
   */
  checkBalance(workspaceId: string, atMs?: number): Promise<LedgerResult<{ alarmAtMs: number | null }>> {
    return this.queue.run(async () => {
      const state = await this.load(workspaceId);
      if (!state) return notFound;
      await this.refreshPrices(state);
      await this.enforce(state, atMs ?? Date.now());
      return { ok: true, replayed: false, value: { alarmAtMs: this.alarmAtMs } };
    });
  }

  override async alarm(): Promise<void> {
    this.alarmAtMs = null;
    const workspaceId = await this.ctx.storage.get<string>('workspaceId');
    if (workspaceId) await this.checkBalance(workspaceId);
  }

  private alarmAtMs: number | null = null;
  private afterCommit: (() => Promise<void>) | null = null;
  private workspaceIdStored = false;

  /** Runs after a mutation, in its queue turn: the mutation's answer stands whatever happens here. */
  private async thenEnforce<T>(workspaceId: string, mutation: Promise<LedgerResult<T>>): Promise<LedgerResult<T>> {
    const result = await mutation;
    if (!result.ok) return result;
    try {
      const state = await this.load(workspaceId);
      if (state) await this.enforce(state, Date.now());
    } catch (error) {
      // The change itself is committed; enforcement runs again on the next change, the alarm or
      // the hourly cron.
      this.state = null;
      console.error(JSON.stringify({ level: 'error', msg: 'zero-balance enforcement failed; retrying in 30 s', workspaceId, error: String(error) }));
      await this.ctx.storage.setAlarm(Date.now() + 30_000).catch(() => undefined);
      this.alarmAtMs = null;
    }
    return result;
  }

  /** Settings changed outside the object (auto-top-up, a saved card): reload and act on them. */
  reloadSettings(workspaceId: string): Promise<LedgerResult<null>> {
    return this.queue.run(async () => {
      this.state = null;
      const state = await this.load(workspaceId);
      if (!state) return notFound;
      await this.enforce(state, Date.now());
      return { ok: true, replayed: false, value: null };
    });
  }

  /**
   * One off-session payment per crossing below the threshold: a pending `auto_recharge` entry and
   * the crossing mark in one batch, then the PaymentIntent (its idempotency key is the entry's),
   * then the outcome. A payment Stripe has not decided yet stays pending for the webhook.
   */
  private async maybeAutoRecharge(state: LedgerState, nowMs: number): Promise<void> {
    const f = state.flags;
    const spendable = this.spendable(state, nowMs);
    const ws = state.workspaceId;
    if (spendable >= f.autoTopupThresholdCents * MICROS_PER_CENT) {
      if (f.autoRechargeCrossingAtMs !== null) {
        await this.db.update(workspaces).set({ autoRechargeCrossingAtMs: null }).where(eq(workspaces.id, ws));
        f.autoRechargeCrossingAtMs = null;
      }
      return;
    }
    if (!f.autoTopupEnabled || !f.paymentMethodId || !f.stripeCustomerId || f.autoRechargeCrossingAtMs !== null) return;
    const key = `auto:${nowMs}`;
    const amountCents = f.autoTopupAmountCents;
    await this.db.batch([
      this.db.insert(transactions).values({
        id: newId('txn', nowMs),
        workspaceId: ws,
        idempotencyKey: key,
        requestHash: 'auto_recharge',
        type: 'auto_recharge',
        status: 'pending',
        description: `Auto-recharge ($${(amountCents / 100).toFixed(2)}) below $${(f.autoTopupThresholdCents / 100).toFixed(2)}`,
        amountMicros: amountCents * MICROS_PER_CENT,
        createdAtMs: nowMs,
      }),
      this.db.update(workspaces).set({ autoRechargeCrossingAtMs: nowMs }).where(and(eq(workspaces.id, ws), isNull(workspaces.autoRechargeCrossingAtMs))),
    ]);
    f.autoRechargeCrossingAtMs = nowMs;
    const { outcome, failureReason } = await chargeSavedCard(this.env, {
      workspaceId: ws,
      transactionKey: key,
      amountCents,
      customerId: f.stripeCustomerId,
      paymentMethodId: f.paymentMethodId,
      description: 'burnrate auto-recharge',
    });
    if (outcome) await this.closeDepositNow({ workspaceId: ws, key, outcome, failureReason });
  }

  private balanceView(state: LedgerState, nowMs: number): BalanceView {
    return {
      spendableMicros: this.spendable(state, nowMs),
      burnRateMicrosPerHour: state.open.burnRateMicrosPerHour(nowMs, state.book),
      runningRateMicrosPerHour: state.open.runningRateMicrosPerHour(nowMs, state.book),
    };
  }

  private horizonHours(): number {
    const hours = Number(this.env.LOW_BALANCE_HORIZON_HOURS ?? 24);
    return Number.isFinite(hours) && hours >= 0 ? hours : 24;
  }

  private async enforce(state: LedgerState, nowMs: number): Promise<void> {
    if (!this.workspaceIdStored) {
      await this.ctx.storage.put('workspaceId', state.workspaceId);
      this.workspaceIdStored = true;
    }
    // Auto-recharge comes first: a payment that lands may make termination unnecessary.
    await this.maybeAutoRecharge(state, nowMs);
    // Each step changes what the next one sees (a termination stops the burn, which can make the
    // balance low); three steps reach a fixed point.
    for (let step = 0; step < 3; step++) {
      const view = this.balanceView(state, nowMs);
      const plan = planEnforcement(view, state.flags, state.open.intervals, nowMs, this.horizonHours());
      if (plan.kind === 'none') break;
      await this.applyEnforcement(state, plan, view, nowMs);
    }
    const next = nextAlarmMs(this.balanceView(state, nowMs), state.flags, nowMs, this.horizonHours());
    if (next !== this.alarmAtMs) {
      if (next === null) await this.ctx.storage.deleteAlarm();
      else await this.ctx.storage.setAlarm(next);
      this.alarmAtMs = next;
    }
  }

  private async applyEnforcement(state: LedgerState, plan: Exclude<Enforcement, { kind: 'none' }>, view: BalanceView, nowMs: number) {
    const db = this.db;
    const ws = state.workspaceId;
    let events: OutboxEvent[];
    if (plan.kind === 'terminate') {
      const built = terminationStatements(db, ws, plan);
      events = built.events;
      const [first, ...rest] = [...built.statements, ...(events.length ? [insertOutbox(db, ws, events, nowMs)] : [])];
      await db.batch([first!, ...rest]);
      for (const iv of [...plan.instances, ...plan.volumes]) iv.stoppedAtMs = plan.atMs;
      if (built.suspendStorage) state.flags.storageSuspendedAtMs ??= plan.atMs;
      state.flags.lowBalanceSinceMs ??= plan.atMs;
    } else if (plan.kind === 'restore') {
      const built = restoreStatements(db, ws, plan.atMs);
      events = built.events;
      const [reopen, clear] = built.statements;
      const results = await db.batch([reopen, clear, insertOutbox(db, ws, events, nowMs), built.volumes]);
      for (const v of results[3]) {
        state.open.intervals.push({ resourceId: v.id, memberId: v.memberId, kind: 'volume', instanceType: null, sizeBytes: v.sizeBytes, startedAtMs: plan.atMs, stoppedAtMs: null });
      }
      state.flags.storageSuspendedAtMs = null;
    } else {
      events = plan.low
        ? [
            outboxEvent('balance.low', {
              balanceMicros: view.spendableMicros,
              burnRateMicrosPerHour: view.burnRateMicrosPerHour,
              hoursRemaining: hoursRemaining(view.spendableMicros, view.burnRateMicrosPerHour),
              horizonHours: this.horizonHours(),
            }),
          ]
        : [];
      const flag = db.update(workspaces).set({ lowBalanceSinceMs: plan.low ? plan.atMs : null }).where(eq(workspaces.id, ws));
      await (events.length ? db.batch([flag, insertOutbox(db, ws, events, nowMs)]) : flag);
      state.flags.lowBalanceSinceMs = plan.low ? plan.atMs : null;
    }
    await this.sendNotifications(events);
  }

  // The outbox rows are committed; handing them to the queue is best effort here, and the hourly
  // sweep re-enqueues anything still pending.
  private async sendNotifications(events: readonly OutboxEvent[]) {
    if (events.length === 0) return;
    try {
      await this.env.NOTIFICATION_QUEUE.sendBatch(events.map((e) => ({ body: { eventId: e.id } })));
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'notification enqueue failed; the sweep will retry', error: String(error) }));
    }
  }

  // --- internals --------------------------------------------------------------------------------

  /** What the workspace can spend now: the settled balance less the usage accrued since. */
  private spendable(state: LedgerState, nowMs: number): number {
    return Math.max(0, state.balanceMicros - state.open.accumulatingMicros(nowMs, state.book));
  }

  /** The guarded balance update every money batch starts with. */
  private moveBalance(state: LedgerState, deltaMicros: number, nowMs: number, settledThroughMs?: number) {
    return this.db
      .update(balances)
      .set({
        balanceMicros: sql`${balances.balanceMicros} + ${deltaMicros}`,
        updatedAtMs: nowMs,
        ...(settledThroughMs === undefined ? {} : { settledThroughMs }),
      })
      .where(
        and(
          eq(balances.workspaceId, state.workspaceId),
          eq(balances.balanceMicros, state.balanceMicros),
          eq(balances.settledThroughMs, state.open.settledThroughMs),
        ),
      )
      .returning({ balanceMicros: balances.balanceMicros });
  }

  private async refreshPrices(state: LedgerState) {
    const latest = await latestPriceVersion(this.env.DB);
    if (latest !== state.book.latestVersion) state.book = await loadPriceBook(this.env.DB);
    state.pricesCheckedAtMs = Date.now();
  }

  // Reads never wait on D1; they start a price check in the background at most every few seconds,
  // so that runtime accrues at a new price soon after a change even with no writes.
  private refreshingPrices = false;
  private refreshPricesSoon(state: LedgerState) {
    if (this.refreshingPrices || Date.now() - state.pricesCheckedAtMs < PRICE_CHECK_INTERVAL_MS) return;
    this.refreshingPrices = true;
    this.ctx.waitUntil(
      this.refreshPrices(state)
        .catch((error) => console.error(JSON.stringify({ level: 'error', msg: 'price refresh failed', error: String(error) })))
        .finally(() => {
          this.refreshingPrices = false;
        }),
    );
  }

  private async findByKey(workspaceId: string, key: string) {
    return this.db
      .select()
      .from(transactions)
      .where(and(eq(transactions.workspaceId, workspaceId), eq(transactions.idempotencyKey, key)))
      .get();
  }

  private findResource(id: string) {
    return this.db.select().from(resources).where(eq(resources.id, id)).get();
  }

  private replay(row: typeof transactions.$inferSelect, requestHash: string): LedgerResult<TransactionView> {
    if (row.requestHash !== requestHash) {
      return { ok: false, code: 'idempotency_conflict', message: `The id "${row.idempotencyKey}" was already used with a different request.` };
    }
    return { ok: true, replayed: true, value: toTransactionView(row) };
  }

  private replayResource(row: typeof resources.$inferSelect, requestHash: string): LedgerResult<ResourceView> {
    if (row.requestHash !== requestHash) {
      return { ok: false, code: 'idempotency_conflict', message: `The resource id "${row.id}" was already used with a different request.` };
    }
    return { ok: true, replayed: true, value: toResourceView(row) };
  }

  private load(workspaceId: string): Promise<LedgerState | null> {
    if (this.state) {
      if (this.state.workspaceId !== workspaceId) throw new LedgerInvariantError('ledger object addressed with another workspace id');
      return Promise.resolve(this.state);
    }
    if (!this.loading) {
      this.loading = readLedgerState(this.env.DB, workspaceId)
        .then((state) => (this.state = state))
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }
}
