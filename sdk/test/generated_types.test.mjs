// The SDK's types are generated (Worker zod schemas → /openapi.json → sdk/openapi.json →
// openapi-typescript → src/generated/api.ts). test/sdk/openapi_document.test.ts keeps
// sdk/openapi.json equal to what the Worker serves; this keeps the generated types equal to what
// openapi-typescript makes of that document now. Both are fixed by `npm run sdk:generate`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const sdkDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(dirname(createRequire(import.meta.url).resolve('openapi-typescript/package.json')), 'bin', 'cli.js');

test('src/generated/api.ts is what openapi-typescript generates from openapi.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-sdk-'));
  try {
    const fresh = join(dir, 'api.ts');
    execFileSync(process.execPath, [cli, join(sdkDir, 'openapi.json'), '-o', fresh], { stdio: 'pipe' });
    const committed = readFileSync(join(sdkDir, 'src', 'generated', 'api.ts'), 'utf8');
    assert.ok(committed === readFileSync(fresh, 'utf8'), 'sdk/src/generated/api.ts is stale: run `npm run sdk:generate`');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
