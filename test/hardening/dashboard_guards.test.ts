// Dashboard guards: sign-out is refused from another origin or without the session's CSRF token,
// and only an admin's session expires a Checkout on the way back from it (a member following the
// cancel link, directly or through the cookie-less bounce, changes nothing).
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
  it('a member’s session expires nothing, directly or through the bounce; the admin’s does', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const admin = await signedIn(ws.adminKey);
    const page = await admin.page();
    const started = await admin.post('/dashboard/topup', { csrf: page.csrf, idempotencyKey: page.formKey, amount: '40', method: 'new' });
    expect(started.status).toBe(303);
    const sessionId = started.headers.get('location')!.split('/').pop()!;
    const [pending] = await deposits(ws.adminKey);
    expect(pending.status).toBe('pending');
    const cancelPath = `/dashboard?checkout=cancelled&txn=${pending.id}`;

    // The cross-site return arrives without the cookie: the bounce page reloads with it.
    const bounce = await new DashboardBrowser().get(cancelPath);
    expect(bounce.text).toContain('http-equiv="refresh"');
    const memberBrowser = await signedIn(member.apiKey);
    for (const path of [cancelPath, `${cancelPath}&bounced=1`]) {
      const landed = await memberBrowser.get(path);
      expect(landed.status).toBe(200);
      expect(landed.text).not.toContain('marked Failed');
    }
    expect((await deposits(ws.adminKey))[0]).toMatchObject({ id: pending.id, status: 'pending' });
    expect((await stripeFor(env as unknown as Env).checkout.sessions.retrieve(sessionId)).status).toBe('open');

    // Control: the admin's own return does expire it.
    const adminBack = await admin.get(`${cancelPath}&bounced=1`);
    expect(adminBack.text).toContain('The top-up is marked Failed.');
    expect((await deposits(ws.adminKey))[0]).toMatchObject({ id: pending.id, status: 'failed' });
    expect((await stripeFor(env as unknown as Env).checkout.sessions.retrieve(sessionId)).status).toBe('expired');
  });
});
