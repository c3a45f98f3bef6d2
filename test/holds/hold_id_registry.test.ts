// Who owns a hold id: the hold-id registry (workers/tenancy/hold_id_registry.ts), with the claims
// that a deployment made in the directory's hold_owners table before it still honoured.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createWorkspace, grant, unique } from '../helpers/fixtures';
import { captureHold, createHold, CREDIT } from './holds_helpers';

const legacyRowsOf = async (holdId: string) =>
  (await env.DB.prepare('SELECT workspace_id AS workspaceId FROM hold_owners WHERE hold_id = ?').bind(holdId).all<{ workspaceId: string }>()).results;

describe('hold id registry', () => {
  // First in the file: a registry object reads whether the old table has rows once, when it starts.
  it('an id claimed in the directory before the registry keeps its owner: another workspace is refused', async () => {
    const [a, b] = [await createWorkspace('Old claim'), await createWorkspace('New claim')];
    await grant(b.workspaceId, 10 * CREDIT);
    const id = unique('old-hold');
    await env.DB.prepare('INSERT INTO hold_owners (hold_id, workspace_id, claimed_at_ms) VALUES (?, ?, ?)').bind(id, a.workspaceId, Date.now() - 60_000).run();

    const taken = await createHold({ workspaceId: b.workspaceId, id, amountMicros: CREDIT });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('idempotency_conflict');
    // Nothing was left held in the workspace that was refused.
    const fresh = await createHold({ workspaceId: b.workspaceId, amountMicros: 10 * CREDIT });
    expect(fresh.status).toBe(201);
  });

  it('a new claim is not written to the directory, and a capture by id alone finds its workspace', async () => {
    const ws = await createWorkspace('Registry claim');
    await grant(ws.workspaceId, 5 * CREDIT);
    const id = unique('registry-hold');
    expect((await createHold({ workspaceId: ws.workspaceId, id, amountMicros: 2 * CREDIT })).status).toBe(201);
    expect(await legacyRowsOf(id)).toEqual([]);

    const capture = await captureHold(id, CREDIT);
    expect(capture.status).toBe(200);
    expect(capture.body.hold).toMatchObject({ id, workspaceId: ws.workspaceId, status: 'captured', capturedMicros: CREDIT });
  });

  it('the same id from two workspaces at once: exactly one holds it', async () => {
    const [a, b] = [await createWorkspace('Race A'), await createWorkspace('Race B')];
    await grant(a.workspaceId, 5 * CREDIT);
    await grant(b.workspaceId, 5 * CREDIT);
    const id = unique('contested');
    const answers = await Promise.all([a, b].map((ws) => createHold({ workspaceId: ws.workspaceId, id, amountMicros: 5 * CREDIT })));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    // The refused workspace's object let go of what it held for the id: all of its credits are spendable.
    const loser = answers[0]!.status === 409 ? a : b;
    expect((await createHold({ workspaceId: loser.workspaceId, amountMicros: 5 * CREDIT })).status).toBe(201);
  });

  it('an unknown id is a 404 for capture', async () => {
    const capture = await captureHold(unique('never-held'), CREDIT);
    expect(capture.status).toBe(404);
  });
});
