// A one-time sign-in link in a real browser against the real local server: Chromium opens it,
// Continue signs the member in, and the link's token appears nowhere in the server's output (the
// request log wrangler prints for every request). Before, the token was the URL's path and every
// log line of the link's GET and POST held it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newPage, startBurnrate } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startBurnrate({ name: 'link-sign-in' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the link signs in from Chromium, and its token is in no request log line', async () => {
  const minted = await server.internal('POST', `/internal/v1/workspaces/${server.demo.workspaceId}/dashboard-links`, { memberId: server.demo.memberId });
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  const token = new URL(minted.body.url).hash.slice(1);
  assert.ok(token.length >= 40, minted.body.url);

  const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
  try {
    await page.goto(minted.body.url);
    // The script took the token into the form and out of the address bar.
    await page.waitForFunction(() => location.hash === '');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Credit balance' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }

  // wrangler logs each request as it is answered; give the last lines a moment to arrive.
  let output = '';
  for (let i = 0; i < 20 && !/POST \/dashboard\/link /.test(output); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    output = server.output() + server.wranglerLog();
  }
  assert.match(output, /GET \/dashboard\/link /, 'the request log is captured (the link page was logged)');
  assert.match(output, /POST \/dashboard\/link /, 'the request log is captured (the sign-in was logged)');
  assert.equal(output.includes(token), false, 'the token is in the server output');
});
