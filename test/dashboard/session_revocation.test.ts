// Dashboard sessions end on the server, not only in the browser: signing out ends the session for
// every copy of its cookie; revoking a member's API key, or ending the member's sessions through
// the internal API, signs the member out everywhere, one-time-link sessions included.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { DashboardBrowser } from './dashboard_browser';

const signedIn = async (browser: DashboardBrowser) => (await browser.get('/dashboard')).text.includes('data-testid="balance"');

/** A second browser holding a copy of the first one's cookie (what a stolen cookie is). */
function copyOf(browser: DashboardBrowser) {
  const copy = new DashboardBrowser();
  copy.cookie = browser.cookie;
  return copy;
}

async function signInByLink(workspaceId: string, memberId: string) {
  const minted = await internal('POST', `/internal/v1/workspaces/${workspaceId}/dashboard-links`, { memberId });
  expect(minted.status).toBe(201);
  const browser = new DashboardBrowser();
  expect((await browser.post('/dashboard/link', { token: new URL(minted.body.url).hash.slice(1) })).status).toBe(303);
  return browser;
}

describe('signing out', () => {
  it('ends the session: a copy of the cookie taken before signing out no longer signs anyone in', async () => {
    const ws = await createWorkspace();
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const copy = copyOf(browser);
    expect(await signedIn(copy)).toBe(true);

    const { csrf } = await browser.page();
    expect((await browser.post('/dashboard/sign-out', { csrf })).status).toBe(303);

    const page = await copy.get('/dashboard');
    expect(page.text).toContain('Sign in to billing');
    expect(page.text).not.toContain('data-testid="balance"');
    expect((await copy.get('/dashboard/live')).status).toBe(401);
    expect((await copy.get('/dashboard/history.csv')).status).toBe(401);
  });

  it('ends a one-time-link session the same way', async () => {
    const ws = await createWorkspace();
    const browser = await signInByLink(ws.workspaceId, ws.adminMemberId);
    const copy = copyOf(browser);
    const { csrf } = await browser.page();
    await browser.post('/dashboard/sign-out', { csrf });
    expect(await signedIn(copy)).toBe(false);
  });

  it('ends only that session: the same member signed in elsewhere stays signed in', async () => {
    const ws = await createWorkspace();
    const laptop = new DashboardBrowser();
    const phone = new DashboardBrowser();
    await laptop.signIn(ws.adminKey);
    await phone.signIn(ws.adminKey);
    const { csrf } = await laptop.page();
    await laptop.post('/dashboard/sign-out', { csrf });
    expect(await signedIn(phone)).toBe(true);
  });
});

describe('revoking an API key', () => {
  it("signs its member out everywhere: sessions signed in with the key and the member's link sessions", async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const key = await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/api-keys`, { memberId: member.memberId });
    const byKey = new DashboardBrowser();
    await byKey.signIn(key.body.apiKey);
    const byLink = await signInByLink(ws.workspaceId, member.memberId);
    const admin = new DashboardBrowser();
    await admin.signIn(ws.adminKey);
    expect([await signedIn(byKey), await signedIn(byLink), await signedIn(admin)]).toEqual([true, true, true]);

    expect((await internal('DELETE', `/internal/v1/workspaces/${ws.workspaceId}/api-keys/${key.body.id}`)).status).toBe(200);

    expect(await signedIn(byKey)).toBe(false);
    expect(await signedIn(byLink)).toBe(false);
    expect((await byLink.get('/dashboard/live')).status).toBe(401);
    // Another member's session is not touched.
    expect(await signedIn(admin)).toBe(true);
  });

  it('revoking it again (a replay) does not end sessions started after the revocation', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const key = await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/api-keys`, { memberId: member.memberId });
    await internal('DELETE', `/internal/v1/workspaces/${ws.workspaceId}/api-keys/${key.body.id}`);
    const later = await signInByLink(ws.workspaceId, member.memberId);
    expect((await internal('DELETE', `/internal/v1/workspaces/${ws.workspaceId}/api-keys/${key.body.id}`)).status).toBe(200);
    expect(await signedIn(later)).toBe(true);
  });
});

describe('ending a member’s sessions through the internal API', () => {
  it('DELETE .../members/:id/dashboard-sessions signs the member out everywhere (link sessions too) and says how many', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const first = await signInByLink(ws.workspaceId, member.memberId);
    const second = await signInByLink(ws.workspaceId, member.memberId);
    const admin = new DashboardBrowser();
    await admin.signIn(ws.adminKey);

    const ended = await internal('DELETE', `/internal/v1/workspaces/${ws.workspaceId}/members/${member.memberId}/dashboard-sessions`);
    expect(ended.status).toBe(200);
    expect(ended.body).toEqual({ memberId: member.memberId, endedSessions: 2 });
    expect(await signedIn(first)).toBe(false);
    expect(await signedIn(second)).toBe(false);
    expect(await signedIn(admin)).toBe(true);

    // Again: nothing left to end.
    expect((await internal('DELETE', `/internal/v1/workspaces/${ws.workspaceId}/members/${member.memberId}/dashboard-sessions`)).body.endedSessions).toBe(0);
  });

  it("another workspace's member is 404", async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const res = await internal('DELETE', `/internal/v1/workspaces/${a.workspaceId}/members/${b.adminMemberId}/dashboard-sessions`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('a removed member', () => {
  it('is signed out at once (the member is read with the session)', async () => {
    const ws = await createWorkspace();
    const elsewhere = await createWorkspace();
    const member = await addMember(ws.workspaceId, 'member');
    const browser = await signInByLink(ws.workspaceId, member.memberId);
    expect(await signedIn(browser)).toBe(true);
    // No route removes a member yet; moved out of the workspace is the same to a session.
    await env.DB.prepare('UPDATE members SET workspace_id = ? WHERE id = ?').bind(elsewhere.workspaceId, member.memberId).run();
    expect(await signedIn(browser)).toBe(false);
  });
});
