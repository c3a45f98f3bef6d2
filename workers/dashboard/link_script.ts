// The one-time sign-in link carries its token in the URL's fragment (`/dashboard/link#<token>`):
// a browser never sends a fragment, so the token is in no request log (wrangler's, Cloudflare's
// invocation logs), proxy log or Referer. This script, on the link's page, moves it into the
// Continue form (posted as its body) and drops it from the address bar and the history entry.
export const LINK_JS = `(() => {
  const field = document.getElementById('link-token');
  const token = location.hash.slice(1);
  if (!field || !token) return;
  field.value = decodeURIComponent(token);
  history.replaceState(null, '', location.pathname);
  document.getElementById('link-continue')?.removeAttribute('disabled');
})();
`;
