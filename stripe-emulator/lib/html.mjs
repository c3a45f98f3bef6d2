// HTML for the hosted pages: escaping and one page layout.

/**
 * @param {unknown} value
 * @returns {string}
 */
export function escapeHtml(value) {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; background: #f6f8fa; color: #1a1f36; }
  main { max-width: 28rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  h1 { font-size: 1.25rem; margin-top: 0; }
  .amount { font-size: 2rem; font-weight: 600; margin: .25rem 0 1rem; }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; border: 1px solid #8792a2; border-radius: 4px; }
  input:focus, button:focus, a:focus { outline: 3px solid #635bff; outline-offset: 2px; }
  button { margin-top: 1.5rem; width: 100%; padding: .8rem; font-size: 1rem; font-weight: 600; color: #fff; background: #4b44d6; border: 0; border-radius: 4px; cursor: pointer; }
  .error { color: #a4120b; background: #fde8e7; padding: .75rem; border-radius: 4px; }
  .hint, .note { color: #4f566b; font-size: .875rem; }
  table { width: 100%; border-collapse: collapse; } th, td { text-align: left; padding: .4rem 0; border-bottom: 1px solid #e3e8ee; }
  td.num, th.num { text-align: right; }
`;

/**
 * @param {{ title: string, body: string }} page body is trusted HTML (escape what goes in it)
 */
export function layout({ title, body }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
<p class="note">Stripe emulator: a local development tool for burnrate. No real payment is made.</p>
</main>
</body>
</html>
`;
}
