// A new user's first hour on the dashboard, on a phone (375 px) and a laptop (1280 px): sign in,
// read the balance and the burn rate split into what runs now and recent usage, see what is
// running, add credits through Checkout, watch the top-up in the history go from pending (neutral,
// not in the balance, cancellable) to completed, and download the CSV. Nothing of the page may
// stick out sideways at any step. Screenshots: test-artifacts/first-hour-<width>-<step>.png.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { launchBrowser, newPage, saveScreenshot, startBurnrate } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startBurnrate({ name: 'first-hour' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Visible elements of <main> outside the viewport sideways, and how far the page scrolls sideways. */
const overflow = (page) =>
  page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('main *')) {
      const rect = el.getBoundingClientRect();
      if (rect.width <= 1 || rect.height <= 1 || el.closest('.visually-hidden')) continue;
      if (rect.left < -0.5 || rect.right > window.innerWidth + 0.5) out.push(`${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} ${Math.round(rect.left)}..${Math.round(rect.right)}`);
    }
    return { out, pageOverflow: document.documentElement.scrollWidth - window.innerWidth };
  });

async function assertFits(page, step) {
  const { out, pageOverflow } = await overflow(page);
  assert.deepEqual(out, [], `${step}: elements off screen sideways`);
  assert.ok(pageOverflow <= 0, `${step}: the page scrolls sideways by ${pageOverflow}px`);
}

/** The smallest chart label as drawn, in CSS pixels (SVG text scales with its chart). */
const smallestChartLabelPx = (page) =>
  page.evaluate(() =>
    Math.min(
      ...[...document.querySelectorAll('.chart svg text')].map((t) => {
        const svg = t.ownerSVGElement;
        return parseFloat(getComputedStyle(t).fontSize) * (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width);
      }),
    ),
  );

for (const [width, height] of [
  [375, 812],
  [1280, 900],
]) {
  test(`the first hour at ${width} px`, async () => {
    const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
    const shot = (step) => saveScreenshot(page, `first-hour-${width}-${step}`, { fullPage: step === 'signed-in' });
    try {
      await page.setViewportSize({ width, height });
      // Sign in.
      await page.goto('/dashboard');
      await page.getByLabel('API key').fill(server.demo.apiKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Credit balance' }).waitFor();
      await page.waitForLoadState('load');

      // The balance, and the burn rate in its two parts, each saying what it is.
      assert.match(await page.getByTestId('balance').innerText(), /^\$\d[\d,]*\.\d{2}$/);
      const running = page.getByTestId('burn-running');
      const recent = page.getByTestId('burn-recent');
      assert.match(await running.innerText(), /Running now[\s\S]*cost this every hour until they are stopped/);
      assert.match(await recent.innerText(), /Recent usage[\s\S]*Model tokens, tool runs and charges of the last hour/);
      // What runs now: the demo's instance and volume, each with its rate.
      const items = page.getByTestId('running-item');
      assert.deepEqual((await items.evaluateAll((els) => els.map((el) => el.dataset.resourceId))).sort(), ['res_demo_sandbox', 'res_demo_volume']);
      for (const text of await items.allInnerTexts()) assert.match(text, /\$\d+\.\d{2,4}\/hour/);
      const runningMicros = await page.getByTestId('running-rate').getAttribute('data-micros-per-hour');
      const itemMicros = await items.evaluateAll((els) => els.reduce((sum, el) => sum + Number(el.dataset.microsPerHour), 0));
      assert.equal(Number(runningMicros), itemMicros, 'the running rate is the sum of what runs');
      // By member adds up to the workspace, the demo's one-off charge being unattributed.
      const memberTotals = await page.locator('#usage tbody tr[data-total-micros]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.totalMicros)));
      const workspace = Number(await page.getByTestId('member-total-row').getAttribute('data-total-micros'));
      assert.equal(memberTotals.reduce((a, b) => a + b, 0), workspace);
      assert.equal(Number(await page.getByTestId('usage-total').getAttribute('data-total-micros')), workspace);
      assert.ok((await smallestChartLabelPx(page)) >= 11, 'chart labels are at least 11 px');
      // On a phone, Cost and Total are on screen, not cut off.
      for (const cell of await page.locator('#usage .cell-total').all()) {
        const box = await cell.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= width, 'a Cost/Total cell is on screen');
      }
      await assertFits(page, 'signed in');
      await shot('signed-in');

      // Add credits through Checkout; back on the dashboard before paying, the top-up is pending.
      await page.getByLabel('Amount (USD)', { exact: true }).fill('50');
      await page.getByLabel(/A new card/).check();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL(/\/c\/pay\/cs_/);
      const checkoutUrl = page.url();
      const balanceBefore = (await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey)).body.balanceMicros;
      await page.goto('/dashboard#history');
      const pendingRow = page.locator('tr[data-type="deposit"][data-status="pending"]').first();
      await pendingRow.waitFor();
      const transactionId = await pendingRow.getAttribute('data-transaction-id');
      const pendingAmount = pendingRow.getByTestId('amount');
      assert.match(await pendingAmount.innerText(), /\+\$50\.00\s*not in balance yet/);
      assert.match(await pendingAmount.getAttribute('class'), /amount-pending/);
      assert.doesNotMatch(await pendingAmount.getAttribute('class'), /amount-in/);
      // Neutral, not the green of credited money.
      const colour = await pendingAmount.evaluate((el) => getComputedStyle(el).color);
      const green = await page.evaluate(() => {
        const probe = document.createElement('span');
        probe.className = 'amount-in';
        document.body.append(probe);
        const c = getComputedStyle(probe).color;
        probe.remove();
        return c;
      });
      assert.notEqual(colour, green);
      assert.equal(await pendingRow.getByRole('button', { name: /Cancel/ }).count(), 1, 'the pending row can be cancelled');
      assert.match(await page.getByTestId('pending-note').innerText(), /\$50\.00 pending/);
      const balanceNow = (await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey)).body.balanceMicros;
      assert.ok(balanceNow <= balanceBefore, 'the pending top-up is not in the balance');
      await pendingRow.scrollIntoViewIfNeeded();
      await assertFits(page, 'pending top-up');
      await shot('pending');

      // Pay: the same row turns Completed (green), and the balance rises.
      await page.goto(checkoutUrl);
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByRole('button', { name: /^Pay/ }).click();
      await page.waitForURL(/\/dashboard\?checkout=success/);
      const row = page.locator(`tr[data-transaction-id="${transactionId}"]`);
      await row.getByText('Completed').waitFor({ timeout: 20_000 });
      assert.match(await row.getByTestId('amount').getAttribute('class'), /amount-in/);
      assert.equal(await row.getByRole('button', { name: /Cancel/ }).count(), 0);
      await row.scrollIntoViewIfNeeded();
      await assertFits(page, 'completed top-up');
      await shot('completed');

      // Download the CSV: it holds the completed deposit.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
      const csv = await readFile(await download.path(), 'utf8');
      const line = csv.split('\r\n').find((l) => l.startsWith(`${transactionId},`));
      assert.ok(line, 'the deposit is in the CSV');
      assert.match(line, /,deposit,completed,.*,50\.000000,/);
      assert.deepEqual(externalRequests, []);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await close();
    }
  });
}
