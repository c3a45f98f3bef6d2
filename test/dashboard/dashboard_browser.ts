import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { BASE } from '../helpers/api';

/**
 * A minimal browser for the dashboard inside workerd: keeps the session cookie, posts forms as a
 * browser does (urlencoded, with our Origin), and reads the CSRF token out of the page.
 */
export class DashboardBrowser {
  cookie: string | null = null;

  async request(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    const res = await exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers, redirect: 'manual' }));
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const [pair] = setCookie.split(';');
      this.cookie = /=$/.test(pair ?? '') || /Max-Age=0/i.test(setCookie) ? null : (pair ?? null);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), setCookie };
  }

  get(path: string) {
    return this.request(path);
  }

  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async signIn(apiKey: string) {
    const res = await this.post('/dashboard/sign-in', { apiKey });
    expect(res.status).toBe(303);
    expect(this.cookie).toMatch(/^burnrate_session=/);
    return res;
  }

  /** The page, and the CSRF token and form key its forms carry. */
  async page(path = '/dashboard') {
    const res = await this.get(path);
    return { ...res, csrf: hiddenField(res.text, 'csrf'), formKey: hiddenField(res.text, 'idempotencyKey') };
  }
}

export function hiddenField(html: string, name: string): string {
  return html.match(new RegExp(`name="${name}" value="([^"]+)"`))?.[1] ?? '';
}

/** The history rows of a page: id, type, status and the amount as shown. */
export function historyRows(html: string) {
  return [...html.matchAll(/<tr data-transaction-id="([^"]+)" data-status="([^"]+)" data-type="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
    id: m[1]!,
    status: m[2]!,
    type: m[3]!,
    amount: m[4]!.match(/data-testid="amount">(?:<s>)?([^<]+)/)?.[1] ?? '',
    invoiceUrl: m[4]!.match(/href="([^"]+)"[^>]*data-testid="invoice-link"/)?.[1] ?? null,
  }));
}
