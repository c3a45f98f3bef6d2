// GET /docs: the API reference, rendered in the browser by Scalar from /openapi.json. The page is
// tiny; Scalar's 3.5 MB bundle is a Workers static asset (public/docs/scalar.js, copied from
// node_modules by scripts/copy_docs_assets.mjs) so it stays out of the Worker bundle. Scalar reads
// its configuration from the data attributes of #api-reference, so the page has no inline script
// and its CSP can allow scripts from this origin only.
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

export const docsPageHtml = () => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>burnrate API reference</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <noscript>This reference needs JavaScript. The OpenAPI document is at <a href="${DOCS_PATHS.document}">${DOCS_PATHS.document}</a>.</noscript>
    <script id="api-reference" data-url="${DOCS_PATHS.document}" data-configuration="${escapeAttribute(JSON.stringify(SCALAR_CONFIGURATION))}"></script>
    <script src="${DOCS_PATHS.script}"></script>
  </body>
</html>
`;

export function registerApiReference(app: Router) {
  app.get(DOCS_PATHS.page, (c) =>
    c.html(docsPageHtml(), 200, {
      'Content-Security-Policy': DOCS_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'public, max-age=300',
    }),
  );
  app.get(`${DOCS_PATHS.page}/`, (c) => c.redirect(DOCS_PATHS.page, 301));
}
