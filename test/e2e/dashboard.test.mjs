// The billing dashboard end to end: `npm start`'s server, its Stripe emulator as Stripe (hosted
// checkout page and signed webhooks), and Debian's Chromium as the user.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newPage, saveScreenshot, startBurnrate } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startBurnrate({ name: 'dashboard' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A signed-in dashboard page in its own browser context (its own cookies). */
async function signedIn(apiKey) {
  const opened = await newPage(browser, { baseUrl: server.baseUrl });
  const { page } = opened;
  await page.goto('/dashboard');
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Credit balance' }).waitFor();
  return opened;
}

const amountField = (page) => page.getByLabel('Amount (USD)', { exact: true });
const depositRows = (page) => page.locator('tr[data-type="deposit"]');
const statusOf = (row) => row.getByTestId('status').innerText();

async function startCheckout(page, dollars) {
  await amountField(page).fill(dollars);
  const newCard = page.getByLabel(/A new card/);
  await newCard.check();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForURL(/\/c\/pay\/cs_/);
}

const dollarsOf = (micros) => `$${(micros / 1_000_000).toFixed(2)}`;

test('sign in with the demo key and read the balance the API reports', async () => {
  const { page, externalRequests, consoleErrors, close } = await signedIn(server.demo.apiKey);
  try {
    const { body } = await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey);
    const shown = await page.getByTestId('balance').innerText();
    // The balance moves with the demo's running instance; allow the last cent to differ.
    const shownMicros = Math.round(Number(shown.replace(/[$,]/g, '')) * 100) * 10_000;
    assert.ok(Math.abs(shownMicros - body.balanceMicros) <= 20_000, `shown ${shown}, API ${body.balanceMicros}`);
    assert.match(await page.getByTestId('burn-rate').innerText(), /^\$\d+\.\d{2}\/hour$/);
    assert.match(await page.getByTestId('hours-remaining').innerText(), /\d+ (d|h|min)/);
    assert.match(await page.getByTestId('workspace-name').innerText(), /Demo/);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'burnrate_session');
    assert.ok(cookie, 'session cookie set');
    assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path], [true, true, 'Strict', '/dashboard']);
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test('a below-minimum amount shows an inline error under the field', async () => {
  const { page, close } = await signedIn(server.demo.apiKey);
  try {
    await amountField(page).fill('4.99');
    await page.getByRole('button', { name: 'Confirm' }).click();
    const error = page.locator('#topup-amount-error');
    assert.equal(await error.innerText(), 'The minimum is $5.00.');
    assert.equal(await amountField(page).getAttribute('aria-invalid'), 'true');
    // The error is announced with the field: it is part of the field's description.
    assert.match(await amountField(page).getAttribute('aria-describedby'), /topup-amount-error/);
    assert.ok(page.url().endsWith('/dashboard/topup'), 'no redirect to Stripe');
  } finally {
    await close();
  }
});

test('add $25 with the paying card: the deposit goes pending → completed with its invoice link, without a reload', async () => {
  const { page, context, close } = await signedIn(server.demo.apiKey);
  try {
    const before = await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey);
    await startCheckout(page, '25');
    // A second tab of the dashboard, opened while the payment is pending, is never reloaded.
    const watcher = await context.newPage();
    await watcher.goto('/dashboard');
    const watched = depositRows(watcher).first();
    assert.equal(await statusOf(watched), 'Pending');
    // Pending money is not in the balance yet, and the row says so.
    assert.match(await watched.getByTestId('amount').innerText(), /^\+\$25\.00\s+not in balance yet$/);
    await watcher.evaluate(() => (window.__notReloaded = true));

    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/dashboard\?checkout=success/);
    // Pending or already completed, depending on whether the webhook beat the browser back; the
    // notice follows the deposit by itself (dashboard_phone.test.mjs watches it change).
    assert.match(await page.getByTestId('notice').innerText(), /Payment submitted|Payment completed/);
    await page.getByText('Payment completed: $25.00 added to your balance.').waitFor({ timeout: 20_000 });

    await watched.getByText('Completed').waitFor({ timeout: 20_000 });
    assert.equal(await watcher.evaluate(() => window.__notReloaded), true);
    // The change is announced to screen readers through the polite status region.
    assert.match(await watcher.locator('#live-status').textContent(), /Credit top-up \(\$25\.00\): completed/);
    const invoice = watched.getByTestId('invoice-link');
    assert.match(await invoice.getAttribute('href'), /\/invoices\/in_/);
    const invoicePage = await context.newPage();
    const invoiceResponse = await invoicePage.goto(await invoice.getAttribute('href'));
    assert.equal(invoiceResponse.status(), 200);

    await depositRows(page).first().getByText('Completed').waitFor({ timeout: 20_000 });
    const after = await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey);
    // 25 credits in; the demo's running resources keep burning a little meanwhile.
    const delta = after.body.balanceMicros - before.body.balanceMicros;
    assert.ok(delta > 24_900_000 && delta <= 25_000_000, `balance moved by ${delta}`);
  } finally {
    await close();
  }
});

test('a top-up with the declining card ends Failed, and nothing is added', async () => {
  const { page, close } = await signedIn(server.demo.apiKey);
  try {
    const before = await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey);
    await startCheckout(page, '30');
    await page.getByLabel('Card number').fill('4000 0000 0000 0002');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('alert').getByText('Your card was declined.').waitFor();
    await page.getByRole('link', { name: 'Cancel and return' }).click();
    await page.waitForURL(/\/dashboard\?checkout=cancelled/);
    // Coming back changes nothing by itself: the deposit is Pending until the notice's button.
    assert.match(await page.getByTestId('notice').innerText(), /stays Pending/);
    assert.equal(await statusOf(depositRows(page).first()), 'Pending');
    await page.getByRole('button', { name: 'Cancel this top-up' }).click();
    await page.waitForURL(/\/dashboard\?checkout=cancelled/);
    assert.match(await page.getByTestId('notice').innerText(), /marked Failed/);
    assert.equal(await page.getByRole('button', { name: 'Cancel this top-up' }).count(), 0);
    const row = depositRows(page).first();
    assert.equal(await statusOf(row), 'Failed');
    assert.match(await row.getByTestId('amount').innerText(), /\$30\.00/);
    const after = await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey);
    assert.ok(after.body.balanceMicros <= before.body.balanceMicros, 'no credit for a declined card');
    const failed = await server.publicApi('GET', '/v1/billing/credits/history?type=deposit&status=failed', server.demo.apiKey);
    assert.equal(failed.body.data[0].amountMicros, 30_000_000);
  } finally {
    await close();
  }
});

test('auto-recharge settings round-trip through the form', async () => {
  const { page, close } = await signedIn(server.demo.apiKey);
  try {
    // The paying top-up above saved the card.
    assert.match(await page.locator('#auto-recharge').innerText(), /Visa •••• 4242/);
    await page.getByLabel('Recharge automatically').check();
    await page.getByLabel(/falls below/).fill('15');
    await page.getByLabel('Recharge amount (USD)').fill('50');
    await page.getByRole('button', { name: 'Save auto-recharge' }).click();
    await page.getByText('Auto-recharge settings saved.').waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('Recharge automatically').isChecked(), true);
    assert.equal(await page.getByLabel(/falls below/).inputValue(), '15.00');
    assert.equal(await page.getByLabel('Recharge amount (USD)').inputValue(), '50.00');
    const api = await server.publicApi('GET', '/v1/billing/auto-topup', server.demo.apiKey);
    assert.deepEqual([api.body.enabled, api.body.thresholdCents, api.body.topupAmountCents], [true, 1500, 5000]);
    // And back off, so the demo workspace is left as the other tests expect it.
    await page.getByLabel('Recharge automatically').uncheck();
    await page.getByRole('button', { name: 'Save auto-recharge' }).click();
    await page.getByText('Auto-recharge settings saved.').waitFor();
    assert.equal((await server.publicApi('GET', '/v1/billing/auto-topup', server.demo.apiKey)).body.enabled, false);
  } finally {
    await close();
  }
});

test("a member's view is read-only", async () => {
  const created = await server.internal('POST', `/internal/v1/workspaces/${server.demo.workspaceId}/members`, {
    name: 'Mia Member',
    email: `mia-${Date.now()}@example.com`,
    role: 'member',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { page, close } = await signedIn(created.body.apiKey);
  try {
    assert.equal(await page.getByTestId('member-name').innerText(), 'Mia Member');
    assert.equal(await page.getByTestId('topup-form').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Confirm' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Save auto-recharge' }).count(), 0);
    assert.match(await page.getByTestId('auto-recharge-readonly').innerText(), /Recharge amount\s+\$\d/);
    assert.match(await page.locator('#add-credits').innerText(), /Only workspace admins can add credits/);
    assert.equal(await page.getByTestId('member-usage').count(), 0, 'per-member usage is for admins');
    assert.ok((await page.getByTestId('balance').innerText()).startsWith('$'));
  } finally {
    await close();
  }
});

test('a one-time link minted by the internal API signs in once', async () => {
  const minted = await server.internal('POST', `/internal/v1/workspaces/${server.demo.workspaceId}/dashboard-links`, { memberId: server.demo.memberId });
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  const { page, close } = await newPage(browser, { baseUrl: server.baseUrl });
  try {
    await page.goto(minted.body.url);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Credit balance' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    await page.goto(minted.body.url);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
  } finally {
    await close();
  }
});

test('the page is keyboard-usable, labelled, fits a phone, and is saved as a screenshot', async () => {
  const { page, externalRequests, consoleErrors, close } = await signedIn(server.demo.apiKey);
  try {
    // The first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    // Every visible form control has an accessible name.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=hidden]), select, button')]
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent?.trim()))
        .map((el) => el.outerHTML),
    );
    assert.deepEqual(unlabelled, []);
    // The amount field can be reached and used from the keyboard alone.
    await amountField(page).focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('4');
    await page.keyboard.press('Enter');
    await page.locator('#topup-amount-error').waitFor();
    await page.goto('/dashboard');

    await saveScreenshot(page, 'dashboard', { fullPage: true });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 375px`);
    await saveScreenshot(page, 'dashboard-phone', { fullPage: true });
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors.filter((e) => !/status of 400/.test(e)), []);
  } finally {
    await close();
  }
});
