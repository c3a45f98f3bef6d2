// The end-to-end harness: a real burnrate server (what `npm start` runs, with fresh state and
// free ports) and Debian's Chromium. One server per test file; test files run one at a time.
//
//   import { startBurnrate, launchBrowser, newPage, saveScreenshot } from './harness.mjs';
//   const server = await startBurnrate({ name: 'dashboard' });
//   //   server.baseUrl, server.emulatorUrl, server.internalToken, server.demo.{workspaceId, memberId, apiKey}
//   //   await server.internal('POST', '/internal/v1/adjustments', {...})        → { status, headers, body }
//   //   await server.publicApi('GET', '/v1/billing/credits', server.demo.apiKey) → { status, headers, body }
//   const browser = await launchBrowser();
//   const { page, externalRequests, consoleErrors, close } = await newPage(browser, { baseUrl: server.baseUrl });
//   await page.goto('/healthz'); await saveScreenshot(page, 'dashboard-home'); // the viewport; { fullPage: true } for all
//   // finally: await browser.close(); await server.stop();
//
// E2E_VERBOSE=1 streams start.mjs's output (wrangler's goes to logs/start.<port>.log beside the state
// directory, whose tail a failed start shows); E2E_KEEP_STATE=1 keeps that temp directory.
export { startBurnrate, E2E_INTERNAL_TOKEN } from './support/burnrate_server.mjs';
export { launchBrowser, newPage, isExternalUrl } from './support/browser.mjs';
export { saveScreenshot, ARTIFACTS_DIR } from './support/screenshot.mjs';
