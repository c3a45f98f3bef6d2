import { Hono, type Context } from 'hono';
import { historyCsvFilename, historyCsvHeaders, historyCsvStream } from '../billing/history_csv';
import { removePaymentMethod, setDefaultPaymentMethod, startCardSetup } from '../billing/payment_methods';
import { startCheckoutTopup } from '../billing/start_checkout_topup';
import { MAX_TOPUP_CENTS, MIN_TOPUP_CENTS } from '../billing/topup_bounds';
import { dollarsFromCents } from '../lib/money';
import { saveAutoTopup } from '../billing/save_auto_topup';
import type { AppEnv, DashboardSession } from '../env';
import { ApiError } from '../errors/api_error';
import { ledgerFor } from '../ledger/ledger_stub';
import { unwrap } from '../ledger/ledger_result';
import { randomToken } from '../lib/crypto';
import { cancelReturnedCheckout, confirmReturnedCardSetup, confirmReturnedCheckout, readCancelledCheckout } from './checkout_return';
import { ASSET_VERSION, DASHBOARD_CSS, DASHBOARD_JS } from './dashboard_assets';
import { parseDollarsToCents } from './format';
import { readGuardedForm } from './form_guard';
import { loadDashboard, loadLiveData, parseDashboardQuery } from './load_dashboard';
import { endSession, loadSession, startSession } from './load_session';
import { LINK_JS } from './link_script';
import { dashboardSecurityHeaders } from './security_headers';
import { newSessionClaims } from './session_cookie';
import { dashboardPage, type PageState } from './views/dashboard_page';
import { liveRegionMarkup } from './views/live_regions';
import { bouncePage, linkConfirmPage, messagePage, signInPage } from './views/sign_in_view';
import { activeApiKey } from '../tenancy/active_api_key';
import { consumeDashboardLink } from '../tenancy/consume_dashboard_link';
import { saveSpendLimitForm } from './spend_limit_form';
import { saveAlertsForm } from './alerts_form';

const FORM_KEY = /^[A-Za-z0-9_-]{16,64}$/;

export const dashboard = new Hono<AppEnv>();
dashboard.use('*', dashboardSecurityHeaders);

dashboard.onError((error, c) => {
  const status = error instanceof ApiError ? error.status : 500;
  if (!(error instanceof ApiError)) console.error(JSON.stringify({ level: 'error', msg: 'dashboard error', error: String(error), stack: (error as Error).stack }));
  const message = error instanceof ApiError ? error.message : 'Something went wrong on our side. Nothing was charged twice; reload the page to try again.';
  return c.html(messagePage({ title: 'Something went wrong', message, linkHref: '/dashboard', linkText: 'Back to billing' }), status as 400);
});

// --- assets -------------------------------------------------------------------------------------

const asset = (body: string, type: string) => (c: Context<AppEnv>) => {
  const versioned = c.req.query('v') === ASSET_VERSION;
  return c.body(body, 200, { 'content-type': type, 'cache-control': versioned ? 'public, max-age=31536000, immutable' : 'no-cache' });
};
dashboard.get('/assets/app.css', asset(DASHBOARD_CSS, 'text/css; charset=utf-8'));
dashboard.get('/assets/app.js', asset(DASHBOARD_JS, 'text/javascript; charset=utf-8'));
dashboard.get('/assets/link.js', asset(LINK_JS, 'text/javascript; charset=utf-8'));

// --- the page -----------------------------------------------------------------------------------

function liveUrlFor(url: URL) {
  const params = new URLSearchParams();
  // The payment parameters too: the notice about it is a live region.
  for (const key of ['type', 'status', 'cursor', 'checkout', 'session_id', 'topup']) {
    const value = url.searchParams.get(key);
    if (value) params.set(key, value);
  }
  const qs = params.toString();
  return `/dashboard/live${qs ? `?${qs}` : ''}`;
}

async function renderDashboard(c: Context<AppEnv>, session: DashboardSession, state: PageState = {}, status: 200 | 400 | 409 | 503 = 200) {
  const url = new URL(c.req.url);
  const data = await loadDashboard(c.env, session, parseDashboardQuery(url));
  return c.html(dashboardPage(data, liveUrlFor(url), state), status);
}

dashboard.get('/', async (c) => {
  const url = new URL(c.req.url);
  const session = await loadSession(c);
  if (!session) {
    if (url.searchParams.has('checkout') && !url.searchParams.has('bounced')) {
      url.searchParams.set('bounced', '1');
      return c.html(bouncePage(`${url.pathname}${url.search}`));
    }
    const notice = url.searchParams.has('signed_out') ? 'You are signed out.' : url.searchParams.has('checkout') ? 'Sign in again to see your payment.' : undefined;
    return c.html(signInPage({ notice }));
  }
  const state: PageState = {};
  // A returned payment (?checkout=success&session_id=… or ?topup=txn_…) gets its notice from the
  // deposit as it is now, re-rendered by the live updates (see payment_notice.ts).
  const checkout = url.searchParams.get('checkout');
  if (checkout === 'success') {
    // Verified with Stripe now, through the webhook's own path: credited once, whoever is first.
    // The notice itself comes from the deposit as it then is (payment_notice.ts).
    await confirmReturnedCheckout(c.env, session, url.searchParams.get('session_id'));
  } else if (checkout === 'card_saved') {
    const saved = await confirmReturnedCardSetup(c.env, session, url.searchParams.get('session_id'));
    state.notice = saved ? { kind: 'success', text: 'Card saved: it is now the default for top-ups and auto-recharge.' } : { kind: 'info', text: 'The card is being saved; it appears here in a moment.' };
  } else if (checkout === 'cancelled') {
    // The cancel link is a GET anyone can be sent to: it only reads the deposit. Cancelling it is
    // the notice's button, a guarded post (below).
    const cancelled = await readCancelledCheckout(c.env, session, url.searchParams.get('txn'));
    if (cancelled?.status === 'pending') {
      state.notice = {
        kind: 'info',
        text:
          session.role === 'admin'
            ? 'Checkout was cancelled. The top-up stays Pending until the Checkout session expires; cancel it now if you do not mean to pay.'
            : 'Checkout was cancelled. The top-up stays Pending until the Checkout session expires or an admin cancels it.',
      };
      state.cancelCheckout = { transactionId: cancelled.transactionId };
    } else if (cancelled?.status === 'completed') {
      state.notice = { kind: 'success', text: 'This top-up was paid after all: it is marked Completed.' };
    } else if (cancelled?.status === 'failed') {
      state.notice = { kind: 'info', text: 'Checkout was cancelled and nothing was charged. The top-up is marked Failed.' };
    } else {
      state.notice = { kind: 'info', text: 'Checkout was cancelled.' };
    }
  }
  if (url.searchParams.get('saved') === 'auto-recharge') state.autoRecharge = { saved: true };
  if (url.searchParams.get('saved') === 'alerts') state.alerts = { saved: true };
  const cards = url.searchParams.get('cards');
  if (cards === 'default') state.notice = { kind: 'success', text: 'Default card changed: saved-card top-ups and auto-recharge use it from now on.' };
  else if (cards === 'removed') state.notice = { kind: 'success', text: 'Card removed.' };
  const data = await loadDashboard(c.env, session, parseDashboardQuery(url));
  return c.html(dashboardPage(data, liveUrlFor(url), state));
});

dashboard.get('/live', async (c) => {
  const session = await loadSession(c);
  if (!session) return c.json({ error: { code: 'unauthenticated', message: 'Sign in again.', requestId: c.get('requestId') } }, 401);
  const query = parseDashboardQuery(new URL(c.req.url));
  const live = await loadLiveData(c.env, session, query);
  return c.json({ regions: liveRegionMarkup({ session, query, ...live }), pending: live.pending });
});

// The history as CSV, for the "Download CSV" button: the API's generator, with the session's
// workspace and the page's filters.
dashboard.get('/history.csv', async (c) => {
  const session = await loadSession(c);
  if (!session) return c.json({ error: { code: 'unauthenticated', message: 'Sign in again.', requestId: c.get('requestId') } }, 401);
  const { type, status } = parseDashboardQuery(new URL(c.req.url));
  const filters = { type, status };
  const filename = historyCsvFilename(session.workspaceId, filters, Date.now());
  return c.body(historyCsvStream(c.env, session.workspaceId, filters), 200, historyCsvHeaders(filename));
});

// --- sign-in and sign-out -----------------------------------------------------------------------

/** Login CSRF: a sign-in form posted from another origin is refused. */
const fromOurOrigin = (c: Context<AppEnv>) => {
  const origin = c.req.header('origin');
  return !origin || origin === new URL(c.req.url).origin;
};

dashboard.post('/sign-in', async (c) => {
  if (!fromOurOrigin(c)) return c.html(signInPage({ error: 'Sign in from this page.' }), 403);
  const body = await c.req.parseBody();
  const key = typeof body.apiKey === 'string' ? body.apiKey.trim() : '';
  if (!key) return c.html(signInPage({ error: 'Enter your API key.' }), 400);
  const row = await activeApiKey(c.env, key);
  if (!row) return c.html(signInPage({ error: 'That API key is not valid (unknown or revoked).' }), 401);
  await startSession(c, newSessionClaims(row));
  return c.redirect('/dashboard', 303);
});

// Signing out is a form like the others: our origin and the session's CSRF token, so that another
// site cannot sign a user out (a nuisance, and a step in login-CSRF). Without a session there is
// nothing to protect: the cookie is cleared either way.
dashboard.post('/sign-out', async (c) => {
  if (!fromOurOrigin(c)) return c.html(messagePage({ title: 'Sign out', message: 'Sign out from the billing page itself.', linkHref: '/dashboard', linkText: 'Back to billing' }), 403);
  const session = await loadSession(c);
  if (session && !(await readGuardedForm(c, session))) {
    return c.html(messagePage({ title: 'Form expired', message: 'This form was not sent from your current session. Reload the page and try again.', linkHref: '/dashboard', linkText: 'Reload billing' }), 403);
  }
  await endSession(c);
  return c.redirect('/dashboard?signed_out=1', 303);
});

// The link is /dashboard/link#<token>: the token never reaches the server in a URL (so no
// request log holds it); the page's script posts it in the Continue form's body.
dashboard.get('/link', (c) => c.html(linkConfirmPage()));

// A link is consumed by a POST (the Continue button), not by opening it: mail scanners that
// prefetch links must not use it up.
dashboard.post('/link', async (c) => {
  if (!fromOurOrigin(c)) return c.html(messagePage({ title: 'Sign-in link', message: 'Open the link itself to continue.' }), 403);
  const form = await c.req.parseBody();
  const token = typeof form.token === 'string' ? form.token : '';
  const used = await consumeDashboardLink(c.env, token);
  if (!used) {
    return c.html(messagePage({ title: 'This link no longer works', message: 'Sign-in links work once and expire after a few minutes. Ask for a new one, or sign in with an API key.', linkHref: '/dashboard', linkText: 'Sign in' }), 400);
  }
  await startSession(c, newSessionClaims({ ...used, keyId: null }));
  return c.redirect('/dashboard', 303);
});

// --- forms: every post needs a session, the CSRF token, and (these two) an admin ---------------

async function adminForm(c: Context<AppEnv>) {
  const session = await loadSession(c);
  if (!session) return { response: c.redirect('/dashboard', 303) } as const;
  const form = await readGuardedForm(c, session);
  if (!form) return { response: c.html(messagePage({ title: 'Form expired', message: 'This form was not sent from your current session. Reload the page and try again.', linkHref: '/dashboard', linkText: 'Reload billing' }), 403) } as const;
  if (session.role !== 'admin') return { response: c.html(messagePage({ title: 'Admins only', message: 'Only workspace admins can change billing.', linkHref: '/dashboard', linkText: 'Back to billing' }), 403) } as const;
  return { session, form } as const;
}

function topupAmountError(cents: number | null): string | null {
  if (cents === null) return 'Enter an amount in dollars, such as 25 or 25.50.';
  if (cents < MIN_TOPUP_CENTS) return 'The minimum is $5.00.';
  if (cents > MAX_TOPUP_CENTS) return 'The maximum is $10,000.00 per top-up.';
  return null;
}

dashboard.post('/topup', async (c) => {
  const guarded = await adminForm(c);
  if ('response' in guarded) return guarded.response;
  const { session, form } = guarded;
  const method = form.method === 'saved' ? 'saved' : 'new';
  const amountCents = parseDollarsToCents(form.amount ?? '');
  const error = topupAmountError(amountCents);
  if (error || amountCents === null) return renderDashboard(c, session, { topup: { amount: form.amount, method, error: error ?? undefined } }, 400);
  // The form's key makes a double submit (or a retried post) one deposit, not two.
  const formKey = form.idempotencyKey && FORM_KEY.test(form.idempotencyKey) ? form.idempotencyKey : randomToken(16);
  try {
    if (method === 'saved') {
      const result = await ledgerFor(c.env, session.workspaceId).depositWithSavedCard({
        workspaceId: session.workspaceId,
        key: `card:${formKey}`,
        amountCents,
        description: `Credit top-up (${dollarsFromCents(amountCents)}), saved card`,
      });
      // The ledger's own failure is a plain 500 (logged by the error handler), not a message for the form.
      if (!result.ok && result.code === 'internal_error') unwrap(result);
      if (!result.ok) return renderDashboard(c, session, { topup: { amount: form.amount, method, error: result.message } }, result.code === 'idempotency_conflict' ? 409 : 400);
      return c.redirect(`/dashboard?topup=${result.value.id}`, 303);
    }
    const checkout = await startCheckoutTopup(c.env, { workspaceId: session.workspaceId, amountCents, idempotencyKey: formKey });
    return c.redirect(checkout.value.checkoutUrl, 303);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'stripe_unavailable') {
      return renderDashboard(c, session, { topup: { amount: form.amount, method, error: 'Payments are unavailable right now (Stripe did not answer). Nothing was charged; try again in a moment.' } }, 503);
    }
    throw e;
  }
});

// "Cancel this top-up" on the notice after the cancel link, or "Cancel" on a pending row: expires the Checkout session and marks
// the deposit Failed, then shows the page the link showed (now with the deposit as it is).
dashboard.post('/checkout/cancel', async (c) => {
  const guarded = await adminForm(c);
  if ('response' in guarded) return guarded.response;
  const transactionId = guarded.form.txn ?? '';
  await cancelReturnedCheckout(c.env, guarded.session, transactionId);
  // From a history row, back to the history (the row now Failed); from the notice, to the notice.
  const fromHistory = guarded.form.back === 'history';
  const back = fromHistory ? '/dashboard#history' : /^txn_[a-z0-9]{1,64}$/.test(transactionId) ? `/dashboard?checkout=cancelled&txn=${transactionId}` : '/dashboard';
  return c.redirect(back, 303);
});

dashboard.post('/cards', async (c) => {
  const guarded = await adminForm(c);
  if ('response' in guarded) return guarded.response;
  try {
    const setup = await startCardSetup(c.env, guarded.session.workspaceId);
    return c.redirect(setup.checkoutUrl, 303);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'stripe_unavailable') {
      return renderDashboard(c, guarded.session, { notice: { kind: 'error', text: 'Stripe did not answer; no card was added. Try again in a moment.' } }, 503);
    }
    throw e;
  }
});

/** Stripe PaymentMethod ids; anything else is no card of this workspace. */
const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,100}$/;

/**
 * Make default / Remove on one card (billing/payment_methods.ts, as the API's routes): another
 * workspace's card, or none, is the 404 page; the last card while auto-recharge is on is a 409.
 */
async function changeCard(c: Context<AppEnv>, change: 'default' | 'removed') {
  const guarded = await adminForm(c);
  if ('response' in guarded) return guarded.response;
  const { session } = guarded;
  const id = c.req.param('id') ?? '';
  const missing = () => c.html(messagePage({ title: 'No such card', message: 'That card is not saved for this workspace.', linkHref: '/dashboard#cards', linkText: 'Back to billing' }), 404);
  if (!PAYMENT_METHOD_ID.test(id)) return missing();
  try {
    if (change === 'default') await setDefaultPaymentMethod(c.env, session.workspaceId, id);
    else await removePaymentMethod(c.env, session.workspaceId, id);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'not_found') return missing();
    if (e instanceof ApiError && e.code === 'payment_method_required') return renderDashboard(c, session, { notice: { kind: 'error', text: e.message } }, 409);
    if (e instanceof ApiError && e.code === 'stripe_unavailable') return renderDashboard(c, session, { notice: { kind: 'error', text: 'Stripe did not answer; nothing was changed. Try again in a moment.' } }, 503);
    throw e;
  }
  return c.redirect(`/dashboard?cards=${change}#cards`, 303);
}

dashboard.post('/cards/:id/default', (c) => changeCard(c, 'default'));
dashboard.post('/cards/:id/remove', (c) => changeCard(c, 'removed'));

// A member's spend limit (views/spend_limits_panel.ts): set or changed (`action=save`) or removed.
dashboard.post('/spend-limits', async (c) => {
  const guarded = await adminForm(c);
  if ('response' in guarded) return guarded.response;
  const { session, form } = guarded;
  const outcome = await saveSpendLimitForm(c.env, session, form);
  if (!outcome.ok) return renderDashboard(c, session, { notice: { kind: 'error', text: outcome.error } }, 400);
  return c.redirect('/dashboard?saved=spend-limit#spend-limits', 303);
});

// Alert settings (views/alerts_panel.ts), as PUT /v1/billing/alerts saves them.
dashboard.post('/alerts', async (c) => {
  const guarded = await adminForm(c);
  if ('response' in guarded) return guarded.response;
  const { session, form } = guarded;
  const outcome = await saveAlertsForm(c.env, session, form);
  if (!outcome.ok) return renderDashboard(c, session, { alerts: outcome.state }, 400);
  return c.redirect('/dashboard?saved=alerts#alerts', 303);
});

dashboard.post('/auto-recharge', async (c) => {
  const guarded = await adminForm(c);
  if ('response' in guarded) return guarded.response;
  const { session, form } = guarded;
  const enabled = form.enabled === 'on';
  const thresholdCents = parseDollarsToCents(form.threshold ?? '');
  const topupAmountCents = parseDollarsToCents(form.amount ?? '');
  const mode = form.mode === 'target' ? 'target' : 'fixed';
  const targetText = (form.target ?? '').trim();
  const limitText = (form.limit ?? '').trim();
  const targetCents = targetText === '' ? null : parseDollarsToCents(targetText);
  const monthlyLimitCents = limitText === '' ? null : parseDollarsToCents(limitText);
  const state = { enabled, threshold: form.threshold, amount: form.amount, mode, target: form.target, limit: form.limit } as const;
  let error: string | null = null;
  if (thresholdCents === null || thresholdCents > MAX_TOPUP_CENTS) error = 'Enter a threshold between $0.00 and $10,000.00.';
  else if (topupAmountCents === null || topupAmountCents < MIN_TOPUP_CENTS || topupAmountCents > MAX_TOPUP_CENTS) error = 'The recharge amount must be between $5.00 and $10,000.00.';
  else if ((targetText !== '' && (targetCents === null || targetCents > MAX_TOPUP_CENTS)) || (mode === 'target' && (targetCents === null || targetCents <= thresholdCents)))
    error = 'In target mode, enter a target balance above the threshold (at most $10,000.00).';
  else if (targetCents !== null && targetCents <= thresholdCents) error = 'The target balance must be above the threshold.';
  else if (limitText !== '' && (monthlyLimitCents === null || monthlyLimitCents < MIN_TOPUP_CENTS || monthlyLimitCents > 10_000_000_000)) error = 'The monthly limit must be at least $5.00 (or empty for none).';
  if (error || thresholdCents === null || topupAmountCents === null) return renderDashboard(c, session, { autoRecharge: { ...state, error: error ?? undefined } }, 400);
  try {
    await saveAutoTopup(c.env, session.workspaceId, { enabled, thresholdCents, topupAmountCents, mode, targetCents, monthlyLimitCents });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'payment_method_required') {
      return renderDashboard(c, session, { autoRecharge: { ...state, error: 'Add credits with a card first: auto-recharge charges the card saved by a top-up.' } }, 409);
    }
    throw e;
  }
  return c.redirect('/dashboard?saved=auto-recharge#auto-recharge', 303);
});
