// Events stored in D1 by the release before usage moved into the ledger objects: on its first load
// each object moves the rows inside the retention window and the open hours' rollups into its own
// storage, frees D1, and from then on prices, deduplicates and settles them like its own.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../workers/lib/crypto';
import { internal } from '../helpers/api';
import { createWorkspace, grant, unique } from '../helpers/fixtures';
import { ledgerStub, storedEventsOf } from '../helpers/ledger_checks';
import { HOUR_MS, hourOf } from '../helpers/settlement';

const CREDIT = 1_000_000;

describe('usage events left in D1 by the previous release', () => {
  it('move into the ledger object once: accumulating, deduplicated, settled, and gone from D1', async () => {
    const ws = await createWorkspace('Legacy rows');
    await grant(ws.workspaceId, 10 * CREDIT); // loads the ledger object once already…
    // …so drop its mark, as an object that predates this release would have none.
    await import('cloudflare:test').then(({ runInDurableObject }) =>
      runInDurableObject(ledgerStub(ws.workspaceId), (_i, state) => state.storage.sql.exec("DELETE FROM store_meta WHERE key = 'legacy_events_moved'")),
    );
    const hour = hourOf(Date.now()) - HOUR_MS;
    const p = unique('legacy');
    const version = (await env.DB.prepare('SELECT MAX(version) AS v FROM price_lists').first<{ v: number }>())!.v;
    // 3 tool executions in D1, the way the previous release wrote them: events (with the SHA-256 of
    // their canonical body) and their rollup.
    const sent = (i: number) => ({ id: `${p}-${i}`, workspaceId: ws.workspaceId, type: 'tool_execution', occurredAt: new Date(hour + i * 1000).toISOString() });
    for (let i = 0; i < 3; i++) {
      await env.DB.prepare(
        `INSERT INTO usage_events (workspace_id, event_id, request_hash, hour_ms, occurred_at_ms, member_id, type, line_key, input_tokens, output_tokens, amount_micros, price_version)
         VALUES (?, ?, ?, ?, ?, '', 'tool_execution', 'tools', 0, 0, 0, ?)`,
      )
        .bind(ws.workspaceId, `${p}-${i}`, await sha256Hex(canonicalJson(sent(i))), hour, hour + i * 1000, version)
        .run();
    }
    await env.DB.prepare(
      `INSERT INTO usage_rollups (workspace_id, hour_ms, member_id, kind, line_key, price_version, input_tokens, output_tokens, count, amount_micros)
       VALUES (?, ?, '', 'tool', 'tools', ?, 0, 0, 3, 0)`,
    )
      .bind(ws.workspaceId, hour, version)
      .run();
    await env.DB.prepare('UPDATE balances SET oldest_open_event_hour_ms = ? WHERE workspace_id = ?').bind(hour, ws.workspaceId).run();
    // The object of the previous release, restarted with this one.
    const stub = ledgerStub(ws.workspaceId);
    await import('cloudflare:test').then(({ evictDurableObject }) => evictDurableObject(stub));

    const summary = await stub.creditSummary(ws.workspaceId);
    const toolPrice = JSON.parse((await env.DB.prepare('SELECT pricing_json AS j FROM price_lists WHERE version = ?').bind(version).first<{ j: string }>())!.j)
      .toolExecution.microsPerExecution as number;
    expect(summary).toMatchObject({ ok: true, value: { accumulatingMicros: 3 * toolPrice } });
    expect(await storedEventsOf(ws.workspaceId)).toBe(3);
    const left = await env.DB.batch([
      env.DB.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE workspace_id = ?').bind(ws.workspaceId),
      env.DB.prepare('SELECT COUNT(*) AS n FROM usage_rollups WHERE workspace_id = ?').bind(ws.workspaceId),
    ]);
    expect(left.map((r) => (r.results[0] as { n: number }).n)).toEqual([0, 0]);

    // A moved id sent again with the same body is a duplicate (compared by its old SHA-256); with
    // another body, a conflict.
    const resent = await internal('POST', '/internal/v1/usage', { events: [sent(0), sent(1)] });
    expect(resent.body).toEqual({ accepted: 0, duplicates: 2, costMicros: 0 });
    const changed = await internal('POST', '/internal/v1/usage', { events: [{ ...sent(2), memberId: undefined, type: 'tool_execution', occurredAt: new Date(hour + 5).toISOString() }] });
    expect(changed.status).toBe(409);

    // A reload does not add the rollups twice; settlement bills the moved hour once.
    await import('cloudflare:test').then(({ evictDurableObject }) => evictDurableObject(stub));
    expect(await stub.settle(ws.workspaceId, hour + HOUR_MS)).toMatchObject({ ok: true, value: { settledHours: 1, chargedMicros: 3 * toolPrice } });
  });
});
