// Dashboard guards: sign-out is refused from another origin or without the session's CSRF token,
// and the Checkout cancel link (a GET) changes nothing by itself, for anyone: only the admin's
// "Cancel this top-up" form post, with the session's CSRF token and from our origin, expires it.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { stripeFor } from '../../workers/stripe/stripe_client';
import { DashboardBrowser } from '../dashboard/dashboard_browser';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

const deposits = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=deposit', apiKey)).body.data as any[];

describe('sign-out', () => {
  it('from another origin: 403, and the session still works', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const { csrf } = await browser.page();
    const cookie = browser.cookie;
    const res = await browser.post('/dashboard/sign-out', { csrf }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.setCookie ?? '').not.toMatch(/Max-Age=0/i);
    expect(browser.cookie).toBe(cookie);
    expect((await browser.get('/dashboard')).text).toContain('data-testid="balance"');
  });

  it('without the CSRF token (or with another session’s): 403, still signed in', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const other = await signedIn(ws.adminKey);
    const otherCsrf = (await other.page()).csrf;
    const attempts: Array<Record<string, string>> = [{}, { csrf: 'forged' }, { csrf: otherCsrf }];
    for (const fields of attempts) {
      const res = await browser.post('/dashboard/sign-out', fields);
      expect(res.status, JSON.stringify(fields)).toBe(403);
    }
    expect((await browser.get('/dashboard')).text).toContain('data-testid="balance"');
    // The real form still signs out.
    const out = await browser.post('/dashboard/sign-out', { csrf: (await browser.page()).csrf });
    expect(out.status).toBe(303);
    expect(browser.cookie).toBeNull();
  });
});

describe('returning from Checkout through cancel', () => {
  async function pendingCheckout() {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const admin = await signedIn(ws.adminKey);
    const page = await admin.page();
    const started = await admin.post('/dashboard/topup', { csrf: page.csrf, idempotencyKey: page.formKey, amount: '40', method: 'new' });
    expect(started.status).toBe(303);
    const sessionId = started.headers.get('location')!.split('/').pop()!;
    const [pending] = await deposits(ws.adminKey);
    expect(pending.status).toBe('pending');
    return { ws, member, admin, sessionId, pending, cancelPath: `/dashboard?checkout=cancelled&txn=${pending.id}` };
  }
  const stripeStatus = async (sessionId: string) => (await stripeFor(env as unknown as Env).checkout.sessions.retrieve(sessionId)).status;

  it('the cancel link changes nothing by itself, for a member or an admin, directly or through the bounce', async () => {
    const { ws, member, admin, sessionId, pending, cancelPath } = await pendingCheckout();
    // The cross-site return arrives without the cookie: the bounce page reloads with it.
    const bounce = await new DashboardBrowser().get(cancelPath);
    expect(bounce.text).toContain('http-equiv="refresh"');
    const memberBrowser = await signedIn(member.apiKey);
    for (const path of [cancelPath, `${cancelPath}&bounced=1`]) {
      const landed = await memberBrowser.get(path);
      expect(landed.status).toBe(200);
      // The member sees the notice, without the button.
      expect(landed.text).toContain('until the Checkout session expires or an admin cancels it');
      expect(landed.text).not.toContain('Cancel this top-up');
      expect(landed.text).not.toContain('marked Failed');
      const adminLanded = await admin.get(path);
      expect(adminLanded.status).toBe(200);
      expect(adminLanded.text).toContain('Cancel this top-up');
      expect(adminLanded.text).toContain(`name="txn" value="${pending.id}"`);
      expect(adminLanded.text).not.toContain('marked Failed');
    }
    expect((await deposits(ws.adminKey))[0]).toMatchObject({ id: pending.id, status: 'pending' });
    expect(await stripeStatus(sessionId)).toBe('open');
  });

  it('the cancel post is refused without the CSRF token, from another origin, or from a member; the admin’s form cancels', async () => {
    const { ws, member, admin, sessionId, pending, cancelPath } = await pendingCheckout();
    const { csrf } = await admin.page(cancelPath);
    const other = await signedIn(ws.adminKey);
    const otherCsrf = (await other.page()).csrf;
    for (const [fields, headers] of [
      [{ txn: pending.id }, {}],
      [{ txn: pending.id, csrf: 'forged' }, {}],
      [{ txn: pending.id, csrf: otherCsrf }, {}],
      [{ txn: pending.id, csrf }, { origin: 'https://evil.example' }],
    ] as const) {
      const res = await admin.post('/dashboard/checkout/cancel', fields, headers);
      expect(res.status, JSON.stringify({ fields, headers })).toBe(403);
    }
    const memberBrowser = await signedIn(member.apiKey);
    const memberCsrf = (await memberBrowser.page(cancelPath)).csrf;
    const byMember = await memberBrowser.post('/dashboard/checkout/cancel', { txn: pending.id, csrf: memberCsrf });
    expect(byMember.status).toBe(403);
    expect(byMember.text).toContain('Admins only');
    // Without a session at all: back to sign-in, nothing done.
    expect((await new DashboardBrowser().post('/dashboard/checkout/cancel', { txn: pending.id, csrf })).status).toBe(303);
    expect((await deposits(ws.adminKey))[0]).toMatchObject({ id: pending.id, status: 'pending' });
    expect(await stripeStatus(sessionId)).toBe('open');

    // Control: the admin's own form does expire it, and lands on the notice that says so.
    const cancelled = await admin.post('/dashboard/checkout/cancel', { txn: pending.id, csrf });
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get('location')).toBe(cancelPath);
    const landed = await admin.get(cancelPath);
    expect(landed.text).toContain('The top-up is marked Failed.');
    expect(landed.text).not.toContain('Cancel this top-up');
    expect((await deposits(ws.adminKey))[0]).toMatchObject({ id: pending.id, status: 'failed' });
    expect(await stripeStatus(sessionId)).toBe('expired');
  });
});
