// The API reference at /docs, as a reader sees it: Scalar served by the Worker (its bundle a static
// asset), rendering /openapi.json, with no request leaving the machine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newPage, saveScreenshot, startBurnrate } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startBurnrate({ name: 'docs' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('/docs renders every operation of /openapi.json from local files only', async () => {
  const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
  try {
    const document = (await server.publicApi('GET', '/openapi.json', null)).body;
    const response = await page.goto('/docs');
    assert.equal(response.status(), 200);
    const script = await page.request.get('/docs/scalar.js');
    assert.equal(script.status(), 200);
    assert.match(script.headers()['content-type'], /javascript/);

    // Scalar lists each operation by its summary (in the sidebar, collapsed or not); every one of
    // them must be on the page.
    const summaries = Object.values(document.paths).flatMap((ops) => Object.values(ops).map((op) => op.summary));
    assert.ok(summaries.length > 25, `only ${summaries.length} operations documented`);
    // Scalar's own rendering, not the server-rendered list shown until it is there (see below).
    await page.locator('.scalar-app').first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await page.getByTestId('docs-placeholder').isVisible(), false, 'the placeholder is gone once Scalar has rendered');
    const scalarText = () => page.evaluate(() => [...document.body.children].filter((el) => !el.matches('.docs-placeholder')).map((el) => el.textContent).join(' '));
    await page.waitForFunction((first) => [...document.body.children].some((el) => !el.matches('.docs-placeholder') && el.textContent.includes(first)), summaries[0], { timeout: 30_000 });
    await page.getByRole('heading', { name: /burnrate/i }).first().waitFor();
    await saveScreenshot(page, 'docs');
    // Scalar shows the first tag's operations and lists the other tags as closed groups: open each
    // group (as a reader would), then every operation must be on the page.
    for (let opened = 0; opened < 20; opened++) {
      const closed = page.getByRole('button', { name: /Open Group$/ });
      if ((await closed.count()) === 0) break;
      await closed.first().click();
    }
    const text = await scalarText();
    const missing = summaries.filter((s) => !text.includes(s));
    assert.deepEqual(missing, [], 'operations missing from the rendered reference');
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test('/docs is never blank: the operations are on screen at first paint, before Scalar has loaded', async () => {
  const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
  try {
    const startedMs = Date.now();
    await page.goto('/docs', { waitUntil: 'commit' });
    const placeholder = page.getByTestId('docs-placeholder');
    await placeholder.getByRole('heading', { name: 'Billing' }).waitFor({ state: 'visible' });
    const visibleAfterMs = Date.now() - startedMs;
    const firstPaintMs = await page.evaluate(
      () => new Promise((resolve) => new PerformanceObserver((list) => resolve(list.getEntries().find((e) => e.name === 'first-contentful-paint')?.startTime)).observe({ type: 'paint', buffered: true })),
    );
    assert.match(await placeholder.innerText(), /GET\s+\/v1\/billing\/credits/);
    await saveScreenshot(page, 'docs-first-paint');
    await page.locator('.scalar-app').first().waitFor({ state: 'attached', timeout: 30_000 });
    const scalarAfterMs = Date.now() - startedMs;
    await placeholder.waitFor({ state: 'hidden' });
    // Measured on a loaded 2-core machine: first paint ~0.3 s with the list, Scalar ~3.7 s.
    process.stdout.write(`/docs: first contentful paint ${Math.round(firstPaintMs)} ms, list visible ${visibleAfterMs} ms, Scalar rendered ${scalarAfterMs} ms\n`);
    assert.ok(firstPaintMs < scalarAfterMs, 'the first paint is the list, before Scalar');
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
