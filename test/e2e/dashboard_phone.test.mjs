// The dashboard for people on phones and desktops: the history as cards below 640 px with nothing
// off screen sideways, the payment notice following the deposit live, and the CSV download.
// Screenshots at 320, 375 and 1280 px go to test-artifacts/.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { ARTIFACTS_DIR, launchBrowser, newPage, saveScreenshot, startBurnrate } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startBurnrate({ name: 'dashboard-phone' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn({ width, height }) {
  const opened = await newPage(browser, { baseUrl: server.baseUrl });
  const { page } = opened;
  await page.setViewportSize({ width, height });
  await page.goto('/dashboard');
  await page.getByLabel('API key').fill(server.demo.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Credit balance' }).waitFor();
  // Layout is measured below: wait for the stylesheet, not just the markup.
  await page.waitForLoadState('load');
  return opened;
}

/**
 * Elements that stick out of the viewport sideways (visible ones only): of the history section, or
 * of the whole page except inside the usage tables' own scroll boxes.
 */
const historyOverflow = (page, selector = '#history, #history *') =>
  page.evaluate((selector) => {
    const out = [];
    for (const el of document.querySelectorAll(selector)) {
      const rect = el.getBoundingClientRect();
      // Text for screen readers only: clipped to a 1 px box, never seen.
      if (rect.width <= 1 || rect.height <= 1 || el.closest('.visually-hidden')) continue;
      if (el.closest('.table-scroll') && !el.classList.contains('table-scroll')) continue;
      if (rect.left < -0.5 || rect.right > window.innerWidth + 0.5) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(rect.left)}..${Math.round(rect.right)}`);
    }
    return { out, pageOverflow: document.documentElement.scrollWidth - window.innerWidth };
  }, selector);

/** Whether the element is entirely inside the viewport horizontally, without scrolling sideways. */
const fullyInViewWidth = (locator) =>
  locator.evaluate((el) => {
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.left >= 0 && rect.right <= window.innerWidth && window.scrollX === 0;
  });

test('a Checkout payment on a phone: the notice turns to completed by itself and the badge is on screen', async () => {
  const { page, context, consoleErrors, externalRequests, close } = await signedIn({ width: 375, height: 812 });
  try {
    await page.getByLabel('Amount (USD)', { exact: true }).fill('25');
    await page.getByLabel(/A new card/).check();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/\/c\/pay\/cs_/);
    const sessionId = new URL(page.url()).pathname.split('/').pop();

    // A phone tab already on the return page while the payment is still pending: it is never reloaded.
    const watcher = await context.newPage();
    await watcher.setViewportSize({ width: 375, height: 812 });
    await watcher.goto(`/dashboard?checkout=success&session_id=${sessionId}`);
    const notice = watcher.getByTestId('notice');
    assert.match(await notice.innerText(), /shows as Pending/);
    assert.match(await watcher.locator('#auto-recharge').innerText(), /none saved yet/);
    await watcher.evaluate(() => (window.__notReloaded = true));

    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/dashboard\?checkout=success/);

    await watcher.getByText('Payment completed: $25.00 added to your balance.').waitFor({ timeout: 20_000 });
    assert.equal(await watcher.evaluate(() => window.__notReloaded), true);
    assert.doesNotMatch(await notice.innerText(), /Pending/);
    // The card saved by this payment shows in auto-recharge and Add Credits, also without a reload.
    await watcher.locator('#auto-recharge-card').getByText('Visa •••• 4242').waitFor({ timeout: 20_000 });
    await watcher.getByLabel(/Saved card: Visa •••• 4242/).waitFor();

    const row = watcher.locator('tr[data-type="deposit"]').first();
    await row.getByText('Completed').waitFor({ timeout: 20_000 });
    const badge = row.getByTestId('status');
    await badge.scrollIntoViewIfNeeded();
    assert.equal(await fullyInViewWidth(badge), true, 'the Completed badge is on screen without scrolling sideways');
    assert.equal(await fullyInViewWidth(row.getByTestId('invoice-link')), true, 'the invoice link too');
    assert.equal(await fullyInViewWidth(row.getByTestId('amount')), true, 'and the amount');
    const { out, pageOverflow } = await historyOverflow(watcher);
    assert.deepEqual(out, []);
    assert.ok(pageOverflow <= 0, `the page scrolls sideways by ${pageOverflow}px`);
    await row.scrollIntoViewIfNeeded();
    await saveScreenshot(watcher, 'dashboard-phone-payment-completed');
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

for (const [width, height] of [
  [320, 640],
  [375, 812],
  [1280, 900],
]) {
  test(`at ${width} px nothing of the history is off screen sideways (screenshot dashboard-${width}.png)`, async () => {
    const { page, consoleErrors, close } = await signedIn({ width, height });
    try {
      const rows = page.locator('tr[data-transaction-id]');
      assert.ok((await rows.count()) > 0, 'the demo workspace has history');
      const { out, pageOverflow } = await historyOverflow(page);
      assert.deepEqual(out, []);
      assert.ok(pageOverflow <= 0, `the page scrolls sideways by ${pageOverflow}px at ${width}px`);
      // The rest of the page fits too: panels, forms, charts and their legends.
      assert.deepEqual((await historyOverflow(page, 'main *')).out, []);
      const card = await page.locator('#usage').evaluate((el) => el.getBoundingClientRect().right);
      const legends = await page.locator('#usage .legend li').evaluateAll((items) => Math.max(...items.map((li) => li.getBoundingClientRect().right)));
      assert.ok(legends <= card, `chart legends end at ${legends}px, inside their card (${card}px)`);
      // Cards below 640 px (no column headers on screen), the table above.
      const layout = await rows.first().evaluate((tr) => getComputedStyle(tr).display);
      assert.equal(layout, width < 640 ? 'grid' : 'table-row');
      for (const testId of ['status', 'amount']) assert.equal(await fullyInViewWidth(rows.first().getByTestId(testId)), true, `${testId} on screen`);
      // The charts carry round ticks and a table for screen readers.
      assert.match(await page.locator('svg[data-chart="balance"]').innerHTML(), /text-anchor="end">\$\d/);
      assert.equal(await page.getByTestId('spend-table').count(), 1);
      await saveScreenshot(page, `dashboard-${width}`, { fullPage: true });
      // The two parts this page is about, at a size a person can read in the artifacts.
      await page.locator('#history').screenshot({ path: join(ARTIFACTS_DIR, `dashboard-${width}-history.png`) });
      await page.locator('#usage .charts').screenshot({ path: join(ARTIFACTS_DIR, `dashboard-${width}-charts.png`) });
      assert.deepEqual(consoleErrors, []);
    } finally {
      await close();
    }
  });
}

test('Download CSV saves the history as a CSV file with a header row', async () => {
  const { page, close } = await signedIn({ width: 1280, height: 900 });
  try {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
    assert.match(download.suggestedFilename(), /^burnrate-history-ws_[a-z0-9]+-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = await readFile(await download.path(), 'utf8');
    const lines = text.split('\r\n');
    assert.equal(lines[0], 'id,created_at,type,status,description,amount_credits,balance_after_credits,forgiven_credits,invoice_url');
    const api = await server.publicApi('GET', '/v1/billing/credits/history?limit=200', server.demo.apiKey);
    const stored = api.body.data.filter((t) => t.status !== 'accumulating');
    assert.equal(lines.length - 2, stored.length, 'one line per stored transaction, and a final line end');
    assert.equal(lines[1].split(',')[0], stored[0].id);
  } finally {
    await close();
  }
});

test('the accumulating usage row opens its lines on a phone, and they add up to its amount', async () => {
  // The demo workspace's usage (instance, volume, models, tools) is all in the hour now open: only
  // hours that have ended can be settled (GET /__scheduled refuses a future time), so its lines are
  // the accumulating row's, priced the way settlement will price them.
  const { page, close } = await signedIn({ width: 375, height: 800 });
  try {
    const row = page.locator('tr[data-status="accumulating"]').first();
    await row.locator('details.tx-lines summary').click();
    const lines = row.locator('details.tx-lines li');
    assert.ok((await lines.count()) >= 3, 'instance, volume, models and tools each have a line');
    // Read in one go: the row is re-rendered live as the instance keeps running.
    const { rowMicros, lineMicros } = await row.evaluate((tr) => ({
      rowMicros: Number(tr.querySelector('[data-testid="amount"]').dataset.amountMicros),
      lineMicros: [...tr.querySelectorAll('details.tx-lines li')].map((li) => Number(li.dataset.amountMicros)),
    }));
    assert.equal(lineMicros.reduce((a, b) => a + b, 0), rowMicros);
    assert.equal(await fullyInViewWidth(lines.first()), true);
    await saveScreenshot(page, 'dashboard-375-usage-lines');
  } finally {
    await close();
  }
});
