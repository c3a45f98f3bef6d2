// What the home ledger object does for regions (WorkspaceLedger delegates here): a lease exchange
// records the spends a region reports (each exactly once, by its key; funded in burn-down order
// like any debit) and then moves the region's lease (lease_change_write.ts); a spend-limit change
// recalls every lease, so that regions send that member's requests home before the change answers.
import type { Env } from '../env';
import { callerKey } from '../ledger/caller_keys';
import { EntryWrite, type EntryHooks } from '../ledger/writes/entry_writes';
import type { LedgerGroupCommit } from '../ledger/writes/group_commit';
import type { HoldsDesk } from '../ledger/rules/holds/holds_desk';
import { notFound, type LedgerContext } from '../ledger/state/ledger_context';
import type { LedgerResult } from '../ledger/ledger_result';
import { ensureLayout } from '../ledger/state/object_layout';
import { crossRegion } from './cross_region';
import { homeRegionOf } from './home_region';
import { heldLeaseMicros, LeaseChangeWrite, replayedAnswer, type LeaseAnswers } from './lease_change_write';
import { isLeaseHoldId, leaseHoldId, type LeaseAnswer, type LeaseExchange, type ReportedSpend } from './lease_protocol';
import { regionalFor } from './regional_stub';
import type { Region } from './regions';

const SCHEMA = [`CREATE TABLE IF NOT EXISTS region_leases (region TEXT PRIMARY KEY, seq INTEGER NOT NULL, answer TEXT NOT NULL) WITHOUT ROWID`];
const LAYOUT = 'region_leases_layout_1';

export class HomeLeases implements LeaseAnswers {
  /** Exchanges being applied, by region and seq: a retry that arrives meanwhile waits for the first. */
  private readonly inFlight = new Map<string, Promise<LedgerResult<LeaseAnswer>>>();
  /**
   * The last exchange applied or being applied, of any region: exchanges are applied one after
   * another. An exchange's spends are recorded (lowering the balance) before its lease shrinks by
   * them; another region's spends decided in between counted those credits twice (spent, and still
   * reserved by the first region's lease) and were forgiven though home held their lease (seen under
   * load in concurrent_regions.test.ts: 261 of 503 spends recorded at 0).
   */
  private applying: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly parts: { sql: SqlStorage; env: Env; ledger: LedgerContext; writes: () => LedgerGroupCommit; desk: HoldsDesk },
  ) {
    ensureLayout(parts.sql, LAYOUT, SCHEMA);
  }

  answerOf(region: Region): LeaseAnswer | null {
    const row = this.parts.sql.exec<{ answer: string }>('SELECT answer FROM region_leases WHERE region = ?', region).toArray()[0];
    return row ? (JSON.parse(row.answer) as LeaseAnswer) : null;
  }

  save(region: Region, answer: LeaseAnswer): void {
    this.parts.sql.exec('INSERT OR REPLACE INTO region_leases (region, seq, answer) VALUES (?, ?, ?)', region, answer.seq, JSON.stringify(answer));
  }

  exchange(input: LeaseExchange): Promise<LedgerResult<LeaseAnswer>> {
    const key = `${input.region}#${input.seq}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const done = this.applying
      .catch(() => undefined)
      .then(() => this.apply(input))
      .finally(() => this.inFlight.delete(key));
    this.applying = done;
    this.inFlight.set(key, done);
    return done;
  }

  /** Regions holding a lease now. */
  leasedRegions(): Region[] {
    return this.parts.desk.holds
      .activeHolds()
      .filter((h) => isLeaseHoldId(h.id))
      .map((h) => h.id.slice('#lease:'.length) as Region);
  }

  /**
   * Asks every region holding a lease to report and give back its free part now (its open holds
   * stay leased). Called outside the object's queue turn: the regions' exchanges come back here.
   */
  async recallAll(workspaceId: string): Promise<void> {
    const regions = this.leasedRegions();
    if (regions.length === 0) return;
    const home = await homeRegionOf(this.parts.env, workspaceId);
    await Promise.all(
      regions.map((region) =>
        crossRegion(this.parts.env, home, region, () => regionalFor(this.parts.env, workspaceId, region).recall(workspaceId, region, home)).catch((error: unknown) =>
          console.error(JSON.stringify({ level: 'error', msg: 'a lease recall did not reach its region; it returns its lease by its alarm', workspaceId, region, error: String(error) })),
        ),
      ),
    );
  }

  private async apply(input: LeaseExchange): Promise<LedgerResult<LeaseAnswer>> {
    const { ledger, desk, writes } = this.parts;
    desk.expireDue();
    const state = await ledger.load(input.workspaceId);
    if (!state) return notFound;
    const earlier = this.answerOf(input.region);
    if (earlier && earlier.seq === input.seq) return { ok: true, replayed: true, value: replayedAnswer(earlier, heldLeaseMicros(desk.spend.book.get(leaseHoldId(input.region)))) };
    // The spends first, each under its own key (a replay of one already recorded records nothing):
    // while the lease still reserves them, a concurrent request at home sees less, never more.
    const results = await Promise.all(input.spends.map((spend) => writes().submit(new EntryWrite(this.entryOf(input, spend), this.hooksOf(input, spend)))));
    for (const [i, result] of results.entries()) {
      if (result.ok) continue;
      if (result.code !== 'idempotency_conflict') return result;
      // Answered by the region already; the key was taken at home by another request meanwhile. The
      // lease's credits for it go back (nothing is taken twice); logged, for the operator.
      console.error(JSON.stringify({ level: 'error', msg: 'a region reported a spend whose id home knows with another body; not recorded again', workspaceId: input.workspaceId, region: input.region, key: input.spends[i]!.key }));
    }
    const consumedMicros = input.spends.reduce((sum, s) => sum + s.chargedMicros, 0);
    return writes().submit(
      new LeaseChangeWrite({ workspaceId: input.workspaceId, region: input.region, seq: input.seq, consumedMicros, returnMicros: input.returnMicros, wantMicros: input.wantMicros }, desk.spend, this),
    );
  }

  private entryOf(input: LeaseExchange, spend: ReportedSpend) {
    return {
      workspaceId: input.workspaceId,
      id: spend.key,
      kind: spend.kind,
      amountMicros: spend.amountMicros,
      description: spend.description,
      memberId: spend.memberId,
      transactionId: spend.transactionId,
    } as const;
  }

  /**
   * A reported spend takes what the region charged, from the region's lease: never refused (it was
   * answered), funded in burn-down order; whatever the balance cannot cover is forgiven (only if
   * the open hour's usage ate into the lease). Members' spend is tracked as for a deduction.
   */
  private hooksOf(input: LeaseExchange, spend: ReportedSpend): EntryHooks {
    const controls = this.parts.desk.spend;
    const tracking = controls.deductionHooks(spend.memberId);
    const leaseId = leaseHoldId(input.region);
    return {
      forgiveShortfall: true,
      availableMicros: (view) => {
        const lease = controls.book.getIn(view, leaseId);
        const leased = lease?.status === 'held' ? lease.amountMicros : 0;
        const otherHolds = controls.book.heldIn(view) - leased;
        return Math.max(0, Math.min(spend.chargedMicros, view.spendableMicros() - otherHolds));
      },
      decided: tracking.decided,
      durable: tracking.durable,
    };
  }
}

/** The key a regional spend is recorded under at home: the same as if home had decided it. */
export const deductionKey = (callerId: string): string => callerKey(callerId);
