#!/usr/bin/env node
// The first line of `npm test`: how long it will take and what it runs, so that nobody wonders
// whether it hangs. The duration is a measured run of the whole suite on a 2-core machine; the
// counts are read from the tree.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const EXPECTED_DURATION = 'about 17 minutes on 2 cores';

/** Files under `dir` (relative to the root) whose name ends with `suffix`, recursively. */
export function countFiles(dir, suffix) {
  let count = 0;
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    if (entry.isDirectory()) count += countFiles(join(dir, entry.name), suffix);
    else if (entry.name.endsWith(suffix)) count += 1;
  }
  return count;
}

export function testBanner() {
  const workerd = countFiles('test', '.test.ts') + countFiles('workers', '.test.ts');
  const node = countFiles('stripe-emulator/test', '.test.mjs') + countFiles('sdk/test', '.test.mjs') + countFiles('scripts/test', '.test.mjs');
  const browser = countFiles('test/e2e', '.test.mjs');
  return (
    `npm test: ${EXPECTED_DURATION} — typecheck, ${workerd} test files inside workerd, ${node} Node test files, ` +
    `${browser} browser test files (each starts its own server). One file: see CONTRIBUTING.md.`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(testBanner());
