// A hash of a run's final state: every workspace's ledger rows, balance, settled lines, resources and credit blocks,
// in the order the simulator created them, with ids left out and times made relative to the run's
// start. The same seed gives the same digest; a changed rule of money (or a nondeterminism) does not.
import { projected, shardD1Of } from '../helpers/ledger_checks';
import type { World } from './world';

export async function digestOf(w: World): Promise<string> {
  return hashOf(await finalStateOf(w));
}

/** What the digest hashes: per workspace, its rows with ids left out and times relative to the run's start. */
export async function finalStateOf(w: World): Promise<unknown[]> {
  const rel = (ms: number | null) => (ms === null ? null : ms - w.clock.baseMs);
  const parts: unknown[] = [];
  for (const ws of w.workspaces) {
    await projected(ws.workspaceId);
    const d1 = shardD1Of(ws.workspaceId);
    const all = <T>(sql: string) => d1.prepare(sql).bind(ws.workspaceId).all<T>().then((r) => r.results);
    const entries = await all<Record<string, number | string | null>>(
      `SELECT type, status, amount_micros AS a, forgiven_micros AS f, balance_after_micros AS b, created_at_ms AS c, settled_at_ms AS s
         FROM transactions WHERE workspace_id = ? ORDER BY seq`,
    );
    const balance = await all<{ b: number; t: number }>('SELECT balance_micros AS b, settled_through_ms AS t FROM balances WHERE workspace_id = ?');
    const lines = await all<Record<string, number | string>>(
      `SELECT hour_ms AS h, kind, count, input_tokens AS i, output_tokens AS o, runtime_ms AS r, byte_seconds AS bs, cost_micros AS c, forgiven_micros AS f
         FROM settlement_lines WHERE workspace_id = ? ORDER BY hour_ms, kind, cost_micros, count`,
    );
    const resources = await all<Record<string, number | string | null>>(
      'SELECT kind, instance_type AS t, size_bytes AS z, started_at_ms AS a, stopped_at_ms AS b, stop_reason AS r FROM resources WHERE workspace_id = ? ORDER BY started_at_ms, kind, instance_type, size_bytes',
    );
    const blocks = await all<Record<string, number | string | null>>(
      `SELECT category, source, amount_micros AS a, remaining_micros AS r, priority AS p, expires_at_ms AS e, created_at_ms AS c
         FROM credit_blocks WHERE workspace_id = ? ORDER BY created_at_ms, amount_micros, priority, category`,
    );
    parts.push({
      entries: entries.map((e) => ({ ...e, c: rel(e.c as number), s: rel(e.s as number | null) })),
      balance: balance.map((b) => ({ b: b.b, t: b.t === 0 ? 0 : rel(b.t) })),
      lines: lines.map((l) => ({ ...l, h: rel(l.h as number) })),
      resources: resources.map((r) => ({ ...r, a: rel(r.a as number), b: rel(r.b as number | null) })),
      blocks: blocks.map((k) => ({ ...k, e: rel(k.e as number | null), c: rel(k.c as number) })),
    });
  }
  return parts;
}

async function hashOf(parts: unknown[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(parts));
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
}
