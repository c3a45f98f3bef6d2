// The SDK's types are generated from the Worker's OpenAPI document. This test keeps sdk/openapi.json
// equal to what the Worker serves: `vitest -u` (npm run sdk:generate) rewrites it, a normal run fails
// when a schema changed and the SDK was not regenerated.
import { exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';

it('sdk/openapi.json is the document the Worker serves', async () => {
  const res = await exports.default.fetch(new Request('http://burnrate.test/openapi.json'));
  expect(res.status).toBe(200);
  const doc = await res.json();
  await expect(JSON.stringify(doc, null, 2) + '\n').toMatchFileSnapshot('../../sdk/openapi.json');
});
