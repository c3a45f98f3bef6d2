// Usage events are idempotent by id, per workspace: however often and however concurrently an
// event is sent, it is counted, priced, accumulated and settled once. A reused id with another body
// is refused (409) with nothing of its request recorded, also after the ledger object was evicted.
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { unique } from '../helpers/fixtures';
import { ledgerStub, storedEventsOf } from '../helpers/ledger_checks';
import { deliverSettlement, HOUR_MS } from '../helpers/settlement';
import {
  balanceOf,
  chargeEvent,
  CREDIT,
  currentHour,
  entriesForHour,
  fundedWorkspace,
  modelEvent,
  postUsage,
  settlementLines,
  toolEvent,
  usageRows,
} from './settlement_helpers';


// Exact costs in centi-micros (1/100 micro): every default price is a whole number of them.
//   tool 1,000 micros; gpt-4o 2.5 / 10 micros per token in / out; gpt-4o-mini 0.15 / 0.6.
const CENTI = { tool: 100_000, gpt4oIn: 250, gpt4oOut: 1_000, miniIn: 15, miniOut: 60 };
/** Rounds centi-micros to micros, halves up (as the contract asks). */
const roundCenti = (c: number) => Math.floor((c + 50) / 100);

interface Spec {
  event: Record<string, unknown>;
  kind: 'tool' | 'gpt-4o' | 'gpt-4o-mini' | 'charge';
  centi: number;
}

/** 1,000 distinct events in one hour, a quarter of each kind, most with fractional costs. */
function thousandEvents(workspaceId: string, hourMs: number, prefix: string): Spec[] {
  return Array.from({ length: 1_000 }, (_, i): Spec => {
    const at = hourMs + i * 3_000 + 1;
    const id = `${prefix}-${i}`;
    switch (i % 4) {
      case 0:
        return { event: toolEvent(workspaceId, at, id), kind: 'tool', centi: CENTI.tool };
      case 1: {
        const input = 10 + (i % 13);
        const output = 3 + (i % 5);
        return { event: modelEvent(workspaceId, at, 'gpt-4o', input, output, id), kind: 'gpt-4o', centi: input * CENTI.gpt4oIn + output * CENTI.gpt4oOut };
      }
      case 2: {
        const input = 100 + i;
        const output = 7 + (i % 11);
        return { event: modelEvent(workspaceId, at, 'gpt-4o-mini', input, output, id), kind: 'gpt-4o-mini', centi: input * CENTI.miniIn + output * CENTI.miniOut };
      }
      default: {
        const amount = 500 + i;
        return { event: chargeEvent(workspaceId, at, amount, id, `Charge ${i}`), kind: 'charge', centi: amount * 100 };
      }
    }
  });
}

/** What the hour costs once settled: one rounding per line (per model, tools, per charge). */
function hourTotal(specs: Spec[]): number {
  const sumOf = (kind: Spec['kind']) => specs.filter((s) => s.kind === kind).reduce((t, s) => t + s.centi, 0);
  const charges = specs.filter((s) => s.kind === 'charge').reduce((t, s) => t + roundCenti(s.centi), 0);
  return roundCenti(sumOf('gpt-4o')) + roundCenti(sumOf('gpt-4o-mini')) + roundCenti(sumOf('tool')) + charges;
}

/** Deterministic shuffle (a fixed-seed LCG), so that a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const chunks = <T>(items: readonly T[], size: number) => Array.from({ length: Math.ceil(items.length / size) }, (_, k) => items.slice(k * size, (k + 1) * size));

// Events live in the workspace's ledger object's own storage, not in D1.
const storedEventCount = (workspaceId: string) => storedEventsOf(workspaceId);

const credits = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits', apiKey)).body;

describe('1,000 events sent again, shuffled and concurrently', () => {
  it('counts, prices, accumulates and settles each event once', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Thousand duplicates', 10);
    const specs = thousandEvents(ws.workspaceId, hourMs, unique('ev'));
    const firstSent = new Set(shuffled(specs, 7).slice(0, 600));
    const answers: Array<{ accepted: number; duplicates: number; costMicros: number }> = [];

    // Round 1: 600 of the 1,000, in one request.
    const first = await postUsage([...firstSent].map((s) => s.event));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ accepted: 600, duplicates: 0, costMicros: roundCenti([...firstSent].reduce((t, s) => t + s.centi, 0)) });
    answers.push(first.body);

    // Round 2: all 1,000, shuffled, in 10 concurrent requests of 100 that mix new and already-sent.
    const round2 = chunks(shuffled(specs, 42), 100);
    const res2 = await Promise.all(round2.map((chunk) => postUsage(chunk.map((s) => s.event))));
    res2.forEach((res, k) => {
      const fresh = round2[k]!.filter((s) => !firstSent.has(s));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body, `request ${k} of round 2`).toEqual({
        accepted: fresh.length,
        duplicates: 100 - fresh.length,
        costMicros: roundCenti(fresh.reduce((t, s) => t + s.centi, 0)),
      });
      answers.push(res.body);
    });

    // Round 3: all 1,000 again, in 10 concurrent requests of 150 that overlap each other.
    const order = shuffled(specs, 99);
    const round3 = chunks(order, 100).map((chunk, k) => [...chunk, ...order.slice(((k + 1) % 10) * 100, ((k + 1) % 10) * 100 + 50)]);
    const res3 = await Promise.all(round3.map((chunk, k) => postUsage(shuffled(chunk, k + 1).map((s) => s.event))));
    for (const res of res3) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ accepted: 0, duplicates: 150, costMicros: 0 });
      answers.push(res.body);
    }

    const totals = answers.reduce((t, a) => ({ accepted: t.accepted + a.accepted, duplicates: t.duplicates + a.duplicates, costMicros: t.costMicros + a.costMicros }));
    expect(totals.accepted).toBe(1_000);
    expect(totals.duplicates).toBe(600 + 1_000 + 1_500 - 1_000);
    // The hand-computed total of what was accepted, each request rounded once.
    const byRequest = [[...firstSent], ...round2.map((c) => c.filter((s) => !firstSent.has(s)))];
    expect(totals.costMicros).toBe(byRequest.reduce((t, r) => t + roundCenti(r.reduce((u, s) => u + s.centi, 0)), 0));
    expect(Math.abs(totals.costMicros - roundCenti(specs.reduce((t, s) => t + s.centi, 0)))).toBeLessThanOrEqual(byRequest.length);
    expect(await storedEventCount(ws.workspaceId)).toBe(1_000);

    // The open hour accumulates each event once, rounded once per line.
    const expectedHour = hourTotal(specs);
    expect(await credits(ws.adminKey)).toMatchObject({ accumulatingMicros: expectedHour, balanceMicros: 10 * CREDIT - expectedHour });

    // Settled: one usage entry for the hour, for that amount, with the event counts of its lines.
    const settled = await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    expect(settled.explicitAcks).toHaveLength(1);
    const rows = await usageRows(ws.workspaceId);
    expect(rows).toHaveLength(1);
    expect(entriesForHour(rows, hourMs)).toHaveLength(1);
    expect(rows[0]!.amount_micros).toBe(-expectedHour);
    expect(rows[0]!.description).toContain('250 tool executions');
    expect(rows[0]!.description).toContain('250 charges');
    const lines = await settlementLines(ws.workspaceId);
    const line = (kind: string, key: string) => lines.find((l) => l.kind === kind && l.line_key === key)!;
    expect(line('tool', 'tools')).toMatchObject({ count: 250, cost_micros: 250_000 });
    const tokens = (model: string) => {
      const ofModel = specs.filter((s) => s.kind === model).map((s) => s.event as { inputTokens: number; outputTokens: number });
      return { input_tokens: ofModel.reduce((t, e) => t + e.inputTokens, 0), output_tokens: ofModel.reduce((t, e) => t + e.outputTokens, 0), count: 250 };
    };
    expect(line('model', 'gpt-4o')).toMatchObject(tokens('gpt-4o'));
    expect(line('model', 'gpt-4o-mini')).toMatchObject(tokens('gpt-4o-mini'));
    expect(lines.filter((l) => l.kind === 'charge')).toHaveLength(250);
    expect(lines.reduce((t, l) => t + l.cost_micros, 0)).toBe(expectedHour);
    expect(await credits(ws.adminKey)).toMatchObject({ accumulatingMicros: 0, balanceMicros: 10 * CREDIT - expectedHour });

    // Sent once more after settlement: still duplicates, and nothing new to bill.
    const after = await Promise.all(chunks(shuffled(specs, 5), 250).map((c) => postUsage(c.map((s) => s.event))));
    for (const res of after) expect(res.body).toEqual({ accepted: 0, duplicates: 250, costMicros: 0 });
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(0);
  });

  it('the same new event in several concurrent requests is accepted by exactly one of them', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Concurrent same ids', 10);
    // 200 new events with whole-micro costs, each sent in two of eight concurrent requests.
    const prefix = unique('dup');
    const events = Array.from({ length: 200 }, (_, i) =>
      i % 2 === 0 ? toolEvent(ws.workspaceId, hourMs + i * 1_000, `${prefix}-${i}`) : chargeEvent(ws.workspaceId, hourMs + i * 1_000, 1_000 + i, `${prefix}-${i}`),
    );
    const expectedCost = events.reduce((t, e) => t + ((e as { amountMicros?: number }).amountMicros ?? 1_000), 0);
    const slices = chunks(events, 25);
    const requests = slices.map((s, k) => shuffled([...s, ...slices[(k + 1) % slices.length]!], k + 1));
    const answers = await Promise.all(requests.map((r) => postUsage(r)));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(answers.reduce((t, a) => t + a.body.accepted, 0)).toBe(200);
    expect(answers.reduce((t, a) => t + a.body.duplicates, 0)).toBe(200);
    expect(answers.reduce((t, a) => t + a.body.costMicros, 0)).toBe(expectedCost);
    expect(await storedEventCount(ws.workspaceId)).toBe(200);
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(expectedCost);

    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    const rows = await usageRows(ws.workspaceId);
    expect(rows.map((r) => r.amount_micros)).toEqual([-expectedCost]);
  });
});

describe('an id reused with another body', () => {
  it('in a later request is a 409 idempotency_conflict, and nothing of that request is recorded', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Conflicting ids', 10);
    const original = modelEvent(ws.workspaceId, hourMs + 60_000, 'gpt-4o', 1_000, 100, unique('orig'));
    const first = await postUsage([original, toolEvent(ws.workspaceId, hourMs + 61_000)]);
    expect(first.body).toEqual({ accepted: 2, duplicates: 0, costMicros: 3_500 + 1_000 });
    const before = { events: await storedEventCount(ws.workspaceId), credits: await credits(ws.adminKey) };
    expect(before.credits.accumulatingMicros).toBe(4_500);

    const newOnes = [toolEvent(ws.workspaceId, hourMs + 62_000), chargeEvent(ws.workspaceId, hourMs + 63_000, 9_999)];
    const variants = [
      { ...original, outputTokens: 101 },
      { ...original, model: 'gpt-4o-mini' },
      { ...original, occurredAt: new Date(hourMs + 60_001).toISOString() },
      { ...original, memberId: undefined, type: 'tool_execution', model: undefined, inputTokens: undefined, outputTokens: undefined },
    ];
    for (const changed of variants) {
      const res = await postUsage([...newOnes, changed]);
      expect(res.status, JSON.stringify(changed)).toBe(409);
      expect(res.body.error.code).toBe('idempotency_conflict');
      expect(res.body.error.message).toContain(original.id);
    }
    // The conflicting event first in the request, too.
    const conflictFirst = await postUsage([{ ...original, inputTokens: 1 }, ...newOnes]);
    expect(conflictFirst.status).toBe(409);

    expect(await storedEventCount(ws.workspaceId)).toBe(before.events);
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(4_500);
    // The new events of the refused requests were not recorded: sent alone now, they are new.
    expect((await postUsage(newOnes)).body).toEqual({ accepted: 2, duplicates: 0, costMicros: 1_000 + 9_999 });
    // The original body is still a plain duplicate.
    expect((await postUsage([original])).body).toEqual({ accepted: 0, duplicates: 1, costMicros: 0 });

    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    expect((await usageRows(ws.workspaceId)).map((r) => r.amount_micros)).toEqual([-(4_500 + 1_000 + 9_999)]);
  });

  it('twice within one request, or in one of several concurrent requests: only that request is refused', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Conflicts in a group', 10);
    const id = unique('twice');
    const inOne = await postUsage([toolEvent(ws.workspaceId, hourMs + 1_000, unique('x')), chargeEvent(ws.workspaceId, hourMs + 2_000, 5_000, id), chargeEvent(ws.workspaceId, hourMs + 2_000, 6_000, id)]);
    expect(inOne.status).toBe(409);
    expect(inOne.body.error.code).toBe('idempotency_conflict');
    expect(await storedEventCount(ws.workspaceId)).toBe(0);

    // Several requests at once (committed together by the ledger object when they arrive together):
    // of two that use one id with different bodies, whichever comes second is refused whole; the
    // others go through.
    const shared = unique('shared');
    const good = Array.from({ length: 5 }, (_, k) => [toolEvent(ws.workspaceId, hourMs + 10_000 + k), chargeEvent(ws.workspaceId, hourMs + 20_000 + k, 1_000 * (k + 1))]);
    const a = [chargeEvent(ws.workspaceId, hourMs + 30_000, 7_000, shared)];
    const b = [toolEvent(ws.workspaceId, hourMs + 40_000, unique('lost')), chargeEvent(ws.workspaceId, hourMs + 30_000, 8_000, shared)];
    const [aRes, ...rest] = await Promise.all([postUsage(a), ...good.map((g) => postUsage(g)), postUsage(b)]);
    const bRes = rest.pop()!;
    rest.forEach((r, k) => expect(r.body).toEqual({ accepted: 2, duplicates: 0, costMicros: 1_000 + 1_000 * (k + 1) }));
    expect([aRes!.status, bRes.status].sort()).toEqual([200, 409]);
    const [winner, loser] = aRes!.status === 200 ? [aRes!, bRes] : [bRes, aRes!];
    expect(loser.body.error.code).toBe('idempotency_conflict');
    const winnerCost = winner === aRes ? 7_000 : 1_000 + 8_000;
    expect(winner.body).toEqual({ accepted: winner === aRes ? 1 : 2, duplicates: 0, costMicros: winnerCost });
    expect(await storedEventCount(ws.workspaceId)).toBe(10 + winner.body.accepted);
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(winnerCost + 5 * 1_000 + 15_000);
  });
});

describe('duplicates after the ledger object was evicted', () => {
  it('are still detected from the object\'s storage, alone, mixed with new events, and in concurrent requests', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Duplicates after eviction', 10);
    const stub = ledgerStub(ws.workspaceId);
    const prefix = unique('evict');
    const sent = Array.from({ length: 50 }, (_, i) => (i % 2 ? toolEvent(ws.workspaceId, hourMs + i * 1_000, `${prefix}-${i}`) : modelEvent(ws.workspaceId, hourMs + i * 1_000, 'gpt-4o', 2 * i + 2, i, `${prefix}-${i}`)));
    const cost = (e: (typeof sent)[number]) => ('model' in e ? e.inputTokens * 2.5 + e.outputTokens * 10 : 1_000);
    const sentCost = sent.reduce((t, e) => t + cost(e), 0);
    expect((await postUsage(sent)).body).toEqual({ accepted: 50, duplicates: 0, costMicros: sentCost });

    await evictDurableObject(stub);
    expect((await postUsage(sent)).body).toEqual({ accepted: 0, duplicates: 50, costMicros: 0 });
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(sentCost);

    await evictDurableObject(stub);
    const fresh = Array.from({ length: 10 }, (_, i) => chargeEvent(ws.workspaceId, hourMs + 100_000 + i, 2_000 + i, `${prefix}-new-${i}`));
    const freshCost = fresh.reduce((t, e) => t + e.amountMicros, 0);
    expect((await postUsage(shuffled([...sent, ...fresh], 3))).body).toEqual({ accepted: 10, duplicates: 50, costMicros: freshCost });

    // Cold object, several requests at once, each mixing stored ids with its own new ones.
    await evictDurableObject(stub);
    const concurrentNew = Array.from({ length: 5 }, (_, k) => [toolEvent(ws.workspaceId, hourMs + 200_000 + k, `${prefix}-c-${k}`)]);
    const answers = await Promise.all(concurrentNew.map((n, k) => postUsage(shuffled([...sent.slice(k * 10, k * 10 + 20), ...fresh.slice(k, k + 2), ...n], k))));
    answers.forEach((a, k) => {
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect(a.body).toEqual({ accepted: 1, duplicates: Math.min(20, 50 - k * 10) + 2, costMicros: 1_000 });
    });
    expect(await storedEventCount(ws.workspaceId)).toBe(65);
    const total = sentCost + freshCost + 5_000;
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(total);

    // A reused id with another body is still a conflict when the object is cold.
    await evictDurableObject(stub);
    const conflict = await postUsage([chargeEvent(ws.workspaceId, hourMs + 300_000, 1_234, `${prefix}-brand-new`), { ...sent[1]!, occurredAt: new Date(hourMs + 1).toISOString() }]);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    expect(await storedEventCount(ws.workspaceId)).toBe(65);

    // Settled, evicted, sent again: nothing is billed twice.
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    await evictDurableObject(stub);
    expect((await postUsage([...sent, ...fresh])).body).toEqual({ accepted: 0, duplicates: 60, costMicros: 0 });
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(0);
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: currentHour() }]);
    const rows = await usageRows(ws.workspaceId);
    expect(rows.map((r) => r.amount_micros)).toEqual([-total]);
    expect((await balanceOf(ws.workspaceId)).b).toBe(10 * CREDIT - total);
  });
});
