// `npm start` with a real STRIPE_SECRET_KEY refuses to start while a secret is unset or a published
// dev default: it names the variable to set and exits non-zero, before it runs anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnsafeSecret, unsafeSecretsForRealStripe } from '../../workers/lib/published_secrets.mjs';

const START = fileURLToPath(new URL('../start.mjs', import.meta.url));

function start(env) {
  const stateDir = mkdtempSync(join(tmpdir(), 'burnrate-start-'));
  const clean = { ...process.env };
  for (const name of ['STRIPE_SECRET_KEY', 'INTERNAL_API_TOKEN', 'STRIPE_WEBHOOK_SECRET', 'PLATFORM_WEBHOOK_URL', 'PLATFORM_WEBHOOK_SECRET', 'DASHBOARD_SESSION_SECRET']) delete clean[name];
  // PATH without wrangler: if the check let the start through, spawning wrangler fails at once
  // instead of starting a server (the test then sees the wrong message).
  const result = spawnSync(process.execPath, [START], {
    env: { ...clean, PATH: '/nonexistent', PORT: '1', BURNRATE_STATE_DIR: join(stateDir, 'state'), ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  rmSync(stateDir, { recursive: true, force: true });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

const REAL = { STRIPE_SECRET_KEY: 'sk_test_51RealLookingKey' };
const OWN = { INTERNAL_API_TOKEN: 'k8Jq2-own-internal-token-9fZ', STRIPE_WEBHOOK_SECRET: 'whsec_own_9f8e7d6c' };

test('real Stripe key and no secrets: names INTERNAL_API_TOKEN and STRIPE_WEBHOOK_SECRET, exits 1', () => {
  const { code, out } = start(REAL);
  assert.equal(code, 1);
  assert.match(out, /set INTERNAL_API_TOKEN/);
  assert.match(out, /set STRIPE_WEBHOOK_SECRET/);
  assert.match(out, /refusing to start/);
});

test('real Stripe key with the published dev defaults: refused the same way', () => {
  const { code, out } = start({ ...REAL, INTERNAL_API_TOKEN: 'dev-internal-token', STRIPE_WEBHOOK_SECRET: 'whsec_dev_burnrate_local' });
  assert.equal(code, 1);
  assert.match(out, /set INTERNAL_API_TOKEN/);
  assert.match(out, /set STRIPE_WEBHOOK_SECRET/);
});

test('real Stripe key, own secrets, but a platform webhook URL with the published signing secret: names PLATFORM_WEBHOOK_SECRET only', () => {
  const { code, out } = start({ ...REAL, ...OWN, PLATFORM_WEBHOOK_URL: 'https://platform.example/hooks', PLATFORM_WEBHOOK_SECRET: 'dev-platform-webhook-secret' });
  assert.equal(code, 1);
  assert.match(out, /set PLATFORM_WEBHOOK_SECRET/);
  assert.doesNotMatch(out, /set INTERNAL_API_TOKEN|set STRIPE_WEBHOOK_SECRET/);
});

test('real Stripe key with secrets of its own: the check lets the start go on', () => {
  const { out } = start({ ...REAL, ...OWN });
  assert.doesNotMatch(out, /refusing to start/);
  // It went on to run wrangler (absent from this PATH), so it got past the check.
  assert.match(out, /could not run wrangler|migrations/);
});

test('the policy: unset, empty and published values are unsafe; only with a real Stripe key is anything required', () => {
  for (const value of [undefined, '', 'dev-internal-token', 'whsec_dev_burnrate_local', 'dev-platform-webhook-secret', 'test-internal-token']) assert.equal(isUnsafeSecret(value), true, String(value));
  assert.equal(isUnsafeSecret('k8Jq2-own'), false);
  assert.deepEqual(unsafeSecretsForRealStripe({}), []);
  assert.deepEqual(unsafeSecretsForRealStripe({ STRIPE_SECRET_KEY: 'sk_live_x', ...OWN }), []);
  assert.deepEqual(unsafeSecretsForRealStripe({ STRIPE_SECRET_KEY: 'sk_live_x', ...OWN, DASHBOARD_SESSION_SECRET: 'dev-internal-token' }), ['DASHBOARD_SESSION_SECRET']);
});
