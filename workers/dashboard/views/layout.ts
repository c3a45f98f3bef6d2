import { html } from 'hono/html';
import type { DashboardSession } from '../../env';
import { ASSET_VERSION } from '../dashboard_assets';
import type { Html } from './html';

/** The page shell: one stylesheet and one small script, both served by the Worker (no CDN). */
export function layout(input: { title: string; session?: DashboardSession; body: Html }) {
  const { session } = input;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/app.css?v=${ASSET_VERSION}">
<script src="/dashboard/assets/app.js?v=${ASSET_VERSION}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <span class="brand">burnrate <span class="brand-sub">billing</span></span>
  ${session
    ? html`<span class="who"><span data-testid="workspace-name">${session.workspaceName}</span> · <span data-testid="member-name">${session.memberName}</span> <span class="role role-${session.role}">${session.role}</span></span>
  <form method="post" action="/dashboard/sign-out" class="inline-form">
    <input type="hidden" name="csrf" value="${session.csrfToken}">
    <button type="submit" class="button-link">Sign out</button>
  </form>`
    : ''}
</header>
<main id="main" tabindex="-1">
${input.body}
</main>
</body>
</html>`;
}
