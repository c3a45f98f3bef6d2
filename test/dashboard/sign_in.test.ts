import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { addMember, createWorkspace, grant } from '../helpers/fixtures';
import { DashboardBrowser } from './dashboard_browser';

describe('dashboard sign-in with an API key', () => {
  it('shows the sign-in form without a session, and the dashboard after signing in', async () => {
    const ws = await createWorkspace('Signin Co');
    await grant(ws.workspaceId, 12_340_000);
    const browser = new DashboardBrowser();
    const before = await browser.get('/dashboard');
    expect(before.status).toBe(200);
    expect(before.text).toContain('<label for="api-key">API key</label>');
    expect(before.text).not.toContain('data-testid="balance"');

    const signIn = await browser.signIn(ws.adminKey);
    expect(signIn.headers.get('location')).toBe('/dashboard');
    const cookie = signIn.setCookie ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/dashboard/);
    // The cookie names the session; it never carries the API key.
    expect(cookie).not.toContain(ws.adminKey);

    const page = await browser.get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signin Co');
    expect(page.text).toMatch(/data-testid="balance">\$12\.34</);
  });

  it('refuses an unknown key, a key posted from another origin, and a tampered cookie', async () => {
    const ws = await createWorkspace();
    const browser = new DashboardBrowser();
    const wrong = await browser.post('/dashboard/sign-in', { apiKey: 'br_not-a-real-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.setCookie).toBeNull();
    expect(wrong.text).toContain('not valid');
    expect(wrong.text).toContain('aria-invalid="true"');

    const foreign = await browser.post('/dashboard/sign-in', { apiKey: ws.adminKey }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.setCookie).toBeNull();

    await browser.signIn(ws.adminKey);
    const [name, value] = browser.cookie!.split('=');
    const [payload, mac] = value!.split('.');
    // Flip a byte of the claims: the signature no longer verifies.
    browser.cookie = `${name}=${payload!.slice(0, -2)}${payload!.slice(-2) === 'AA' ? 'AB' : 'AA'}.${mac}`;
    const page = await browser.get('/dashboard');
    expect(page.text).toContain('Sign in to billing');
    expect(page.text).not.toContain('data-testid="balance"');
  });

  it('ends the session when its API key is revoked', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const key = await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/api-keys`, { memberId: member.memberId });
    const browser = new DashboardBrowser();
    await browser.signIn(key.body.apiKey);
    expect((await browser.get('/dashboard')).text).toContain('data-testid="balance"');
    expect((await internal('DELETE', `/internal/v1/workspaces/${ws.workspaceId}/api-keys/${key.body.id}`)).status).toBe(200);
    const after = await browser.get('/dashboard');
    expect(after.text).toContain('Sign in to billing');
    expect((await browser.get('/dashboard/live')).status).toBe(401);
  });

  it('signs out: the cookie is cleared', async () => {
    const ws = await createWorkspace();
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const { csrf } = await browser.page();
    const out = await browser.post('/dashboard/sign-out', { csrf });
    expect(out.status).toBe(303);
    expect(out.setCookie).toMatch(/Max-Age=0/i);
    expect(browser.cookie).toBeNull();
    expect((await browser.get('/dashboard?signed_out=1')).text).toContain('You are signed out.');
  });
});

describe('returning from Stripe Checkout', () => {
  it('reloads once from our own origin when the cross-site return arrived without the Strict cookie', async () => {
    const ws = await createWorkspace();
    const anonymous = new DashboardBrowser();
    const bounce = await anonymous.get('/dashboard?checkout=success&session_id=cs_test_1');
    expect(bounce.status).toBe(200);
    expect(bounce.text).toContain('<meta http-equiv="refresh" content="0;url=/dashboard?checkout=success&amp;session_id=cs_test_1&amp;bounced=1">');
    // The reload carries the cookie (a same-site navigation), so a signed-in user lands on the page.
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const landed = await browser.get('/dashboard?checkout=success&session_id=cs_test_1&bounced=1');
    expect(landed.text).toContain('Payment submitted.');
    // Without a session even after the bounce: the sign-in form, and no loop.
    const stillAnonymous = await anonymous.get('/dashboard?checkout=success&session_id=cs_test_1&bounced=1');
    expect(stillAnonymous.text).toContain('Sign in again to see your payment.');
    expect(stillAnonymous.text).not.toContain('http-equiv="refresh"');
  });
});

describe('dashboard sign-in with a one-time link', () => {
  const mint = (ws: string, memberId: string, extra: Record<string, unknown> = {}) =>
    internal('POST', `/internal/v1/workspaces/${ws}/dashboard-links`, { memberId, ...extra });

  it('signs the member in once; opening the link does not use it up; a second use fails', async () => {
    const ws = await createWorkspace('Link Co');
    const member = await addMember(ws.workspaceId, 'member');
    const minted = await mint(ws.workspaceId, member.memberId);
    expect(minted.status).toBe(201);
    expect(minted.body.memberId).toBe(member.memberId);
    expect(Date.parse(minted.body.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    // The token is the URL's fragment: a browser never sends it, so no request log, proxy or
    // Referer ever holds it; the page hands it to the form.
    const url = new URL(minted.body.url);
    expect(url.pathname).toBe('/dashboard/link');
    expect(url.search).toBe('');
    const token = url.hash.slice(1);
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);

    const browser = new DashboardBrowser();
    const opened = await browser.get(url.pathname);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('Continue');
    expect(opened.text).toContain('<form method="post" action="/dashboard/link">');
    expect(opened.text).toContain('<script src="/dashboard/assets/link.js" defer></script>');
    expect(browser.cookie).toBeNull();

    const used = await browser.post('/dashboard/link', { token });
    expect(used.status).toBe(303);
    const page = await browser.get('/dashboard');
    expect(page.text).toContain('Link Co');
    expect(page.text).toContain('Max Member');

    const again = await new DashboardBrowser().post('/dashboard/link', { token });
    expect(again.status).toBe(400);
    expect(again.setCookie).toBeNull();
  });

  it('refuses an expired link and a member of another workspace; replays by id return the same link', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    expect((await mint(a.workspaceId, b.adminMemberId)).status).toBe(404);

    const first = await mint(a.workspaceId, a.adminMemberId, { id: 'link-once-1' });
    const replay = await mint(a.workspaceId, a.adminMemberId, { id: 'link-once-1' });
    expect(replay.status).toBe(201);
    expect(replay.body.url).toBe(first.body.url);
    expect((await mint(a.workspaceId, a.adminMemberId, { id: 'link-once-1', ttlSeconds: 120 })).status).toBe(409);

    await env.DB.prepare('UPDATE dashboard_links SET expires_at_ms = ? WHERE workspace_id = ?').bind(Date.now() - 1, a.workspaceId).run();
    const expired = await new DashboardBrowser().post('/dashboard/link', { token: new URL(first.body.url).hash.slice(1) });
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('no longer works');
  });

  it('needs the internal token to mint', async () => {
    const ws = await createWorkspace();
    const res = await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/dashboard-links`, { memberId: ws.adminMemberId }, 'Bearer wrong');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});
