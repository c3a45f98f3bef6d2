// Bodies over 1 MB against the real local server (`npm start`: wrangler dev, workerd): every size
// a client may send gets the contract's 413 payload_too_large with its error body, read by Node's
// fetch (what the SDK uses), with and without Content-Length, and by the SDK itself. Before the
// service read and dropped refused bodies, 11 MB and 50 MB got ECONNRESET/EPIPE or wrangler's 500
// "Network connection lost" instead (workers/http/request_body_limit.ts).
//
// Contract: /work/shared/CONTRACT.md, "Units and shapes" (413 payload_too_large).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startBurnrate } from './harness.mjs';
import { REPO_ROOT } from './support/repo_root.mjs';

const MB = 1_048_576;
let server;
let sdk;
let tempDir;
/** A workspace of this file's own, balance 0: any adjustment recorded would show in it. */
let workspaceId;

/** The SDK as published (tsc of sdk/src), into a temporary directory. */
function buildSdk(outDir) {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', join(REPO_ROOT, 'sdk'), '--outDir', outDir, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'];
  const built = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(built.status, 0, `tsc -p sdk failed:\n${built.stdout}${built.stderr}`);
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
}

before(async () => {
  tempDir = mkdtempSync(join(tmpdir(), 'burnrate-body-limit-'));
  buildSdk(join(tempDir, 'sdk'));
  sdk = await import(pathToFileURL(join(tempDir, 'sdk', 'index.js')).href);
  server = await startBurnrate({ name: 'body-limit' });
  const created = await server.internal('POST', '/internal/v1/workspaces', { name: 'Body limit', admin: { name: 'Ada', email: 'ada@body-limit.example' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  workspaceId = created.body.workspace.id;
});

after(async () => {
  await server?.stop();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

const balance = async () => (await server.internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=0`)).body.balanceMicros;

/** A body of `bytes` spaces, in 64 KB chunks, with no Content-Length (sent chunked). */
function chunkedBody(bytes) {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const piece = chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent));
      sent += piece.byteLength;
      controller.enqueue(piece);
    },
  });
}

/** An adjustment for the demo workspace, padded with trailing spaces (valid JSON) to `bytes`. */
function paddedAdjustment(bytes) {
  const json = JSON.stringify({ id: `big-${bytes}-${Date.now()}`, workspaceId, amountMicros: 1_000, description: 'Too big' });
  const body = new Uint8Array(bytes).fill(0x20);
  body.set(new TextEncoder().encode(json));
  return body;
}

function assert413(status, body, what) {
  assert.equal(status, 413, `${what}: ${JSON.stringify(body).slice(0, 200)}`);
  assert.equal(body.error?.code, 'payload_too_large', what);
  assert.match(body.error.message, /^body: .*1 MB/, what);
  assert.match(body.error.requestId, /^req_/, what);
}

for (const sizeMb of [2, 11, 50]) {
  for (const framing of ['content-length', 'chunked']) {
    test(`Node's fetch: a ${sizeMb} MB body (${framing}) gets the 413 with its error body`, async () => {
      const bytes = sizeMb * MB;
      const res = await fetch(`${server.baseUrl}/internal/v1/adjustments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.internalToken}`, 'content-type': 'application/json' },
        body: framing === 'chunked' ? chunkedBody(bytes) : paddedAdjustment(bytes),
        duplex: 'half',
      });
      assert413(res.status, await res.json(), `${sizeMb} MB ${framing}`);
      assert.equal(await balance(), 0, 'nothing recorded');
    });
  }
}

test('the SDK: 11 MB and 50 MB adjustments reject with BurnrateError payload_too_large (413, the service request id), sent once', async () => {
  let sent = 0;
  const countingFetch = (input, init) => {
    sent++;
    return fetch(input, init);
  };
  const client = new sdk.BurnrateInternal({ baseUrl: server.baseUrl, token: server.internalToken, fetch: countingFetch });
  for (const sizeMb of [11, 50]) {
    sent = 0;
    const error = await client.adjustments.create({ workspaceId, amountMicros: 1_000, description: 'x'.repeat(sizeMb * MB) }).then(
      () => null,
      (e) => e,
    );
    assert.ok(error instanceof sdk.BurnrateError, `${sizeMb} MB: ${error}`);
    assert.deepEqual({ status: error.status, code: error.code }, { status: 413, code: 'payload_too_large' }, `${sizeMb} MB: ${error.message}`);
    assert.match(error.requestId ?? '', /^req_/, 'the answer came from the service');
    assert.equal(sent, 1, 'a 413 is not retried');
  }
  assert.equal(await balance(), 0);
});

test('curl (which sends Expect: 100-continue) gets the 413 with its error body, every time', { skip: spawnSync('curl', ['--version']).status !== 0 && 'no curl' }, () => {
  const file = join(tempDir, 'eleven-mb.json');
  writeFileSync(file, paddedAdjustment(11 * MB));
  // Several times: refusing such a body unread answered curl with a reset now and then.
  for (let i = 0; i < 5; i++) {
    const out = spawnSync('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', '-H', `authorization: Bearer ${server.internalToken}`, '-H', 'content-type: application/json', '--data-binary', `@${file}`, `${server.baseUrl}/internal/v1/adjustments`], { encoding: 'utf8' });
    assert.equal(out.status, 0, `attempt ${i}: ${out.stderr}`);
    const [body, status] = out.stdout.split('\n');
    assert413(Number(status), JSON.parse(body), `curl 11 MB, attempt ${i}`);
  }
});
