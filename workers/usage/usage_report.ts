import { and, eq, gt, gte, isNull, lt, or } from 'drizzle-orm';
import { resourceIntervals, settlementLines, transactions, usageRollups } from '../../schema/tables';
import type { Env } from '../env';
import { projectedLedgerDbOf } from '../ledger/projected_db';
import { ledgerFor } from '../ledger/ledger_stub';
import { iso } from '../lib/time';
import { directChargesOf } from './direct_charges';
import { assertSafeMicros } from './amount_limits';
import { hourOf, mulDivRound, MS_PER_HOUR } from './exact_cost';
import { selectIntervals } from './interval_query';
import { priceHour, type IntervalRow, type RollupRow } from './price_hour';
import type { PriceBook } from './pricing';
import type { UsageRow } from '../openapi/usage_schemas';

export type { UsageRow };

export interface UsageInputs {
  rollups: RollupRow[];
  intervals: IntervalRow[];
  /** forgiven micros per settled line: `${hourMs}|${kind}|${lineKey}` → micros */
  forgiven: Map<string, number>;
  deductions: Array<{ memberId: string; description: string; amountMicros: number; createdAtMs: number }>;
  settledThroughMs: number;
}

/**
 * Reads what a usage report needs for [fromMs, toMs): hourly rollups (settled hours from D1, the
 * open ones from the workspace's ledger object), intervals, settled lines.
 */
export async function readUsageInputs(env: Env, workspaceId: string, fromMs: number, toMs: number): Promise<UsageInputs> {
  // The object first: its settled point splits the hours between it and D1. An hour it settles
  // after answering is read from its answer, not again from D1.
  const open = await ledgerFor(env, workspaceId).openUsage(workspaceId);
  if (!open.ok) throw new Error(`usage report: ledger object answered ${open.code}`);
  const { settledThroughMs, rollups: openRollups } = open.value;
  const d = await projectedLedgerDbOf(env, workspaceId);
  const fromHour = hourOf(fromMs);
  const [settledRollups, intervals, lines, deductions] = await d.batch([
    d
      .select()
      .from(usageRollups)
      .where(and(eq(usageRollups.workspaceId, workspaceId), gte(usageRollups.hourMs, fromHour), lt(usageRollups.hourMs, Math.min(toMs, settledThroughMs)))),
    selectIntervals(d, workspaceId, and(lt(resourceIntervals.startedAtMs, toMs), or(isNull(resourceIntervals.stoppedAtMs), gt(resourceIntervals.stoppedAtMs, fromHour)))),
    d
      .select({ hourMs: settlementLines.hourMs, kind: settlementLines.kind, lineKey: settlementLines.lineKey, forgivenMicros: settlementLines.forgivenMicros })
      .from(settlementLines)
      .where(and(eq(settlementLines.workspaceId, workspaceId), gte(settlementLines.hourMs, fromHour), lt(settlementLines.hourMs, toMs), gt(settlementLines.forgivenMicros, 0))),
    // Resource charges taken directly (POST /internal/v1/deductions): usage entries that are not
    // hourly settlements.
    d
      .select({ memberId: transactions.memberId, description: transactions.description, amountMicros: transactions.amountMicros, createdAtMs: transactions.createdAtMs })
      .from(transactions)
      .where(directChargesOf(workspaceId, fromMs, toMs)),
  ]);
  const rollups = [...(settledRollups as RollupRow[]), ...openRollups.filter((r) => r.hourMs >= fromHour && r.hourMs < toMs)];
  return {
    rollups,
    intervals: intervals as IntervalRow[],
    forgiven: new Map(lines.map((l) => [`${l.hourMs}|${l.kind}|${l.lineKey}`, l.forgivenMicros])),
    deductions: deductions.map((t) => ({ memberId: t.memberId ?? '', description: t.description, amountMicros: -t.amountMicros, createdAtMs: t.createdAtMs })),
    settledThroughMs,
  };
}

const emptyRow = (): UsageRow => ({
  tokens: { input: 0, output: 0, total: 0 },
  modelUsage: [],
  sandboxRuntime: { settledSeconds: 0, pendingSeconds: 0, forgivenSeconds: 0, activeSeconds: 0, settledMicros: 0, pendingMicros: 0, forgivenMicros: 0, activeEstimateMicros: 0 },
  storageUsage: { byteSeconds: 0, costMicros: 0 },
  toolExecutions: { count: 0, costMicros: 0 },
  resourceCharges: [],
  totalMicros: 0,
});

/**
 * Builds one usage row from the inputs, optionally for one member only. Each hour is priced the way
 * settlement prices it (lines rounded once); runtime is split into settled (charged), forgiven,
 * pending (closed hours not yet settled) and active (the open hour so far).
 */
export function buildUsageRow(inputs: UsageInputs, book: PriceBook, fromMs: number, nowMs: number, memberId?: string): UsageRow {
  const row = emptyRow();
  const rollups = memberId === undefined ? inputs.rollups : inputs.rollups.filter((r) => r.memberId === memberId);
  const intervals = memberId === undefined ? inputs.intervals : inputs.intervals.filter((i) => i.memberId === memberId);
  const hours = new Set<number>(rollups.map((r) => r.hourMs));
  for (const iv of intervals) {
    const start = Math.max(hourOf(iv.startedAtMs), hourOf(fromMs));
    const end = Math.min(iv.stoppedAtMs ?? nowMs, nowMs);
    for (let h = start; h < end; h += MS_PER_HOUR) hours.add(h);
  }
  const models = new Map<string, UsageRow['modelUsage'][number]>();
  const ms = { settled: 0, pending: 0, forgiven: 0, active: 0 };

  for (const hourMs of [...hours].sort((a, b) => a - b)) {
    const settled = hourMs + MS_PER_HOUR <= inputs.settledThroughMs;
    const open = hourMs + MS_PER_HOUR > nowMs;
    for (const line of priceHour(hourMs, Math.min(hourMs + MS_PER_HOUR, nowMs), rollups, intervals, book)) {
      const forgiven = settled ? Math.min(inputs.forgiven.get(`${hourMs}|${line.kind}|${line.lineKey}`) ?? 0, line.costMicros) : 0;
      const paid = line.costMicros - forgiven;
      switch (line.kind) {
        case 'model': {
          const m = models.get(line.lineKey) ?? { model: line.lineKey, inputTokens: 0, outputTokens: 0, totalTokens: 0, costMicros: 0 };
          m.inputTokens += line.inputTokens;
          m.outputTokens += line.outputTokens;
          m.totalTokens += line.inputTokens + line.outputTokens;
          m.costMicros += paid;
          models.set(line.lineKey, m);
          break;
        }
        case 'tool':
          row.toolExecutions.count += line.count;
          row.toolExecutions.costMicros += paid;
          break;
        case 'charge':
          row.resourceCharges.push({ description: line.description ?? 'Charge', amountMicros: paid, createdAt: iso(chargeTime(rollups, line.lineKey, hourMs)) });
          break;
        case 'volume':
          row.storageUsage.byteSeconds += line.byteSeconds;
          row.storageUsage.costMicros += paid;
          break;
        case 'instance': {
          const r = row.sandboxRuntime;
          // Settled first: a cron fired with a later time may have settled the hour still open.
          if (settled) {
            // Split the hour's runtime in proportion to what was forgiven of its cost.
            // runtimeMs × forgiven reaches past 2^53 (3.6e6 ms × 10^10 µ): the product is a BigInt.
            const forgivenMs = line.costMicros > 0 ? mulDivRound(line.runtimeMs, forgiven, line.costMicros) : 0;
            ms.forgiven += forgivenMs;
            ms.settled += line.runtimeMs - forgivenMs;
            r.forgivenMicros += forgiven;
            r.settledMicros += paid;
          } else if (open) {
            ms.active += line.runtimeMs;
            r.activeEstimateMicros += line.costMicros;
          } else {
            ms.pending += line.runtimeMs;
            r.pendingMicros += line.costMicros;
          }
          break;
        }
      }
    }
  }
  for (const d of inputs.deductions) {
    if (memberId !== undefined && d.memberId !== memberId) continue;
    row.resourceCharges.push({ description: d.description, amountMicros: d.amountMicros, createdAt: iso(d.createdAtMs) });
  }
  const r = row.sandboxRuntime;
  r.settledSeconds = Math.round(ms.settled / 1000);
  r.pendingSeconds = Math.round(ms.pending / 1000);
  r.forgivenSeconds = Math.round(ms.forgiven / 1000);
  r.activeSeconds = Math.round(ms.active / 1000);
  row.modelUsage = [...models.values()].sort((a, b) => b.costMicros - a.costMicros || a.model.localeCompare(b.model));
  for (const m of row.modelUsage) {
    row.tokens.input += m.inputTokens;
    row.tokens.output += m.outputTokens;
  }
  row.tokens.total = row.tokens.input + row.tokens.output;
  row.resourceCharges.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  row.totalMicros =
    row.modelUsage.reduce((s, m) => s + m.costMicros, 0) +
    r.settledMicros +
    r.pendingMicros +
    r.activeEstimateMicros +
    row.storageUsage.costMicros +
    row.toolExecutions.costMicros +
    row.resourceCharges.reduce((s, c) => s + c.amountMicros, 0);
  assertSafeRow(row);
  return row;
}

/**
 * Every number of a usage row is a sum over the period's hours: the limits keep a month of them far
 * below 2^53 (amount_limits.ts); a longer period (all_time) is checked here rather than answered
 * inexactly.
 */
function assertSafeRow(row: UsageRow): void {
  const r = row.sandboxRuntime;
  // byteSeconds is a quantity, not an amount: a petabyte for an hour is 3.6e18 of them, so it is
  // not held to exact integers (its cost is, computed exactly from bytes and milliseconds).
  const numbers: Array<[string, number]> = [
    ['tokens.total', row.tokens.total],
    ['totalMicros', row.totalMicros],
    ['sandboxRuntime', r.settledMicros + r.pendingMicros + r.forgivenMicros + r.activeEstimateMicros],
    ['storageUsage.costMicros', row.storageUsage.costMicros],
    ['toolExecutions.costMicros', row.toolExecutions.costMicros],
    ...row.modelUsage.flatMap((m): Array<[string, number]> => [
      [`modelUsage ${m.model} totalTokens`, m.totalTokens],
      [`modelUsage ${m.model} costMicros`, m.costMicros],
    ]),
  ];
  for (const [what, value] of numbers) assertSafeMicros(value, `usage report ${what}`);
}

function chargeTime(rollups: readonly RollupRow[], lineKey: string, hourMs: number): number {
  const r = rollups.find((x) => x.kind === 'charge' && x.lineKey === lineKey) as (RollupRow & { occurredAtMs?: number | null }) | undefined;
  return r?.occurredAtMs ?? hourMs;
}
