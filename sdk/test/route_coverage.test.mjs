// Every public billing and internal route of the OpenAPI document has an SDK method: a route added
// to the Worker fails here until the SDK calls it (or it is listed below with the reason).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const sdkDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const COVERED_PREFIXES = ['/v1/billing/', '/internal/v1/'];
/** Routes the SDK leaves out on purpose: "METHOD /path" → why. */
const NOT_IN_SDK = {};

const escape = (s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

test('every /v1/billing and /internal/v1 operation is called by the SDK', () => {
  const doc = JSON.parse(readFileSync(join(sdkDir, 'openapi.json'), 'utf8'));
  const source = readdirSync(join(sdkDir, 'src'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(sdkDir, 'src', f), 'utf8'))
    .join('\n');
  const missing = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!COVERED_PREFIXES.some((p) => path.startsWith(p))) continue;
    for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
      if (!item[method]) continue;
      const route = `${method.toUpperCase()} ${path}`;
      if (route in NOT_IN_SDK) continue;
      // `/internal/v1/workspaces/{ws}/members` is written `/internal/v1/workspaces/${segment(workspaceId)}/members`.
      const pathPattern = escape(path).replace(/\\?\{[^}]+\\?\}/g, '\\$\\{[^}]+\\}');
      const call = new RegExp(`method: '${method.toUpperCase()}',\\s*path: ['\`]${pathPattern}['\`]`);
      if (!call.test(source)) missing.push(route);
    }
  }
  assert.deepEqual(missing, [], `routes without an SDK method: ${missing.join(', ')}`);
});

test('the SDK has no runtime dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, '@burnrate/sdk');
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
});
