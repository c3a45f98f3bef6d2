// GET /docs: a small HTML page that loads Scalar from this origin and points it at /openapi.json,
// with a CSP that lets nothing load from, or be sent to, another origin. (The script itself is a
// static asset, served in front of the Worker by wrangler; the vitest pool calls the Worker
// directly, so the script's delivery is checked in the browser test, not here.)
import { describe, expect, it } from 'vitest';
import { rawFetch } from '../helpers/api';

async function docsPage() {
  const res = await rawFetch('/docs', {});
  return { res, html: await res.text() };
}

const attribute = (html: string, name: string) => {
  const match = new RegExp(`<script id="api-reference"[^>]*\\s${name}="([^"]*)"`).exec(html);
  return match?.[1]?.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
};

describe('GET /docs', () => {
  it('is an HTML page that loads Scalar from this origin and points it at /openapi.json', async () => {
    const { res, html } = await docsPage();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toMatch(/<script src="\/docs\/scalar.js"( defer)?><\/script>/);
    expect(attribute(html, 'data-url')).toBe('/openapi.json');
    // Small: the 3.5 MB bundle must not be inlined (the page is its tags and the list of operations
    // shown until Scalar has rendered).
    expect(html.length).toBeLessThan(64_000);
  });

  it('configures Scalar to make no third-party requests', async () => {
    const { html } = await docsPage();
    const config = JSON.parse(attribute(html, 'data-configuration') ?? 'null');
    expect(config).toMatchObject({ withDefaultFonts: false, proxyUrl: '', telemetry: false, agent: { disabled: true }, showDeveloperTools: 'never' });
    // No absolute URL anywhere in the page: everything it loads is relative to this origin.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('has no inline script, and a CSP that allows only this origin', async () => {
    const { res, html } = await docsPage();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.every(([, , body]) => (body ?? '').trim() === '')).toBe(true);
    const csp = Object.fromEntries(
      (res.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]),
    );
    expect(csp['default-src']).toEqual(["'none'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['connect-src']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    for (const sources of Object.values(csp) as string[][]) expect(sources.filter((s) => /^https?:|^\*$/.test(s))).toEqual([]);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('is not part of the API document', async () => {
    const doc = (await (await rawFetch('/openapi.json', {})).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs'))).toEqual([]);
  });
});
