// The smoke test of the e2e harness: the server `npm start` runs answers the demo key, and
// Chromium loads its pages from it alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newPage, saveScreenshot, startBurnrate } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startBurnrate({ name: 'smoke' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the seeded demo key reads its balance from the public API', async (t) => {
  t.diagnostic(`burnrate started in ${(server.startupMs / 1000).toFixed(1)} s`);
  const { status, body } = await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey);
  assert.equal(status, 200, JSON.stringify(body));
  for (const field of ['balanceMicros', 'accumulatingMicros', 'burnRateMicrosPerHour', 'hoursRemaining', 'updatedAt']) {
    assert.ok(field in body, `${field} missing from ${JSON.stringify(body)}`);
  }
  // start.mjs grants 25 credits and charges 0.12 of them (a one-off export), then meters usage on top.
  assert.ok(body.balanceMicros > 0 && body.balanceMicros < 25_000_000 - 120_000, `balance ${body.balanceMicros}`);
});

test('the public API refuses a request without a key', async () => {
  const { status } = await server.publicApi('GET', '/v1/billing/credits', null);
  assert.equal(status, 401);
});

test('the internal API answers the e2e token for the demo workspace', async () => {
  const { status, body } = await server.internal('GET', `/internal/v1/workspaces/${server.demo.workspaceId}/credit-check?amountMicros=1000000`);
  assert.equal(status, 200, JSON.stringify(body));
});

test('Chromium loads /openapi.json from the local server and nothing else', async () => {
  const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
  try {
    const response = await page.goto('/openapi.json');
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /application\/json/);
    const description = await response.json();
    assert.match(description.openapi, /^3\./);
    assert.ok(description.paths['/v1/billing/credits'], 'the credits route is described');
    assert.match(await page.locator('body').innerText(), /"\/v1\/billing\/credits"/);
    await saveScreenshot(page, 'smoke-openapi-json');
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test('Chromium loads /healthz from the local server and nothing else', async () => {
  const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
  try {
    const response = await page.goto('/healthz');
    assert.equal(response.status(), 200);
    assert.deepEqual(JSON.parse(await page.locator('body').innerText()), { ok: true });
    await saveScreenshot(page, 'smoke-healthz');
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

// The two tests above pass only if nothing external was requested; this one shows that the
// recorder would have seen it (and that the request was blocked, not sent).
test('a page that reaches for another host is recorded and blocked', async () => {
  const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
  try {
    await page.goto('/healthz');
    const outcome = await page.evaluate(() =>
      fetch('https://cdn.example.com/lib.js').then(() => 'fetched', () => 'blocked'),
    );
    assert.equal(outcome, 'blocked');
    assert.deepEqual(externalRequests, ['GET https://cdn.example.com/lib.js']);
    assert.ok(consoleErrors.length > 0, 'the blocked fetch shows as a console error');
  } finally {
    await close();
  }
});
