// Reads: answered from memory once loaded, never queued behind mutations.
import { iso } from '../../lib/time';
import { exactInstance, mulDivFloor, roundMicros } from '../../usage/exact_cost';
import { notFound, refreshPrices, spendableFrom, spendableMicros, type LedgerContext } from '../state/ledger_context';
import type { LedgerResult } from '../ledger_result';
import type { BurnBreakdown, CreditSummary } from '../ledger_types';
import type { LedgerState } from '../state/ledger_state';
import { summaryHoursRemaining } from '../enforcement/alerts/alert_inputs';
import type { SpendControls } from '../rules/holds/spend_controls';
import { simBroken } from '../../lib/sim_hooks';

const PRICE_CHECK_INTERVAL_MS = 10_000;

export type SandboxQuote = { costMicros: number; affordable: boolean; affordableSeconds: number | null; microsPerHour: number };

export class LedgerReads {
  // Reads never wait on D1; they start a price check in the background at most every few seconds,
  // so that runtime accrues at a new price soon after a change even with no writes.
  private refreshingPrices = false;

  /** `checkBalance` runs zero-balance enforcement through the object's queue. */
  constructor(
    private readonly ledger: LedgerContext,
    private readonly ctx: DurableObjectState,
    private readonly checkBalance: (workspaceId: string) => Promise<unknown>,
    /** Holds and spend limits (holds/spend_controls.ts): checks subtract holds and apply the member's limit. */
    private readonly spend: SpendControls,
  ) {}

  async creditCheck(
    workspaceId: string,
    amountMicros: number,
    memberId?: string,
  ): Promise<LedgerResult<{ allowed: boolean; balanceMicros: number; reason?: 'insufficient_credits' | 'spend_limit' }>> {
    const state = await this.ledger.load(workspaceId);
    if (!state) return notFound;
    this.refreshPricesSoon(state);
    const nowMs = Date.now();
    const spendable = spendableMicros(state, nowMs);
    // The alarm should have acted already; if a check sees the balance gone first, act now (holds aside: they never terminate).
    if (spendable <= 0 && state.open.intervals.some((iv) => iv.stoppedAtMs === null)) {
      this.ctx.waitUntil(this.checkBalance(workspaceId).catch(() => undefined));
    }
    // (The simulator's broken rule answers one micro more than the blocks hold: test-only, SIM_HOOKS.)
    const available = this.spend.availableMicros(state, nowMs) + (simBroken('credit_check_over_blocks') ? 1 : 0);
    if (!(available > 0 && available >= amountMicros)) return { ok: true, replayed: false, value: { allowed: false, balanceMicros: available, reason: 'insufficient_credits' } };
    // A member's limit: what is left of it must be positive and cover the amount, as the balance must.
    const limited = this.spend.limitRefusal(memberId, Math.max(amountMicros, 1));
    if (limited) return { ok: true, replayed: false, value: { allowed: false, balanceMicros: available, reason: 'spend_limit' } };
    return { ok: true, replayed: false, value: { allowed: true, balanceMicros: available } };
  }

  async creditSummary(workspaceId: string): Promise<LedgerResult<CreditSummary>> {
    const state = await this.ledger.load(workspaceId);
    if (!state) return notFound;
    this.refreshPricesSoon(state);
    const nowMs = Date.now();
    const accumulatingMicros = state.open.accumulatingMicros(nowMs, state.book);
    const spendable = spendableFrom(state.balanceMicros, accumulatingMicros);
    // What active holds reserve is not spendable, but the hours remaining count the burn alone (holds aside).
    const heldMicros = this.spend.book.heldMicros;
    const balanceMicros = Math.max(0, spendable - heldMicros);
    const burnRateMicrosPerHour = state.open.burnRateMicrosPerHour(nowMs, state.book);
    const nextExpiry = state.blocks.nextExpiry();
    // Scheduled expiries count toward the zero crossing (the plain division when none are scheduled).
    const hoursLeft = summaryHoursRemaining(state, spendable, accumulatingMicros, burnRateMicrosPerHour, nowMs);
    return {
      ok: true,
      replayed: false,
      value: {
        balanceMicros,
        accumulatingMicros,
        burnRateMicrosPerHour,
        hoursRemaining: hoursLeft,
        paidMicros: state.blocks.paidMicros,
        promotionalMicros: state.blocks.promotionalMicros,
        heldMicros,
        nextExpiry: nextExpiry ? { at: iso(nextExpiry.atMs), amountMicros: nextExpiry.amountMicros } : null,
        updatedAt: iso(Math.max(state.updatedAtMs, accumulatingMicros > 0 ? nowMs : 0)),
        openSinceMs: state.open.oldestUnsettledHourMs(nowMs),
        nextExpiryCategory: nextExpiry?.category ?? null,
        settledThroughMs: state.open.settledThroughMs,
      },
    };
  }

  /**
   * The burn rate in its two parts, read at one moment: what runs now (each instance and volume
   * with its rate) and the trailing hour of event usage (tokens, tools, charges).
   */
  async burnBreakdown(workspaceId: string): Promise<LedgerResult<BurnBreakdown>> {
    const state = await this.ledger.load(workspaceId);
    if (!state) return notFound;
    this.refreshPricesSoon(state);
    const nowMs = Date.now();
    const running = state.open.runningResources(nowMs, state.book).map((r) => ({
      resourceId: r.resourceId,
      memberId: r.memberId || null,
      kind: r.kind,
      instanceType: r.instanceType,
      sizeBytes: r.sizeBytes,
      startedAt: iso(r.startedAtMs),
      microsPerHour: r.microsPerHour,
    }));
    const runningMicrosPerHour = running.reduce((sum, r) => sum + r.microsPerHour, 0);
    const recentMicrosPerHour = state.open.recentEventMicrosPerHour(nowMs);
    return { ok: true, replayed: false, value: { running, runningMicrosPerHour, recentMicrosPerHour, burnRateMicrosPerHour: runningMicrosPerHour + recentMicrosPerHour, at: iso(nowMs) } };
  }

  async quoteSandboxRuntime(workspaceId: string, instanceType: string, seconds: number): Promise<LedgerResult<SandboxQuote | null>> {
    const state = await this.ledger.load(workspaceId);
    if (!state) return notFound;
    await refreshPrices(this.ledger.env, state);
    const nowMs = Date.now();
    const rate = state.book.at(nowMs).instanceTypes.get(instanceType);
    if (rate === undefined) return { ok: true, replayed: false, value: null };
    const costMicros = roundMicros(exactInstance(seconds * 1000, rate));
    // What holds reserve is not there to run an instance on.
    const spendable = this.spend.availableMicros(state, nowMs);
    // How long the balance lasts with this instance added to what already burns.
    const burn = state.open.burnRateMicrosPerHour(nowMs, state.book) + rate;
    // spendable × 3600 passes 2^53 from 2.5×10^12 micros (2.5 million credits): the product is a BigInt.
    const affordableSeconds = burn > 0 ? mulDivFloor(spendable, 3600, burn) : null;
    // Affordable: the balance covers the cost and lasts that long with what already runs.
    const affordable = spendable > 0 && spendable >= costMicros && (affordableSeconds === null || affordableSeconds >= seconds);
    return { ok: true, replayed: false, value: { costMicros, affordable, affordableSeconds, microsPerHour: rate } };
  }

  private refreshPricesSoon(state: LedgerState) {
    if (this.refreshingPrices || Date.now() - state.pricesCheckedAtMs < PRICE_CHECK_INTERVAL_MS) return;
    this.refreshingPrices = true;
    this.ctx.waitUntil(
      refreshPrices(this.ledger.env, state)
        .catch((error) => console.error(JSON.stringify({ level: 'error', msg: 'price refresh failed', error: String(error) })))
        .finally(() => {
          this.refreshingPrices = false;
        }),
    );
  }
}
