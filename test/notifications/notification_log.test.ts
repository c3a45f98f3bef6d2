// GET /internal/v1/workspaces/:ws/notifications: every notification sent about the workspace,
// webhooks (one per outbox event) and admin emails, newest first, with whether each was delivered,
// paged with an opaque keyset cursor; another workspace's notifications never show; unknown → 404.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../workers/env';
import { internal } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { deliver, notificationPage, PLATFORM_URL, putEvent, recordingEmail, setEmailAdmins, wholeLog } from './notification_helpers';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The platform takes every webhook except those of the events listed as refused. */
function stubPlatform(refused: Set<string>) {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const body = (await new Request(input, init).json()) as { id: string };
    return new Response(null, { status: refused.has(body.id) ? 503 : 200 });
  });
}

describe('the notification log', () => {
  it('lists webhooks and emails newest first with the right delivered flags, and pages through all of them', async () => {
    const ws = await createWorkspace('Notification log');
    await addMember(ws.workspaceId, 'admin');
    await setEmailAdmins(ws.workspaceId, true);
    const admins = (await env.DB.prepare("SELECT email FROM members WHERE workspace_id = ? AND role = 'admin'").bind(ws.workspaceId).all<{ email: string }>()).results.map((r) => r.email.toLowerCase()).sort();
    const t0 = Date.now() - 60_000;
    // Oldest to newest: a webhook-only event, an emailed one, one the platform refuses (emailed), one
    // whose emails fail, and two at the same millisecond (ordered by id).
    const low = await putEvent(ws.workspaceId, 'balance.low', { balanceMicros: 5 }, t0);
    const crossed = await putEvent(ws.workspaceId, 'balance.threshold_crossed', { threshold: { balanceCents: 500 }, balanceMicros: 4_000_000, hoursRemaining: 3 }, t0 + 1000);
    const refusedByPlatform = await putEvent(ws.workspaceId, 'auto_recharge.failed', { transactionId: 'txn_a', attempt: 1, declineCode: 'card_declined', disabled: false }, t0 + 2000);
    const emailsFail = await putEvent(ws.workspaceId, 'balance.depleted', { balanceMicros: 0 }, t0 + 3000);
    const sameMs = [await putEvent(ws.workspaceId, 'storage.suspended', { n: 1 }, t0 + 4000), await putEvent(ws.workspaceId, 'storage.restored', { n: 2 }, t0 + 4000)];

    stubPlatform(new Set([refusedByPlatform.id]));
    const configured: Env = { ...env, PLATFORM_WEBHOOK_URL: PLATFORM_URL, PLATFORM_WEBHOOK_SECRET: 'whsec_platform_test_secret', EMAIL: recordingEmail().binding };
    await deliver(configured, [low.id, crossed.id, refusedByPlatform.id, ...sameMs.map((e) => e.id)]);
    const failing: Env = { ...configured, EMAIL: recordingEmail({ failures: 100 }).binding };
    await deliver(failing, [emailsFail.id]);

    const log = await wholeLog(ws.workspaceId);
    // 6 webhooks + 3 emailed events × 2 admins.
    expect(log).toHaveLength(12);
    const keyOf = (n: (typeof log)[number]) => [n.createdAt, n.id];
    const sorted = [...log].sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
    expect(log.map(keyOf)).toEqual(sorted.map(keyOf));

    const sameMsIds = sameMs.map((e) => e.id).sort().reverse();
    const expectedOrder: Array<[string, string, string, boolean]> = [
      [sameMsIds[0]!, 'webhook', PLATFORM_URL, true],
      [sameMsIds[1]!, 'webhook', PLATFORM_URL, true],
      [emailsFail.id, 'webhook', PLATFORM_URL, true],
      ...admins.map((a): [string, string, string, boolean] => [emailsFail.id, 'email', a, false]),
      [refusedByPlatform.id, 'webhook', PLATFORM_URL, false],
      ...admins.map((a): [string, string, string, boolean] => [refusedByPlatform.id, 'email', a, true]),
      [crossed.id, 'webhook', PLATFORM_URL, true],
      ...admins.map((a): [string, string, string, boolean] => [crossed.id, 'email', a, true]),
      [low.id, 'webhook', PLATFORM_URL, true],
    ];
    // Emails of one event share its time: compare them as a set of recipients.
    const shape = (rows: Array<[string, string, string, boolean]>) => rows.map(([e, c, r, d]) => `${e}|${c}|${c === 'email' ? 'admin' : r}|${d}`);
    expect(shape(log.map((n) => [n.eventId, n.channel, n.recipient, n.delivered]))).toEqual(shape(expectedOrder));
    for (const id of [emailsFail.id, refusedByPlatform.id, crossed.id]) {
      expect(log.filter((n) => n.eventId === id && n.channel === 'email').map((n) => n.recipient).sort()).toEqual(admins);
    }

    // Every entry is complete: an email carries its event's type, time and data.
    const crossedEmail = log.find((n) => n.eventId === crossed.id && n.channel === 'email')!;
    expect(crossedEmail).toMatchObject({
      id: expect.stringMatching(/^eml_/),
      type: 'balance.threshold_crossed',
      createdAt: new Date(t0 + 1000).toISOString(),
      data: { threshold: { balanceCents: 500 }, balanceMicros: 4_000_000, hoursRemaining: 3 },
      deliveredAt: expect.any(String),
    });
    expect(log.find((n) => n.id === low.id)).toMatchObject({ type: 'balance.low', channel: 'webhook', data: { balanceMicros: 5 }, eventId: low.id });

    // Pages of 5, 3, 1 all give the same sequence, and no entry twice.
    for (const limit of [5, 3, 1]) expect((await wholeLog(ws.workspaceId, limit)).map((n) => n.id)).toEqual(log.map((n) => n.id));
    const first = await notificationPage(ws.workspaceId, '?limit=5');
    expect(first.data).toHaveLength(5);
    expect(first.nextCursor).toEqual(expect.any(String));
    const all = await notificationPage(ws.workspaceId);
    expect(all.data).toHaveLength(12);
    expect(all.nextCursor).toBeNull();
  });

  it("a webhook without PLATFORM_WEBHOOK_URL is listed as not delivered, to 'platform_webhook'", async () => {
    const ws = await createWorkspace('Log unconfigured');
    const evt = await putEvent(ws.workspaceId, 'instance.terminated', { instanceId: 'res_1' });
    expect((await notificationPage(ws.workspaceId)).data).toEqual([expect.objectContaining({ id: evt.id, delivered: false })]);
    await deliver({ ...env, PLATFORM_WEBHOOK_URL: undefined }, [evt.id]);
    expect((await notificationPage(ws.workspaceId)).data).toEqual([
      { id: evt.id, type: 'instance.terminated', createdAt: new Date(evt.createdAtMs).toISOString(), channel: 'webhook', recipient: 'platform_webhook', delivered: false, data: { instanceId: 'res_1' }, eventId: evt.id, deliveredAt: null },
    ]);
  });

  it("tenancy: a workspace sees only its own notifications; an unknown workspace is 404; a forged cursor is 400; the internal token is required", async () => {
    const a = await createWorkspace('Log tenant A');
    const b = await createWorkspace('Log tenant B');
    await setEmailAdmins(a.workspaceId, true);
    const evtA = await putEvent(a.workspaceId, 'balance.depleted', { balanceMicros: 0 });
    await deliver({ ...env, PLATFORM_WEBHOOK_URL: undefined, EMAIL: recordingEmail().binding }, [evtA.id]);
    expect((await wholeLog(a.workspaceId)).map((n) => n.channel)).toEqual(['webhook', 'email']);
    expect(await wholeLog(b.workspaceId)).toEqual([]);

    const unknown = await internal('GET', '/internal/v1/workspaces/ws_00000000000000000000000000/notifications');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    for (const cursor of ['not-a-cursor', btoa('v1:12'), btoa('n1:abc:evt_1')]) {
      const res = await internal('GET', `/internal/v1/workspaces/${a.workspaceId}/notifications?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await internal('GET', `/internal/v1/workspaces/${a.workspaceId}/notifications`, undefined, 'Bearer wrong')).status).toBe(401);
    expect((await internal('GET', `/internal/v1/workspaces/${a.workspaceId}/notifications?limit=201`)).status).toBe(400);
  });
});
