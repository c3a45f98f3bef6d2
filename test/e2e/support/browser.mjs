// Chromium for the e2e tests: Debian's package at /usr/bin/chromium driven by playwright-core,
// never a browser that Playwright downloads. Pages record what a test needs to assert that
// everything came from the local server: external requests and console errors.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM_PATH = '/usr/bin/chromium';

// No sandbox: CI containers run as root; the rest keeps Chromium itself off the network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`The e2e tests need Chromium at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` (as root, or with sudo).`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const NETWORK_PROTOCOLS = new Set(['http:', 'https:', 'ws:', 'wss:']);

// data:, blob: and about: URLs never leave the browser; only network URLs can be external.
export function isExternalUrl(url) {
  const { protocol, hostname } = new URL(url);
  return NETWORK_PROTOCOLS.has(protocol) && !LOCAL_HOSTS.has(hostname);
}

// A page in its own context, with relative URLs resolved against the server (`page.goto('/docs')`).
// External requests are recorded and then blocked, so that a page that would fetch a CDN script
// fails its test here instead of quietly depending on the network.
export async function newPage(browser, { baseUrl } = {}) {
  const context = await browser.newContext({ baseURL: baseUrl });
  const externalRequests = [];
  const consoleErrors = [];
  await context.route(isExternalUrlObject, (route) => route.abort('blockedbyclient'));
  const page = await context.newPage();
  page.on('request', (req) => {
    if (isExternalUrl(req.url())) externalRequests.push(`${req.method()} ${req.url()}`);
  });
  page.on('websocket', (ws) => {
    if (isExternalUrl(ws.url())) externalRequests.push(`WEBSOCKET ${ws.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
  return { page, context, externalRequests, consoleErrors, close: () => context.close() };
}

function isExternalUrlObject(url) {
  return isExternalUrl(url.href);
}
