import { and, eq, gt, gte, isNull, lt, or } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { balances, resourceIntervals, settlementLines, transactions, usageRollups } from '../../schema/tables';
import type { Env } from '../env';
import { projectedLedgerDbOf } from '../ledger/projected_db';
import { ledgerDbOf } from '../storage/databases';
import { ledgerFor } from '../ledger/ledger_stub';
import { iso } from '../lib/time';
import { directChargesOf } from './direct_charges';
import { assertSafeMicros } from './amount_limits';
import { hourOf, mulDivRound, MS_PER_HOUR } from './exact_cost';
import { selectIntervals } from './interval_query';
import { priceHour, type IntervalRow, type PricedLine, type RollupRow } from './price_hour';
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
export async function readUsageInputs(env: Env, workspaceId: string, fromMs: number, toMs: number, replica?: DrizzleD1Database): Promise<UsageInputs> {
  // The object first: its settled point splits the hours between it and D1. An hour it settles
  // after answering is read from its answer, not again from D1.
  const open = await ledgerFor(env, workspaceId).openUsage(workspaceId);
  if (!open.ok) throw new Error(`usage report: ledger object answered ${open.code}`);
  const { settledThroughMs, rollups: openRollups } = open.value;
  const fromHour = hourOf(fromMs);
  let read: Awaited<ReturnType<typeof readStored>>;
  if (replica) {
    // From a far region (regions/far_reads.ts): the session already holds every write made
    // through the region; a replica behind the object's settled point (a settlement not yet
    // replicated) would miss that hour both here and in the object's answer, so then the primary.
    read = await readStored(replica, workspaceId, fromMs, toMs, fromHour, settledThroughMs);
    if (read.replicaSettledThroughMs < settledThroughMs) read = await readStored(await ledgerDbOf(env, workspaceId), workspaceId, fromMs, toMs, fromHour, settledThroughMs);
  } else {
    read = await readStored(await projectedLedgerDbOf(env, workspaceId), workspaceId, fromMs, toMs, fromHour, settledThroughMs);
  }
  const { settledRollups, intervals, lines, deductions } = read;
  const rollups = [...(settledRollups as RollupRow[]), ...openRollups.filter((r) => r.hourMs >= fromHour && r.hourMs < toMs)];
  return {
    rollups,
    intervals: intervals as IntervalRow[],
    forgiven: new Map(lines.map((l) => [`${l.hourMs}|${l.kind}|${l.lineKey}`, l.forgivenMicros])),
    deductions: deductions.map((t) => ({ memberId: t.memberId ?? '', description: t.description, amountMicros: -t.amountMicros, createdAtMs: t.createdAtMs })),
    settledThroughMs,
  };
}

/** The stored part of a usage report, in one batch, with the settled point of the database read. */
async function readStored(d: DrizzleD1Database, workspaceId: string, fromMs: number, toMs: number, fromHour: number, settledThroughMs: number) {
  const [settledRollups, intervals, lines, deductions, balance] = await d.batch([
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
    d.select({ settledThroughMs: balances.settledThroughMs }).from(balances).where(eq(balances.workspaceId, workspaceId)),
  ]);
  return { settledRollups, intervals, lines, deductions, replicaSettledThroughMs: balance[0]?.settledThroughMs ?? 0 };
}

export const emptyUsageRow = (): UsageRow => ({
  tokens: { input: 0, output: 0, total: 0 },
  modelUsage: [],
  sandboxRuntime: { settledSeconds: 0, pendingSeconds: 0, forgivenSeconds: 0, activeSeconds: 0, settledMicros: 0, pendingMicros: 0, forgivenMicros: 0, activeEstimateMicros: 0 },
  storageUsage: { byteSeconds: 0, costMicros: 0 },
  toolExecutions: { count: 0, costMicros: 0 },
  resourceCharges: [],
  totalMicros: 0,
});

/** One member's row while it is built ('' = usage reported without a member). */
interface RowBuilder {
  row: UsageRow;
  models: Map<string, UsageRow['modelUsage'][number]>;
  ms: { settled: number; pending: number; forgiven: number; active: number };
}

const lineId = (l: { kind: string; lineKey: string }) => `${l.kind}\u0000${l.lineKey}`;

/**
 * Splits `totalMicros` between parts in proportion to their exact weights, largest remainder first
 * (ties by position), so that the shares are whole micros that add up to the total exactly.
 */
export function splitByWeight(totalMicros: number, weights: readonly bigint[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0n);
  if (totalMicros === 0 || sum === 0n) {
    // Nothing to weigh by (a BYOK or free line): the first part carries it, if anything.
    return weights.map((_, i) => (i === 0 ? totalMicros : 0));
  }
  const total = BigInt(totalMicros);
  const shares = weights.map((w) => (total * w) / sum);
  let left = total - shares.reduce((s, x) => s + x, 0n);
  const order = weights.map((w, i) => ({ i, rest: (total * w) % sum })).sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares.map(Number);
}

/** Splits what was forgiven of a line between its parts, never more than a part's share of the cost. */
function splitForgiven(forgivenMicros: number, weights: readonly bigint[], costShares: readonly number[]): number[] {
  const out = splitByWeight(forgivenMicros, weights).map((f, i) => Math.min(f, costShares[i]!));
  let left = forgivenMicros - out.reduce((s, f) => s + f, 0);
  for (let i = 0; i < out.length && left > 0; i++) {
    const room = Math.min(costShares[i]! - out[i]!, left);
    out[i]! += room;
    left -= room;
  }
  return out;
}

const groupBy = <T>(items: readonly T[], key: (item: T) => string | number) => {
  const groups = new Map<string | number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

/**
 * Every member's usage row over the period, keyed by member id ('' for usage reported without a
 * member). Each hour is priced the way settlement prices it: one line per model, tools, charge,
 * instance and volume for the workspace, each rounded once. A line that several members share (a
 * model, tools) is split between them in proportion to their exact cost, in whole micros that add
 * up to the line: so the rows add up to what the workspace was charged, micro for micro. Runtime is
 * split into settled (charged), forgiven, pending (closed hours not yet settled) and active (the
 * open hour so far).
 */
export function buildUsageRows(inputs: UsageInputs, book: PriceBook, fromMs: number, nowMs: number): Map<string, UsageRow> {
  const builders = new Map<string, RowBuilder>();
  const builderOf = (memberId: string) => {
    let b = builders.get(memberId);
    if (!b) builders.set(memberId, (b = { row: emptyUsageRow(), models: new Map(), ms: { settled: 0, pending: 0, forgiven: 0, active: 0 } }));
    return b;
  };
  const rollupsByHour = groupBy(inputs.rollups, (r) => r.hourMs);
  const hours = new Set<number>(rollupsByHour.keys() as Iterable<number>);
  for (const iv of inputs.intervals) {
    const start = Math.max(hourOf(iv.startedAtMs), hourOf(fromMs));
    const end = Math.min(iv.stoppedAtMs ?? nowMs, nowMs);
    for (let h = start; h < end; h += MS_PER_HOUR) hours.add(h);
  }

  for (const hourMs of [...hours].sort((a, b) => a - b)) {
    const settled = hourMs + MS_PER_HOUR <= inputs.settledThroughMs;
    const open = hourMs + MS_PER_HOUR > nowMs;
    const untilMs = Math.min(hourMs + MS_PER_HOUR, nowMs);
    const hourRollups = rollupsByHour.get(hourMs) ?? [];
    const intervals = inputs.intervals.filter((iv) => iv.startedAtMs < untilMs && (iv.stoppedAtMs === null || iv.stoppedAtMs > hourMs));
    // The workspace's lines (what settlement charges), and each member's part of them.
    const whole = priceHour(hourMs, untilMs, hourRollups, intervals, book);
    const rollupsByMember = groupBy(hourRollups, (r) => r.memberId);
    const intervalsByMember = groupBy(intervals, (iv) => iv.memberId);
    const memberIds = [...new Set([...rollupsByMember.keys(), ...intervalsByMember.keys()] as string[])].sort();
    const parts = memberIds.map((memberId) => ({
      memberId,
      hourRollups: rollupsByMember.get(memberId) ?? [],
      lines: new Map(priceHour(hourMs, untilMs, rollupsByMember.get(memberId) ?? [], intervalsByMember.get(memberId) ?? [], book).map((l) => [lineId(l), l])),
    }));
    for (const line of whole) {
      const shared = parts.map((p) => ({ p, part: p.lines.get(lineId(line)) })).filter((x) => x.part !== undefined) as Array<{ p: (typeof parts)[number]; part: PricedLine }>;
      const weights = shared.map((x) => x.part.exact);
      const costs = splitByWeight(line.costMicros, weights);
      const forgivenTotal = settled ? Math.min(inputs.forgiven.get(`${hourMs}|${line.kind}|${line.lineKey}`) ?? 0, line.costMicros) : 0;
      const forgivens = splitForgiven(forgivenTotal, weights, costs);
      shared.forEach(({ p, part }, i) => addLine(builderOf(p.memberId), part, p.hourRollups, hourMs, { costMicros: costs[i]!, forgivenMicros: forgivens[i]!, settled, open }));
    }
  }
  for (const d of inputs.deductions) {
    builderOf(d.memberId).row.resourceCharges.push({ description: d.description, amountMicros: d.amountMicros, createdAt: iso(d.createdAtMs) });
  }
  return new Map([...builders].map(([memberId, b]) => [memberId, finish(b)]));
}

/** Adds one member's part of a priced line to their row. */
function addLine(
  b: RowBuilder,
  line: PricedLine,
  hourRollups: readonly RollupRow[],
  hourMs: number,
  share: { costMicros: number; forgivenMicros: number; settled: boolean; open: boolean },
) {
  const { row, ms } = b;
  const paid = share.costMicros - share.forgivenMicros;
  switch (line.kind) {
    case 'model': {
      const m = b.models.get(line.lineKey) ?? { model: line.lineKey, inputTokens: 0, outputTokens: 0, totalTokens: 0, costMicros: 0 };
      m.inputTokens += line.inputTokens;
      m.outputTokens += line.outputTokens;
      m.totalTokens += line.inputTokens + line.outputTokens;
      m.costMicros += paid;
      b.models.set(line.lineKey, m);
      break;
    }
    case 'tool':
      row.toolExecutions.count += line.count;
      row.toolExecutions.costMicros += paid;
      break;
    case 'charge':
      row.resourceCharges.push({ description: line.description ?? 'Charge', amountMicros: paid, createdAt: iso(chargeTime(hourRollups, line.lineKey, hourMs)) });
      break;
    case 'volume':
      row.storageUsage.byteSeconds += line.byteSeconds;
      row.storageUsage.costMicros += paid;
      break;
    case 'instance': {
      const r = row.sandboxRuntime;
      // Settled first: a cron fired with a later time may have settled the hour still open.
      if (share.settled) {
        // Split the hour's runtime in proportion to what was forgiven of its cost.
        // runtimeMs × forgiven reaches past 2^53 (3.6e6 ms × 10^10 µ): the product is a BigInt.
        const forgivenMs = share.costMicros > 0 ? mulDivRound(line.runtimeMs, share.forgivenMicros, share.costMicros) : 0;
        ms.forgiven += forgivenMs;
        ms.settled += line.runtimeMs - forgivenMs;
        r.forgivenMicros += share.forgivenMicros;
        r.settledMicros += paid;
      } else if (share.open) {
        ms.active += line.runtimeMs;
        r.activeEstimateMicros += share.costMicros;
      } else {
        ms.pending += line.runtimeMs;
        r.pendingMicros += share.costMicros;
      }
      break;
    }
  }
}

const rowTotalMicros = (row: UsageRow) =>
  row.modelUsage.reduce((s, m) => s + m.costMicros, 0) +
  row.sandboxRuntime.settledMicros +
  row.sandboxRuntime.pendingMicros +
  row.sandboxRuntime.activeEstimateMicros +
  row.storageUsage.costMicros +
  row.toolExecutions.costMicros +
  row.resourceCharges.reduce((s, c) => s + c.amountMicros, 0);

const byCostThenName = (a: UsageRow['modelUsage'][number], b: UsageRow['modelUsage'][number]) => b.costMicros - a.costMicros || a.model.localeCompare(b.model);
const newestFirst = (a: { createdAt: string }, b: { createdAt: string }) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);

function finish({ row, models, ms }: RowBuilder): UsageRow {
  const r = row.sandboxRuntime;
  r.settledSeconds = Math.round(ms.settled / 1000);
  r.pendingSeconds = Math.round(ms.pending / 1000);
  r.forgivenSeconds = Math.round(ms.forgiven / 1000);
  r.activeSeconds = Math.round(ms.active / 1000);
  row.modelUsage = [...models.values()].sort(byCostThenName);
  for (const m of row.modelUsage) {
    row.tokens.input += m.inputTokens;
    row.tokens.output += m.outputTokens;
  }
  row.tokens.total = row.tokens.input + row.tokens.output;
  row.resourceCharges.sort(newestFirst);
  row.totalMicros = rowTotalMicros(row);
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

/** Rows added field by field: the workspace as the sum of its members (and unattributed usage). */
export function sumUsageRows(rows: readonly UsageRow[]): UsageRow {
  const out = emptyUsageRow();
  const models = new Map<string, UsageRow['modelUsage'][number]>();
  for (const row of rows) {
    out.tokens.input += row.tokens.input;
    out.tokens.output += row.tokens.output;
    out.tokens.total += row.tokens.total;
    for (const m of row.modelUsage) {
      const into = models.get(m.model) ?? { model: m.model, inputTokens: 0, outputTokens: 0, totalTokens: 0, costMicros: 0 };
      into.inputTokens += m.inputTokens;
      into.outputTokens += m.outputTokens;
      into.totalTokens += m.totalTokens;
      into.costMicros += m.costMicros;
      models.set(m.model, into);
    }
    for (const k of Object.keys(out.sandboxRuntime) as Array<keyof UsageRow['sandboxRuntime']>) out.sandboxRuntime[k] += row.sandboxRuntime[k];
    out.storageUsage.byteSeconds += row.storageUsage.byteSeconds;
    out.storageUsage.costMicros += row.storageUsage.costMicros;
    out.toolExecutions.count += row.toolExecutions.count;
    out.toolExecutions.costMicros += row.toolExecutions.costMicros;
    out.resourceCharges.push(...row.resourceCharges);
    out.totalMicros += row.totalMicros;
  }
  out.modelUsage = [...models.values()].sort(byCostThenName);
  out.resourceCharges.sort(newestFirst);
  assertSafeRow(out);
  return out;
}

function chargeTime(rollups: readonly RollupRow[], lineKey: string, hourMs: number): number {
  const r = rollups.find((x) => x.kind === 'charge' && x.lineKey === lineKey) as (RollupRow & { occurredAtMs?: number | null }) | undefined;
  return r?.occurredAtMs ?? hourMs;
}
