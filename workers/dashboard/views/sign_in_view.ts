import { html } from 'hono/html';
import { layout } from './layout';

export function signInPage(input: { error?: string; notice?: string }) {
  return layout({
    title: 'Sign in · burnrate billing',
    body: html`<section class="card narrow" aria-labelledby="sign-in-title">
  <h1 id="sign-in-title">Sign in to billing</h1>
  ${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
  <form method="post" action="/dashboard/sign-in" novalidate>
    <label for="api-key">API key</label>
    <input id="api-key" name="apiKey" type="password" autocomplete="off" required
      aria-describedby="api-key-hint${input.error ? ' api-key-error' : ''}" ${input.error ? html`aria-invalid="true"` : ''}>
    <p id="api-key-hint" class="hint">Your workspace API key. It is checked once and not stored in the browser; the session lasts 12 hours.</p>
    ${input.error ? html`<p id="api-key-error" class="field-error" role="alert">${input.error}</p>` : ''}
    <button type="submit">Sign in</button>
  </form>
  <p class="hint">Your platform can also send you a one-time sign-in link.</p>
</section>`,
  });
}

/**
 * The page of a one-time link. Its token is in the URL's fragment, which only the page's script
 * can read (link_script.ts): it fills the form's hidden field and enables Continue.
 */
export function linkConfirmPage() {
  return layout({
    title: 'Sign in · burnrate billing',
    body: html`<section class="card narrow" aria-labelledby="link-title">
  <h1 id="link-title">Continue to billing</h1>
  <p>This one-time link signs you in to your workspace's billing dashboard.</p>
  <form method="post" action="/dashboard/link">
    <input type="hidden" id="link-token" name="token" value="">
    <button type="submit" id="link-continue" disabled>Continue</button>
  </form>
  <noscript><p class="hint">Sign-in links need JavaScript in this browser. You can also sign in with an API key.</p></noscript>
</section>
<script src="/dashboard/assets/link.js" defer></script>`,
  });
}

export function messagePage(input: { title: string; message: string; linkHref?: string; linkText?: string }) {
  return layout({
    title: `${input.title} · burnrate billing`,
    body: html`<section class="card narrow" aria-labelledby="message-title">
  <h1 id="message-title">${input.title}</h1>
  <p>${input.message}</p>
  ${input.linkHref ? html`<p><a href="${input.linkHref}">${input.linkText ?? 'Continue'}</a></p>` : ''}
</section>`,
  });
}

/**
 * Stripe returns the payer with a cross-site navigation, on which a SameSite=Strict cookie is not
 * sent. This page reloads the same URL from our own origin, where the cookie is sent.
 */
export function bouncePage(url: string) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${url}"><title>Returning to billing…</title></head><body><p><a href="${url}">Return to billing</a></p></body></html>`;
}
