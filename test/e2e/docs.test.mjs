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
    await page.waitForFunction((first) => document.body.textContent.includes(first), summaries[0], { timeout: 30_000 });
    await page.getByRole('heading', { name: /burnrate/i }).first().waitFor();
    await saveScreenshot(page, 'docs');
    // Scalar shows the first tag's operations and lists the other tags as closed groups: open each
    // group (as a reader would), then every operation must be on the page.
    for (let opened = 0; opened < 20; opened++) {
      const closed = page.getByRole('button', { name: /Open Group$/ });
      if ((await closed.count()) === 0) break;
      await closed.first().click();
    }
    const text = await page.evaluate(() => document.body.textContent);
    const missing = summaries.filter((s) => !text.includes(s));
    assert.deepEqual(missing, [], 'operations missing from the rendered reference');
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});
