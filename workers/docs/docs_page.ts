// GET /docs: the API reference, rendered in the browser by Scalar from /openapi.json. The page is
// tiny; Scalar's 3.5 MB bundle is a Workers static asset (public/docs/scalar.js, copied from
// node_modules by scripts/copy_docs_assets.mjs) so it stays out of the Worker bundle. Scalar reads
// its configuration from the data attributes of #api-reference, so the page has no inline script
// and its CSP can allow scripts from this origin only. Until Scalar has rendered, the page shows a
// server-rendered list of the operations (docsPlaceholder), so it is never blank.
import type { Router } from '../routes/router';
import { DOCS_PATHS, SCALAR_CONFIGURATION } from './scalar_config';

// Scalar injects <style> elements and style attributes at runtime, hence 'unsafe-inline' for
// styles only; its icons are data: URIs. Nothing may be loaded from or sent to another origin.
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeAttribute = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface DocsOperation {
  method: string;
  path: string;
  summary: string;
  tag: string;
}

/** Every operation of an OpenAPI document, in its order, under its first tag. */
export function operationsOf(document: { paths?: Record<string, Record<string, unknown>> }): DocsOperation[] {
  const methods = ['get', 'put', 'post', 'patch', 'delete'];
  const out: DocsOperation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of methods) {
      const op = item[method] as { summary?: string; tags?: string[] } | undefined;
      if (op) out.push({ method: method.toUpperCase(), path, summary: op.summary ?? '', tag: op.tags?.[0] ?? 'Other' });
    }
  }
  return out;
}

/**
 * What the page shows at once, server-rendered, while Scalar's 3.5 MB bundle loads and renders
 * (1.5 to 3 s on a laptop): the operations by tag, readable and linkable, never a blank pane. The
 * stylesheet hides it as soon as Scalar's app is in the page (`body:has(.scalar-app)`), with no
 * script of ours, so the CSP keeps allowing scripts from this origin only.
 */
export function docsPlaceholder(operations: DocsOperation[]): string {
  const tags = [...new Set(operations.map((o) => o.tag))];
  const sections = tags.map((tag) => {
    const items = operations
      .filter((o) => o.tag === tag)
      .map((o) => `<li><span class="m m-${o.method.toLowerCase()}">${o.method}</span> <code>${escapeText(o.path)}</code> <span class="s">${escapeText(o.summary)}</span></li>`)
      .join('');
    return `<section><h2>${escapeText(tag)}</h2><ul>${items}</ul></section>`;
  });
  return `<div class="docs-placeholder" data-testid="docs-placeholder">
      <h1>burnrate API reference</h1>
      <p class="lead" role="status">Loading the interactive reference… Meanwhile, every operation is listed below. The OpenAPI document is at <a href="${DOCS_PATHS.document}">${DOCS_PATHS.document}</a>.</p>
      ${sections.join('\n      ')}
    </div>`;
}

const PLACEHOLDER_CSS = `body:has(.scalar-app) .docs-placeholder{display:none}
.docs-placeholder{max-width:60rem;margin:0 auto;padding:1.5rem 1rem;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f2b}
.docs-placeholder h1{font-size:1.6rem;margin:0 0 .5rem}.docs-placeholder h2{font-size:1.1rem;margin:1.25rem 0 .25rem}
.docs-placeholder .lead{color:#4b5563}.docs-placeholder ul{list-style:none;padding:0;margin:0}
.docs-placeholder li{padding:.3rem 0;border-bottom:1px solid #e5e7eb;overflow-wrap:anywhere}
.docs-placeholder code{font:13px ui-monospace,Menlo,Consolas,monospace}.docs-placeholder .s{color:#4b5563}
.docs-placeholder .m{display:inline-block;min-width:3.6rem;font:700 12px ui-monospace,Menlo,Consolas,monospace;color:#2746c7}
.docs-placeholder .m-post{color:#0a7a3d}.docs-placeholder .m-delete{color:#b3261e}.docs-placeholder .m-put{color:#7a4a00}`;

export const docsPageHtml = (operations: DocsOperation[] = []) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>burnrate API reference</title>
    <link rel="icon" href="data:," />
    <link rel="preload" href="${DOCS_PATHS.document}" as="fetch" crossorigin="anonymous" />
    <style>${PLACEHOLDER_CSS}</style>
  </head>
  <body>
    <noscript>This reference needs JavaScript for its interactive part. The OpenAPI document is at <a href="${DOCS_PATHS.document}">${DOCS_PATHS.document}</a>.</noscript>
    ${docsPlaceholder(operations)}
    <script id="api-reference" data-url="${DOCS_PATHS.document}" data-configuration="${escapeAttribute(JSON.stringify(SCALAR_CONFIGURATION))}"></script>
    <script src="${DOCS_PATHS.script}" defer></script>
  </body>
</html>
`;

export function registerApiReference(app: Router) {
  // The page is the same for every request of a deployment: built once per isolate, on first use
  // (when every route has been registered).
  let page: string | null = null;
  const pageOnce = () => (page ??= docsPageHtml(operationsOf(app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'burnrate', version: '0.1.0' } }) as never)));
  app.get(DOCS_PATHS.page, (c) =>
    c.html(pageOnce(), 200, {
      'Content-Security-Policy': DOCS_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'public, max-age=300',
    }),
  );
  app.get(`${DOCS_PATHS.page}/`, (c) => c.redirect(DOCS_PATHS.page, 301));
}
