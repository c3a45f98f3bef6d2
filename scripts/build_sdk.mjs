#!/usr/bin/env node
// Builds the SDK (sdk/src → sdk/dist: ES modules and .d.ts) with the project's own TypeScript, so that
// `npm install /path/to/burnrate/sdk` (or `npm pack ./sdk`) gives a working package after the
// checkout's `npm install`. Offline: nothing is fetched. Runs from `postinstall` and from the SDK's
// `prepack`; `npm run sdk:build` does the same.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

if (!existsSync(tsc)) {
  // An install without devDependencies (--omit=dev) has no TypeScript: the SDK is then not built.
  console.warn('[build_sdk] typescript is not installed (devDependencies omitted?); sdk/dist not built.');
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-p', 'sdk'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('[build_sdk] the SDK did not compile; see the errors above.');
  process.exit(result.status ?? 1);
}
console.log('[build_sdk] sdk/dist built (npm install /path/to/burnrate/sdk from your own project)');
