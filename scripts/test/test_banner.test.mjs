// `npm test` says first how long it takes and what it runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXPECTED_DURATION, testBanner } from '../test_banner.mjs';

test('npm test starts with the banner', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.match(pkg.scripts.test, /^node scripts\/test_banner\.mjs && /);
});

test('the banner gives the duration and counts what runs', () => {
  const banner = testBanner();
  assert.ok(banner.startsWith(`npm test: ${EXPECTED_DURATION}`), banner);
  const [, workerd, node, browser] = banner.match(/(\d+) test files inside workerd, (\d+) Node test files, (\d+) browser test files/).map(Number);
  assert.ok(workerd > 50 && node > 10 && browser > 2, banner);
});

test('the README and CONTRIBUTING give the same duration', () => {
  for (const file of ['README.md', 'CONTRIBUTING.md']) {
    assert.ok(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').includes(EXPECTED_DURATION), file);
  }
});
