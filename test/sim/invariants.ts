// What must hold after every step, for every workspace of the run. Each invariant is one entry of
// INVARIANTS: a name and a check over the world and the step's snapshot (snapshot.ts) that answers
// null (holds) or what is wrong. Operations report what they see broken in an answer under an
// invariant's name (world.observe), and that is reported first. To add one: read what it needs in
// snapshot.ts, append an entry here and, if an operation sees it in answers, observe it there under
// the same name.
import { publicApi } from '../helpers/api';
import { HOUR_MS, hourOf } from './clock';
import { Prng } from './prng';
import { env } from 'cloudflare:workers';
import { shardNames } from '../../workers/storage/databases';
import { shardFor } from '../../workers/storage/placement';
import { periodStartMs } from './ops/limit_checks';
import { snapshotAll, type WorkspaceSnapshot } from './snapshot';
import { callerKey } from '../../workers/ledger/caller_keys';
import { holdEntryKey } from '../../workers/ledger/rules/holds/hold_keys';
import { activeInModel, HOME_REGION, type SimWorkspace, type World } from './world';

/** The key of a hold's capture entry (workers/ledger/rules/holds/hold_keys.ts). */
const HOLD_KEY = 'caller:hold:';
/** A region's escrow lease, kept at home as a hold of its own (workers/regions/lease_protocol.ts). */
const isLease = (holdId: string) => holdId.startsWith('#lease:');

export interface Invariant {
  name: string;
  check(world: World, snapshots: readonly WorkspaceSnapshot[]): Promise<string | null> | string | null;
}

const shardOf = (ws: SimWorkspace) => shardFor(ws.workspaceId, shardNames(env));

/** The first problem of any workspace, named after it. */
function everyWorkspace(w: World, snapshots: readonly WorkspaceSnapshot[], check: (ws: SimWorkspace, s: WorkspaceSnapshot) => string | null): string | null {
  for (const ws of w.workspaces) {
    const problem = check(ws, snapshots[ws.index]!);
    if (problem) return `ws${ws.index}: ${problem}`;
  }
  return null;
}

export const INVARIANTS: readonly Invariant[] = [
  {
    // The ledger object answers (its journal reached D1), and D1's balance row equals the sum of
    // completed entries, as does the sum the shard's triggers keep (test/setup/ledger_invariant.ts).
    name: 'balance_equals_ledger',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (_ws, { projectionFailure, sums }) => {
        if (projectionFailure) return `the ledger object cannot project its journal: ${projectionFailure}`;
        if (!sums) return 'no balance row';
        if (sums.balance !== sums.ledger) return `balance ${sums.balance} ≠ sum of completed entries ${sums.ledger}`;
        if (sums.keptSum !== sums.ledger) return `kept ledger sum ${sums.keptSum} ≠ sum of completed entries ${sums.ledger}`;
        return null;
      }),
  },
  {
    name: 'never_below_zero',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (_ws, { sums, creditCheckMicros }) => {
        if (sums && (sums.balance < 0 || sums.minBalanceAfter < 0)) return `balance ${sums.balance}, lowest balance after an entry ${sums.minBalanceAfter}`;
        if (creditCheckMicros !== null && creditCheckMicros < 0) return `credit check answers ${creditCheckMicros}`;
        return null;
      }),
  },
  {
    // Every key the simulator saw answered 201 is one row in D1, the one it was answered with (or,
    // retried from another region that decided it again, the one that reached home first).
    name: 'idempotency_one_effect',
    check: (w, snaps) => {
      const byKey = snaps.map((s) => {
        const m = new Map<string, string[]>();
        for (const { key, id } of s.keys) {
          const caller = key.startsWith('caller:') ? key.slice('caller:'.length) : key;
          m.set(caller, [...(m.get(caller) ?? []), id]);
        }
        return m;
      });
      for (const effect of w.keys.values()) {
        if (!effect.answer) continue;
        const ids = byKey[effect.workspace]!.get(effect.key) ?? [];
        if (effect.decidedIn && effect.decidedIn !== HOME_REGION) {
          // Decided in a far region: recorded at home when the region reports it, once, under the id it answered.
          const spend = snaps[effect.workspace]!.regional.find((f) => f.region === effect.decidedIn)?.spends.find((sp) => sp.key === callerKey(effect.key));
          if (!spend) return `ws${effect.workspace}: key ${effect.key} was answered ${effect.answer.id} by ${effect.decidedIn}, which no longer knows it`;
          if (spend.transactionId !== effect.answer.id) return `ws${effect.workspace}: key ${effect.key} was answered ${effect.answer.id} by ${effect.decidedIn}, which keeps ${spend.transactionId}`;
          // Retried from another region, which decided it again: home records whichever reached it first.
          const otherId = ids.length === 1 && ids[0] !== effect.answer.id && !effect.retriedElsewhere;
          if (ids.length > 1 || otherId || (spend.reported === 1 && ids.length === 0)) {
            return `ws${effect.workspace}: key ${effect.key} answered ${effect.answer.id} in ${effect.decidedIn} (${spend.reported ? 'reported' : 'not reported yet'}), D1 holds ${JSON.stringify(ids)}`;
          }
          continue;
        }
        if (ids.length !== 1 || (ids[0] !== effect.answer.id && !effect.retriedElsewhere)) return `ws${effect.workspace}: key ${effect.key} answered ${effect.answer.id}, D1 holds ${JSON.stringify(ids)}`;
      }
      return null;
    },
  },
  {
    // Each Stripe refund and dispute took credits at most once and gave them back at most once
    // (refund:<id>, refund:<id>:reversed; dispute:<id>:withdrawn, dispute:<id>:reinstated: counted
    // by the sign of the amount, whatever the key's suffix; entries of 0 moved nothing), and after a repair run of
    // reconciliation nothing of this run's workspaces is left mismatched.
    name: 'stripe_object_once',
    check: (w, snaps) => {
      if (w.reconciledMismatches && w.reconciledMismatches.length > 0) return `reconciliation after a repair still reports: ${w.reconciledMismatches.join('; ')}`;
      return everyWorkspace(w, snaps, (_ws, { keys }) => {
        const perObject = new Map<string, string[]>();
        for (const { key, amountMicros, status } of keys) {
          const [kind, id] = key.split(':');
          // An entry of 0 (a dispute withdrawn from a zero balance, all of it forgiven, and its
          // reinstatement of that 0) moved nothing.
          if ((kind !== 'refund' && kind !== 'dispute') || amountMicros === 0) continue;
          const object = `${id} ${amountMicros < 0 ? 'taken' : 'given back'}`;
          perObject.set(object, [...(perObject.get(object) ?? []), `${key} ${amountMicros} ${status}`]);
        }
        const twice = [...perObject].filter(([, rows]) => rows.length > 1);
        return twice.length > 0 ? `Stripe objects that moved the ledger more than once: ${twice.map(([id, rows]) => `${id} ×${rows.length} (${rows.join('; ')})`).join(', ')}` : null;
      });
    },
  },
  {
    // Each usage event the simulator sent is stored once, in an hour no earlier than its own, and
    // every settled hour billed exactly the events stored in it (tool executions counted, model
    // tokens summed, one line per charge).
    name: 'usage_billed_once',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (ws, { events, sums, lines }) => {
        const storedIds = new Set(events.map((e) => e.id));
        for (const id of ws.events.keys()) if (!storedIds.has(id)) return `accepted event ${id} is not stored`;
        for (const e of events) {
          const sent = ws.sent.get(e.id);
          if (!sent) return `stored event ${e.id} was never sent`;
          if (e.hourMs < hourOf(Date.parse(sent.occurredAt as string))) return `event ${e.id} billed in an hour before it occurred`;
        }
        const settledThroughMs = sums?.settledThroughMs ?? 0;
        const expected = new Map<string, { count: number; input: number; output: number }>();
        for (const e of events) {
          if (e.hourMs >= settledThroughMs) continue;
          const kind = e.type === 'model' ? 'model' : e.type === 'tool_execution' ? 'tool' : 'charge';
          const key = `${e.hourMs}|${kind}|${e.lineKey}`;
          const agg = expected.get(key) ?? { count: 0, input: 0, output: 0 };
          agg.count += 1;
          agg.input += e.input;
          agg.output += e.output;
          expected.set(key, agg);
        }
        const billed = new Map(lines.map((l) => [`${l.hourMs}|${l.kind}|${l.lineKey}`, l]));
        for (const [key, agg] of expected) {
          const line = billed.get(key);
          const kind = key.split('|')[1];
          if (!line) return `no settled line for ${key} (${agg.count} events)`;
          if (kind === 'model' ? line.input !== agg.input || line.output !== agg.output : line.count !== agg.count) {
            return `line ${key} billed ${JSON.stringify({ count: line.count, input: line.input, output: line.output })}, its events hold ${JSON.stringify(agg)}`;
          }
        }
        for (const key of billed.keys()) if (!expected.has(key)) return `settled line ${key} has no stored events`;
        return null;
      }),
  },
  {
    // Credit blocks (docs/credit-blocks.md): each block's remainder is its amount less every funding
    // row drawn from it, the remainders add up to the balance (and to the sum the triggers keep),
    // and the credit check never answers more than the blocks hold.
    name: 'credit_blocks_add_up',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (_ws, { sums, blockFacts: b, creditCheckMicros }) => {
        if (b.blocksReady !== 1) return `blocks_ready ${b.blocksReady} (a workspace made now is born with blocks)`;
        let remainingSum = 0;
        for (const k of b.blocks) {
          if (k.remaining !== k.amount - k.funded) return `block ${k.id}: remaining ${k.remaining} ≠ amount ${k.amount} − funding ${k.funded}`;
          remainingSum += k.remaining;
        }
        if (sums && remainingSum !== sums.balance) return `the blocks hold ${remainingSum}, the balance is ${sums.balance}`;
        if (b.keptBlocksSum !== remainingSum) return `kept block sum ${b.keptBlocksSum} ≠ the blocks' remainders ${remainingSum}`;
        if (creditCheckMicros !== null && creditCheckMicros > remainingSum) return `the credit check answers ${creditCheckMicros}, the blocks hold ${remainingSum}`;
        return null;
      }),
  },
  {
    // Every completed debit's funding adds up to what it took (-amountMicros: a forgiven part is not
    // funded), and every funding row belongs to an entry of the workspace.
    name: 'debit_funded',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (_ws, { blockFacts: b }) => {
        const [m] = b.misfunded;
        if (m) return `${m.type} ${m.id} took ${-m.amount}, its funding adds up to ${m.funded}`;
        const [o] = b.orphanFunding;
        if (o) return `funding of ${o.amount} from ${o.blockId} names ${o.transactionId}, no entry of the workspace`;
        return null;
      }),
  },
  {
    // Refunds and withdrawn disputes take paid credit only. (That every debit drew in burn-down order
    // over the blocks open at its time is checked to the micro in test/ledger/credit_blocks.test.ts.)
    name: 'refund_paid_only',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (_ws, { blockFacts: b }) => {
        const [p] = b.promotionalRefunds;
        return p ? `${p.type} ${p.id} took ${p.amount} from promotional block ${p.blockId}` : null;
      }),
  },
  {
    // A block expires (or is voided) at most once: one `expiration` entry, keyed expire:<block id>, per
    // block of the workspace; and once the hour containing its expiresAt is settled, it holds nothing.
    name: 'block_expires_once',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (_ws, { sums, blockFacts: b }) => {
        const ids = new Set(b.blocks.map((k) => k.id));
        const perBlock = new Map<string, number>();
        for (const key of b.expirationKeys) {
          const [prefix, blockId] = key.split(':');
          if (prefix !== 'expire' || !blockId || !ids.has(blockId)) return `expiration keyed ${key} names no block of the workspace`;
          perBlock.set(blockId, (perBlock.get(blockId) ?? 0) + 1);
        }
        const twice = [...perBlock].filter(([, n]) => n > 1);
        if (twice.length > 0) return `blocks expired more than once: ${twice.map(([id, n]) => `${id} ×${n}`).join(', ')}`;
        // The hour containing a block's expiresAt is settled: its remainder went with that settlement.
        const settledThroughMs = sums?.settledThroughMs ?? 0;
        const late = b.blocks.find((k) => k.expiresAtMs !== null && k.remaining > 0 && hourOf(k.expiresAtMs) + HOUR_MS <= settledThroughMs);
        return late ? `block ${late.id} holds ${late.remaining} past its expiry at ${w.clock.rel(late.expiresAtMs)}, settled through ${w.clock.rel(settledThroughMs)}` : null;
      }),
  },
  {
    // Holds (docs/holds.md): the credit summary's heldMicros is the sum of the active holds the ledger
    // object lists; those are the holds its storage keeps as held, and the ones the simulator's model
    // says are active (made, not captured or released, not past their expiry); and the balance it
    // shows is what the blocks hold less the open hour's usage and the holds, never below 0, as the
    // credit check answers it.
    name: 'held_equals_active_holds',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (ws, { sums, creditCheckMicros, holdFacts: f, regional }) => {
        if (!f.active) return 'the ledger object did not list its holds';
        if (!f.summary) return 'no credit summary';
        const listedMicros = f.active.reduce((sum, h) => sum + h.amountMicros, 0);
        // Regions' escrow leases are holds of their own (#lease:<region>): counted in heldMicros, not listed.
        const leases = f.rows.filter((r) => r.status === 'held' && isLease(r.id));
        const leaseMicros = leases.reduce((sum, r) => sum + r.amountMicros, 0);
        if (f.summary.heldMicros !== listedMicros + leaseMicros) return `heldMicros ${f.summary.heldMicros} ≠ the active holds listed ${listedMicros} (${f.active.map((h) => h.id).join(', ')}) + the leases ${leaseMicros}`;
        const listed = new Set(f.active.map((h) => h.id));
        const stored = f.rows.filter((r) => r.status === 'held' && !isLease(r.id)).map((r) => r.id);
        if (stored.length !== listed.size || stored.some((id) => !listed.has(id))) return `stored as held: ${stored.join(', ') || 'none'}; listed: ${[...listed].join(', ') || 'none'}`;
        const nowMs = w.clock.now();
        for (const h of ws.holds.values()) {
          if (!activeInModel(h, nowMs)) continue;
          if (!h.decidedIn && !listed.has(h.id)) return `hold ${h.id} of ${h.amountMicros} (until ${w.clock.rel(h.expiresAtMs)}) is active but not listed`;
          // A hold kept in a far region is held there (its credits inside that region's lease).
          const there = h.decidedIn ? regional.find((r) => r.region === h.decidedIn)?.holds.find((r) => r.id === h.id) : null;
          if (h.decidedIn && there?.status !== 'held') return `hold ${h.id} of ${h.amountMicros} kept in ${h.decidedIn} is active, there it is ${there?.status ?? 'unknown'}`;
        }
        for (const a of f.active) {
          const h = ws.holds.get(a.id);
          if (!h) return `listed hold ${a.id} was never made here`;
          if (h.decidedIn) return `listed hold ${a.id} was made in ${h.decidedIn}, not at home`;
          if (h.state !== 'unknown' && !activeInModel(h, nowMs)) return `listed hold ${a.id} is ${h.state}${h.state === 'held' ? ` and expired at ${w.clock.rel(h.expiresAtMs)}` : ''}`;
        }
        for (const r of regional) {
          for (const row of r.holds) {
            if (row.status !== 'held' || row.atHome === 1 || row.expiresAtMs <= nowMs) continue;
            const h = ws.holds.get(row.id);
            if (!h) return `${r.region} holds ${row.id}, never made here`;
            if (h.state !== 'unknown' && (!activeInModel(h, nowMs) || h.decidedIn !== r.region)) return `${r.region} holds ${row.id}, which is ${h.state}${h.decidedIn ? ` (made in ${h.decidedIn})` : ' at home'}`;
          }
        }
        if (sums) {
          const expected = Math.max(0, sums.balance - f.summary.accumulatingMicros - f.summary.heldMicros);
          if (f.summary.balanceMicros !== expected) return `balanceMicros ${f.summary.balanceMicros} ≠ blocks ${sums.balance} − accumulating ${f.summary.accumulatingMicros} − held ${f.summary.heldMicros}`;
        }
        if (f.summary.balanceMicros < 0) return `balanceMicros ${f.summary.balanceMicros}`;
        if (creditCheckMicros !== null && creditCheckMicros !== f.summary.balanceMicros) return `the credit check answers ${creditCheckMicros}, the summary ${f.summary.balanceMicros}`;
        return null;
      }),
  },
  {
    // Each hold ends in one state and at most one transaction: a captured hold has exactly one entry,
    // its capture (a completed `usage` entry keyed by the hold, charged plus forgiven = what was
    // captured); any other hold none. What the simulator saw captured or released stays so. (That a
    // capture is funded in burn-down order is checked by the capture itself, ops/holds.ts.)
    name: 'hold_one_end',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (ws, { keys, holdFacts: f, regional }) => {
        const entries = new Map<string, WorkspaceSnapshot['keys']>();
        for (const k of keys) {
          if (!k.key.startsWith(HOLD_KEY)) continue;
          const id = k.key.slice(HOLD_KEY.length);
          entries.set(id, [...(entries.get(id) ?? []), k]);
        }
        const ids = new Set([...f.rows.map((r) => r.id), ...regional.flatMap((r) => r.holds.filter((h) => h.atHome === 0).map((h) => h.id))]);
        // Holds kept in a far region: a captured one is recorded at home once the region reports it.
        for (const r of regional) {
          for (const row of r.holds) {
            if (row.atHome === 1) continue;
            const own = entries.get(row.id) ?? [];
            const spend = r.spends.find((sp) => sp.key === holdEntryKey(row.id));
            if (row.status === 'captured') {
              if (!spend || spend.transactionId !== row.transactionId) return `${r.region}: captured hold ${row.id} (${row.transactionId}) has ${spend ? `the spend ${spend.transactionId}` : 'no spend'}`;
              if (own.length > 1 || (spend.reported === 1 && own.length !== 1)) return `${r.region}: captured hold ${row.id} (${spend.reported ? 'reported' : 'not reported yet'}) has ${own.length} entries at home`;
              const e = own[0];
              if (e && (e.id !== row.transactionId || e.type !== 'usage' || e.status !== 'completed' || -e.amountMicros + e.forgivenMicros !== row.capturedMicros || e.amountMicros > 0)) {
                return `${r.region}: hold ${row.id} captured ${row.capturedMicros} as ${row.transactionId}; home's entry ${e.id} is a ${e.status} ${e.type} that took ${-e.amountMicros} and forgave ${e.forgivenMicros}`;
              }
            } else if (own.length > 0 || spend || row.transactionId !== null) return `${r.region}: ${row.status} hold ${row.id} has a transaction (${own.map((e) => e.id).join(', ') || spend?.transactionId || row.transactionId})`;
            const h = ws.holds.get(row.id);
            if (h?.state === 'captured' && (row.status !== 'captured' || row.transactionId !== h.capture?.transactionId)) return `${r.region}: hold ${row.id} was captured as ${h.capture?.transactionId}, now ${row.status} ${row.transactionId}`;
            if (h?.state === 'released' && row.status !== 'released') return `${r.region}: hold ${row.id} was released, now ${row.status}`;
          }
        }
        for (const id of entries.keys()) if (!ids.has(id)) return `a capture entry names hold ${id}, which this workspace never held`;
        for (const r of f.rows) {
          if (!['held', 'captured', 'released', 'expired'].includes(r.status)) return `hold ${r.id} is ${r.status}`;
          const own = entries.get(r.id) ?? [];
          if (r.status === 'captured') {
            if (own.length !== 1) return `captured hold ${r.id} has ${own.length} entries`;
            const e = own[0]!;
            if (e.id !== r.transactionId) return `captured hold ${r.id} names ${r.transactionId}, its entry is ${e.id}`;
            if (e.type !== 'usage' || e.status !== 'completed') return `hold ${r.id}'s capture is a ${e.status} ${e.type}`;
            if (-e.amountMicros + e.forgivenMicros !== r.capturedMicros || e.amountMicros > 0) return `hold ${r.id} captured ${r.capturedMicros}, its entry took ${-e.amountMicros} and forgave ${e.forgivenMicros}`;
          } else if (own.length > 0 || r.transactionId !== null) return `${r.status} hold ${r.id} has a transaction (${own.map((e) => e.id).join(', ') || r.transactionId})`;
          const h = ws.holds.get(r.id);
          if (h?.state === 'captured' && (r.status !== 'captured' || r.transactionId !== h.capture?.transactionId)) return `hold ${r.id} was captured as ${h.capture?.transactionId}, now ${r.status} ${r.transactionId}`;
          if (h?.state === 'released' && r.status !== 'released') return `hold ${r.id} was released, now ${r.status}`;
        }
        return null;
      }),
  },
  {
    // Spend limits: no hold or deduction of a member was granted that took the member's period spend
    // past the limit (checked as each is granted: ops/limit_checks.ts). After every step, the limits
    // the object enforces are the ones set, each counts the member's active holds and at least the
    // member's direct debits of the period in D1, and what remains is the limit less both.
    name: 'spend_limit_respected',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (ws, { holdFacts: f }) => {
        if (ws.limits.size === 0) return null;
        if (!f.limits) return 'the ledger object did not answer its spend limits';
        const nowMs = w.clock.now();
        for (const [memberId, possible] of ws.limits) {
          const view = f.limits.find((l) => l.memberId === memberId);
          const known = possible.length === 1 ? possible[0] : undefined;
          if (known === null && view) return `${memberId}'s limit was removed, the object enforces ${view.limitMicros} a ${view.period}`;
          if (known && (!view || view.limitMicros !== known.limitMicros || view.period !== known.period)) return `${memberId}'s limit is ${known.limitMicros} a ${known.period}, the object enforces ${view ? `${view.limitMicros} a ${view.period}` : 'none'}`;
          if (!view) continue;
          const held = (f.active ?? []).filter((h) => h.memberId === memberId).reduce((sum, h) => sum + h.amountMicros, 0);
          if (view.heldMicros !== held) return `${memberId}'s limit counts ${view.heldMicros} held, its active holds are ${held}`;
          const fromMs = periodStartMs(view.period, nowMs);
          const debits = f.memberDebits.filter((d) => d.memberId === memberId && d.dayMs >= fromMs).reduce((sum, d) => sum + d.micros, 0);
          if (view.spentMicros < debits) return `${memberId}'s limit counts ${view.spentMicros} spent, its direct debits this ${view.period} are ${debits}`;
          if (view.remainingMicros !== Math.max(0, view.limitMicros - view.spentMicros - view.heldMicros)) return `${memberId}'s limit shows ${JSON.stringify(view)}`;
        }
        return null;
      }),
  },
  {
    // Regions (docs/regions.md): no regional object has promised more than its lease (checked as each
    // spend or hold is decided there: ops/regions_checks.ts); every lease home granted in this step
    // fitted what home could give: with it, home's holds and leases stay within its spendable
    // balance (checked while the clock has not moved since the step began, so no usage accrued since
    // the grant).
    name: 'leases_within_spendable',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (_ws, { sums, holdFacts: f, leaseAnswers, regional }) => {
        const nowMs = w.clock.now();
        const leasesAtHome = new Map(f.rows.filter((r) => isLease(r.id) && r.status === 'held').map((r) => [r.id.slice('#lease:'.length), r.amountMicros]));
        for (const r of regional) {
          if (r.unreportedMicros > 0 && !r.lease) return `${r.region} has ${r.unreportedMicros} of unreported spends and no lease`;
          // Between exchanges, home reserves the region's whole lease (test/setup/ledger_invariant.ts checks the same after every file).
          const leaseMicros = r.lease?.leaseMicros ?? 0;
          if (!r.lease?.pending && (leasesAtHome.get(r.region) ?? 0) < leaseMicros) {
            const row = f.rows.find((h) => h.id === `#lease:${r.region}`);
            return `home reserves ${leasesAtHome.get(r.region) ?? 0} for ${r.region} (its lease hold ${row ? row.status : 'absent'}), whose lease is ${leaseMicros} (holds ${r.heldMicros}, unreported ${r.unreportedMicros}, term ${w.clock.rel(r.lease?.termEndsMs ?? 0)})`;
          }
        }
        if (!sums || !f.summary || nowMs !== w.stepStartMs) return null;
        const granted = leaseAnswers.filter((a) => a.answeredAtMs === nowMs && a.grantedMicros > 0);
        if (granted.length === 0) return null;
        const spendable = sums.balance - f.summary.accumulatingMicros;
        if (f.summary.heldMicros > spendable) {
          return `home granted ${granted.map((a) => `${a.region} ${a.grantedMicros}`).join(', ')} now; its holds and leases reserve ${f.summary.heldMicros}, more than the ${spendable} spendable`;
        }
        return null;
      }),
  },
  {
    // Alerts (docs/alerts.md): each balance threshold fires balance.threshold_crossed at most once per
    // downward crossing, below it, and again only after the balance was back at or above it. Checked
    // on the outbox after every step against what the simulator saw: a threshold is armed when set
    // above the balance, or once the balance was seen at or above it (or could have been, within a
    // step that brought credit in: a deposit, grant, positive adjustment or a settlement).
    name: 'threshold_once_per_crossing',
    check: (w, snaps) =>
      everyWorkspace(w, snaps, (ws, { sums, holdFacts: f, keys, thresholdEvents }) => {
        const fresh = thresholdEvents.filter((e) => !ws.alertEventsSeen.has(e.id));
        for (const e of fresh) ws.alertEventsSeen.add(e.id);
        const rises = keys.filter((k) => (k.amountMicros > 0 && k.status === 'completed') || k.key.startsWith('settle:')).length;
        const rose = rises > ws.alertRises;
        ws.alertRises = rises;
        if (!ws.alerts) return null;
        const perThreshold = new Map<number, number>();
        for (const e of fresh) {
          if (e.balanceCents === null || !ws.alerts.has(e.balanceCents)) continue;
          if (e.balanceMicros >= e.balanceCents * 10_000) return `threshold ${e.balanceCents}¢ fired at a balance of ${e.balanceMicros}, not below it`;
          perThreshold.set(e.balanceCents, (perThreshold.get(e.balanceCents) ?? 0) + 1);
        }
        for (const [cents, count] of perThreshold) {
          const allowed = (ws.alerts.get(cents) ? 1 : 0) + (rose ? 1 : 0);
          if (count > allowed) return `threshold ${cents}¢ fired ${count} time(s) this step; the balance was not seen back at or above it since it last fired${rose ? ' (credit came in once)' : ''}`;
          ws.alerts.set(cents, false);
        }
        if (sums && f.summary) {
          const spendable = Math.max(0, sums.balance - f.summary.accumulatingMicros);
          for (const cents of ws.alerts.keys()) if (spendable >= cents * 10_000) ws.alerts.set(cents, true);
        }
        return null;
      }),
  },
  {
    // A transaction of another workspace is a 404 through the public API, and never in the history.
    name: 'tenancy',
    check: async (w) => {
      const withEntries = w.workspaces.filter((ws) => ws.transactionIds.length > 0);
      if (w.workspaces.length < 2 || withEntries.length === 0) return null;
      // Half the time a caller on the owner's own ledger shard, where a read that forgot the
      // workspace would find the row; else any other workspace.
      const rng = new Prng(w.seed ^ Math.imul(w.step, 0x9e3779b1));
      const owner = rng.pick(withEntries);
      const others = w.workspaces.filter((ws) => ws !== owner);
      const sameShard = others.filter((ws) => shardOf(ws) === shardOf(owner));
      const caller = rng.pick(sameShard.length > 0 && rng.chance(0.5) ? sameShard : others);
      const txnId = rng.pick(owner.transactionIds);
      const read = await publicApi('GET', `/v1/billing/transactions/${txnId}`, caller.adminKey);
      if (read.status !== 404) return `ws${caller.index} read ws${owner.index}'s ${txnId}: ${read.status}`;
      if (w.step % 5 !== 0) return null;
      const history = await publicApi('GET', '/v1/billing/credits/history?limit=200', caller.adminKey);
      const foreign = new Set(owner.transactionIds);
      const leaked = ((history.body.data ?? []) as { id: string }[]).filter((t) => foreign.has(t.id));
      return leaked.length > 0 ? `ws${caller.index}'s history lists ws${owner.index}'s ${leaked.map((t) => t.id).join(', ')}` : null;
    },
  },
];

/** The first violation after a step: what operations observed, then each invariant in turn. */
export async function firstViolation(w: World): Promise<{ invariant: string; detail: string } | null> {
  const [observed] = w.observations;
  if (observed) return observed;
  const snapshots = await snapshotAll(w.workspaces);
  for (const [i, snap] of snapshots.entries()) w.workspaces[i]!.creditsSeen = snap.keys.filter((k) => k.amountMicros > 0).length;
  if (w.stateTrace) w.note('state', snapshots.map(stateLine).join('; '));
  for (const invariant of INVARIANTS) {
    const detail = await invariant.check(w, snapshots);
    if (detail) return { invariant: invariant.name, detail };
  }
  return null;
}

/** A workspace's state in one line, for traces that are diffed (`--trace-out`). */
function stateLine(s: WorkspaceSnapshot, index: number): string {
  const h = s.holdFacts.summary;
  const leases = s.regional.map((f) => `${f.region}:${f.lease?.leaseMicros ?? 0}/${f.unreportedMicros}`).join(',');
  return `ws${index} b=${s.sums?.balance ?? '-'} held=${h?.heldMicros ?? '-'} acc=${h?.accumulatingMicros ?? '-'} rows=${s.keys.length} lines=${s.lines.length} events=${s.events.length}${leases ? ` leases=${leases}` : ''}`;
}
