// Alert emails (CONTRACT "Alerts and warnings"): with the workspace's emailAdmins on, every alert,
// warning, auto_recharge.failed and auto_recharge.action_required also goes to each admin by email
// through the EMAIL binding (wrangler's local Email Service here), delivered through the outbox and
// its queue, retried like the webhooks, never twice per (event, recipient).
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../workers/env';
import { sweepOutbox } from '../../workers/notifications/sweep_outbox';
import { EMAILED_EVENT_TYPES } from '../../workers/notifications/outbox';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace, deduct, unique } from '../helpers/fixtures';
import { shardD1Of } from '../helpers/ledger_checks';
import { setCardOutcome, workspaceWithSavedCard } from '../stripe/stripe_helpers';
import { deliver, emailRowsOf, emailStateOf, putEvent, recordingEmail, setEmailAdmins, wholeLog } from './notification_helpers';

const CREDIT = 1_000_000;
const adminEmailOf = async (workspaceId: string) =>
  (await env.DB.prepare("SELECT email FROM members WHERE workspace_id = ? AND role = 'admin' ORDER BY created_at_ms").bind(workspaceId).all<{ email: string }>()).results.map((r) => r.email);

/** A workspace with two admins and one member, emailing its admins. */
async function emailingWorkspace(name: string) {
  const ws = await createWorkspace(name);
  await addMember(ws.workspaceId, 'admin');
  await addMember(ws.workspaceId, 'member');
  await setEmailAdmins(ws.workspaceId, true);
  const admins = (await adminEmailOf(ws.workspaceId)).sort();
  expect(admins).toHaveLength(2);
  return { ...ws, admins };
}

const withEmail = (binding: SendEmail, extra: Partial<Env> = {}): Env => ({ ...env, PLATFORM_WEBHOOK_URL: undefined, PLATFORM_WEBHOOK_SECRET: undefined, EMAIL: binding, ...extra });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('alert emails to admins', () => {
  it('each emailed event type goes to every admin, and only admins, through the EMAIL binding; the log lists what the binding accepted', async () => {
    const ws = await emailingWorkspace('Emails every type');
    const samples: Record<(typeof EMAILED_EVENT_TYPES)[number], Record<string, unknown>> = {
      'balance.threshold_crossed': { threshold: { balanceCents: 1000 }, balanceMicros: 9_874_321, hoursRemaining: 12.75 },
      'balance.depleted': { balanceMicros: 0 },
      'balance.recovered': { balanceMicros: 25 * CREDIT },
      'instance.termination_scheduled': { predictedAt: '2026-11-21T11:30:00.000Z', instanceIds: ['res_a', 'res_b'] },
      'instance.termination_cancelled': { instanceIds: ['res_a', 'res_b'] },
      'auto_recharge.failed': { transactionId: 'txn_declined', attempt: 2, declineCode: 'insufficient_funds', disabled: false },
      'auto_recharge.action_required': { transactionId: 'txn_3ds', actionUrl: 'https://stripe.example/authenticate/pi_3ds' },
    };
    const t0 = Date.now() - 10_000;
    const events = [];
    for (const [i, type] of EMAILED_EVENT_TYPES.entries()) events.push(await putEvent(ws.workspaceId, type, samples[type], t0 + i));
    for (const e of events) expect(await emailStateOf(ws.workspaceId, e.id)).toBe('pending');

    const email = recordingEmail();
    const results = await deliver(withEmail(email.binding), events.map((e) => e.id));
    expect(results.every((r) => r.acked && !r.retried)).toBe(true);

    // 7 events × 2 admins, the member never.
    expect(email.sent).toHaveLength(EMAILED_EVENT_TYPES.length * 2);
    expect(new Set(email.sent.map((s) => s.to))).toEqual(new Set(ws.admins));
    for (const s of email.sent) {
      expect(s.from).toBe('burnrate@burnrate.test');
      // The simulated Email Service's own Message-ID: the message went through the binding.
      expect(s.messageId).toMatch(/^<[^@<>]+@burnrate\.test>$/);
      expect(s.text).toContain('Dashboard: http://burnrate.test/dashboard');
    }
    const byEvent = (id: string) => email.sent.filter((s) => s.headers['X-Burnrate-Event-Id'] === id);
    const threshold = byEvent(events[0]!.id);
    expect(threshold).toHaveLength(2);
    expect(threshold[0]!.subject).toBe('burnrate: balance below your alert threshold (Emails every type)');
    expect(threshold[0]!.text).toContain('Balance: $9.87');
    expect(threshold[0]!.text).toContain('Threshold: balance below $10.00');
    expect(threshold[0]!.text).toContain('Hours remaining: 12.7 hours');
    expect(byEvent(events[3]!.id)[0]!.text).toContain('Predicted to run out at: 2026-11-21 11:30 UTC');
    expect(byEvent(events[5]!.id)[0]!.text).toContain('Decline code: insufficient_funds');
    expect(byEvent(events[6]!.id)[0]!.text).toContain('Confirm the payment: https://stripe.example/authenticate/pi_3ds');

    // Every email in the log was accepted by the binding, with the Message-ID it answered.
    const rows = await emailRowsOf(ws.workspaceId);
    expect(rows).toHaveLength(14);
    expect(rows.every((r) => r.delivery_state === 'delivered' && r.attempts === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.message_id))).toEqual(new Set(email.sent.map((s) => s.messageId)));
    const loggedEmails = (await wholeLog(ws.workspaceId)).filter((n) => n.channel === 'email');
    expect(loggedEmails).toHaveLength(14);
    for (const n of loggedEmails) {
      expect(n.delivered).toBe(true);
      const row = rows.find((r) => r.id === n.id)!;
      expect(email.sent.filter((s) => s.messageId === row.message_id)).toEqual([expect.objectContaining({ to: n.recipient, headers: { 'X-Burnrate-Event-Id': n.eventId } })]);
    }
  });

  it('an email the service refuses is retried with the message and delivered later, never duplicated; the webhook is not posted again', async () => {
    const ws = await emailingWorkspace('Email retries');
    const evt = await putEvent(ws.workspaceId, 'auto_recharge.failed', { transactionId: 'txn_x', attempt: 1, declineCode: 'card_declined', disabled: false });
    const [first, second] = ws.admins as [string, string];
    // The platform takes the webhook at once; Email Service refuses the first admin twice.
    let posts = 0;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => {
      posts++;
      return new Response('ok');
    });
    let refusals = 2;
    const email = recordingEmail({ failFor: (to) => to === first && refusals-- > 0 });
    const configured = withEmail(email.binding, { PLATFORM_WEBHOOK_URL: 'https://platform.example.test/hook', PLATFORM_WEBHOOK_SECRET: 'whsec_platform_test_secret' });

    expect(await deliver(configured, [evt.id], 1)).toEqual([{ eventId: evt.id, retried: true, acked: false }]);
    expect(email.sent.map((s) => s.to)).toEqual([second]);
    let rows = await emailRowsOf(ws.workspaceId);
    expect(rows.find((r) => r.recipient === first)).toMatchObject({ delivery_state: 'pending', attempts: 1, last_error: expect.stringContaining('Email Service unavailable'), lease_until_ms: null });

    expect((await deliver(configured, [evt.id], 2))[0]!.retried).toBe(true);
    expect((await deliver(configured, [evt.id], 3))[0]).toMatchObject({ acked: true, retried: false });
    // Redelivered once more (a duplicate message, the sweep): nothing is sent again.
    expect((await deliver(configured, [evt.id], 1))[0]).toMatchObject({ acked: true, retried: false });

    expect(email.refused).toEqual([first, first]);
    expect(email.sent.map((s) => s.to).sort()).toEqual([first, second].sort());
    rows = await emailRowsOf(ws.workspaceId);
    expect(rows.map((r) => [r.recipient, r.delivery_state, r.attempts])).toEqual([
      [first, 'delivered', 3],
      [second, 'delivered', 1],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    expect(posts).toBe(1);
  });

  it('two consumers delivering the same event at once send each admin one email', async () => {
    const ws = await emailingWorkspace('Concurrent redelivery');
    const evt = await putEvent(ws.workspaceId, 'balance.depleted', { balanceMicros: 0 });
    const email = recordingEmail();
    await Promise.all([deliver(withEmail(email.binding), [evt.id]), deliver(withEmail(email.binding), [evt.id]), deliver(withEmail(email.binding), [evt.id])]);
    // A consumer that found an email held by another may retry its message; once it comes back, nothing is left to send.
    await deliver(withEmail(email.binding), [evt.id], 2);
    expect(email.sent.map((s) => s.to).sort()).toEqual(ws.admins);
    expect((await emailRowsOf(ws.workspaceId)).map((r) => r.delivery_state)).toEqual(['delivered', 'delivered']);
  });

  it('emailAdmins off: no email, and the event records none (turning it on later does not email past events)', async () => {
    const ws = await createWorkspace('Emails off');
    await addMember(ws.workspaceId, 'admin');
    const evt = await putEvent(ws.workspaceId, 'balance.depleted', { balanceMicros: 0 });
    expect(await emailStateOf(ws.workspaceId, evt.id)).toBe('none');
    await setEmailAdmins(ws.workspaceId, true);
    const email = recordingEmail();
    expect((await deliver(withEmail(email.binding), [evt.id]))[0]!.acked).toBe(true);
    expect(email.sent).toEqual([]);
    expect(await emailRowsOf(ws.workspaceId)).toEqual([]);
    expect((await wholeLog(ws.workspaceId)).map((n) => n.channel)).toEqual(['webhook']);
  });

  it('events that are not alerts (instance.terminated, balance.low, spend_limit.reached) are never emailed', async () => {
    const ws = await emailingWorkspace('Only alerts');
    const evts = [
      await putEvent(ws.workspaceId, 'instance.terminated', { instanceId: 'res_x', reason: 'zero_balance' }),
      await putEvent(ws.workspaceId, 'balance.low', { balanceMicros: 1 }),
      await putEvent(ws.workspaceId, 'spend_limit.reached', { memberId: 'mem_x' }),
    ];
    const email = recordingEmail();
    await deliver(withEmail(email.binding), evts.map((e) => e.id));
    expect(email.sent).toEqual([]);
    expect(await emailRowsOf(ws.workspaceId)).toEqual([]);
  });

  it('without the EMAIL binding the emails are recorded as not delivered, and not retried', async () => {
    const ws = await emailingWorkspace('No binding');
    const evt = await putEvent(ws.workspaceId, 'auto_recharge.action_required', { transactionId: 'txn_y', actionUrl: 'https://stripe.example/a' });
    const results = await deliver({ ...env, PLATFORM_WEBHOOK_URL: undefined, EMAIL: undefined }, [evt.id]);
    expect(results[0]).toMatchObject({ acked: true, retried: false });
    const rows = await emailRowsOf(ws.workspaceId);
    expect(rows.map((r) => [r.delivery_state, r.last_error])).toEqual([
      ['not_configured', 'no EMAIL binding'],
      ['not_configured', 'no EMAIL binding'],
    ]);
    expect((await wholeLog(ws.workspaceId)).filter((n) => n.channel === 'email').map((n) => n.delivered)).toEqual([false, false]);
  });

  it('the hourly sweep re-enqueues an event whose emails are not written or not sent, and nothing else of it', async () => {
    const ws = await emailingWorkspace('Sweep emails');
    const old = Date.now() - 5 * 60_000;
    const notFannedOut = await putEvent(ws.workspaceId, 'balance.recovered', { balanceMicros: CREDIT }, old);
    const unsent = await putEvent(ws.workspaceId, 'balance.depleted', { balanceMicros: 0 }, old);
    const email = recordingEmail({ failures: 100 });
    await deliver(withEmail(email.binding), [unsent.id]); // webhook not_configured, both emails refused
    // Their webhooks are done (not configured): only the emails keep them in the sweep.
    const d1 = shardD1Of(ws.workspaceId);
    expect((await d1.prepare('SELECT delivery_state AS s FROM platform_events WHERE id = ?').bind(unsent.id).first<{ s: string }>())!.s).toBe('not_configured');
    await d1.prepare("UPDATE platform_events SET delivery_state = 'not_configured' WHERE id = ?").bind(notFannedOut.id).run();
    const sentToQueue: string[] = [];
    const capture = { sendBatch: async (msgs: Array<{ body: { eventId: string } }>) => void sentToQueue.push(...msgs.map((m) => m.body.eventId)) } as unknown as Queue;
    await sweepOutbox({ ...(env as unknown as Env), NOTIFICATION_QUEUE: capture }, Date.now());
    expect(sentToQueue.filter((id) => id === notFannedOut.id || id === unsent.id).sort()).toEqual([notFannedOut.id, unsent.id].sort());
    // Swept and delivered: the sweep has nothing more of this workspace.
    const working = recordingEmail();
    await deliver(withEmail(working.binding), [notFannedOut.id, unsent.id]);
    expect(working.sent).toHaveLength(4);
    sentToQueue.length = 0;
    await sweepOutbox({ ...(env as unknown as Env), NOTIFICATION_QUEUE: capture }, Date.now());
    expect(sentToQueue.filter((id) => id === notFannedOut.id || id === unsent.id)).toEqual([]);
  });
});

describe('end to end: a declined auto-recharge', () => {
  it('emails the admins through the queue and the EMAIL binding the Worker is deployed with', async () => {
    const ws = await workspaceWithSavedCard('Declined, emailed');
    await addMember(ws.workspaceId, 'member');
    await setEmailAdmins(ws.workspaceId, true);
    const pm = ws.paymentMethodId;
    await setCardOutcome(pm, 'decline');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500 })).status).toBe(200);
    expect((await deduct(ws.workspaceId, 6 * CREDIT, unique('below'))).status).toBe(201);

    // The ledger object enqueued the event; the run's own queue consumer delivers it (no stubs).
    const [admin] = await adminEmailOf(ws.workspaceId);
    await vi.waitFor(
      async () => {
        const rows = await emailRowsOf(ws.workspaceId);
        expect(rows.map((r) => [r.recipient, r.delivery_state])).toEqual([[admin!.toLowerCase(), 'delivered']]);
      },
      { timeout: 15_000, interval: 200 },
    );
    const [row] = await emailRowsOf(ws.workspaceId);
    expect(row!.message_id).toMatch(/^<[^@<>]+@burnrate\.test>$/);
    expect(row!.subject).toBe('burnrate: auto-recharge declined (Declined, emailed)');
    expect(row!.body_text).toContain('Attempt: 1 of 3');
    const log = await wholeLog(ws.workspaceId);
    const failed = log.filter((n) => n.type === 'auto_recharge.failed');
    expect(failed.map((n) => [n.channel, n.delivered])).toEqual([
      ['webhook', false],
      ['email', true],
    ]);
    expect(failed[1]).toMatchObject({ recipient: admin!.toLowerCase(), eventId: failed[0]!.id, data: { attempt: 1, declineCode: 'generic_decline', disabled: false } });
  });
});
