// `npm install` is clean on every Node version package.json's `engines` allows: no locked
// dependency (outside the optional, platform-specific ones npm skips) asks for a newer Node, which
// npm would report as EBADENGINE. And the README and .nvmrc say the same version.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json'));
const lock = JSON.parse(read('package-lock.json'));
const nodeRange = pkg.engines?.node;

test('package.json names the Node versions it supports', () => {
  assert.ok(nodeRange && semver.validRange(nodeRange), `engines.node: ${nodeRange}`);
});

test('every locked dependency accepts every Node version package.json allows (no EBADENGINE)', () => {
  const tooNew = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.optional || !entry.engines?.node) continue;
    if (!semver.subset(nodeRange, entry.engines.node)) tooNew.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${entry.engines.node}`);
  }
  assert.deepEqual(tooNew, [], `raise engines.node (${nodeRange}) and the README, or lower these`);
});

test('the README and .nvmrc agree with engines.node', () => {
  const minimum = semver.minVersion(nodeRange);
  const shown = `${minimum.major}.${minimum.minor}`.replace('.', '\\.');
  // What installs cleanly is engines' range; Node 20 also works (the `node` devDependency runs every
  // script on Node 22), with npm's EBADENGINE warnings: both docs say both.
  assert.ok(pkg.devDependencies?.node && semver.satisfies(semver.minVersion(pkg.devDependencies.node), nodeRange), 'the node devDependency is a Node engines allows');
  const readme = read('README.md');
  assert.match(readme, /Node\.js 20 or newer/);
  assert.match(readme, new RegExp(`on Node ${shown}, [^.]*installs cleanly`));
  const contributing = read('CONTRIBUTING.md');
  assert.match(contributing, new RegExp(`Node\\.js ${shown} or newer installs cleanly`));
  assert.match(contributing, /Node\.js 20 works too/);
  assert.ok(semver.satisfies(`${read('.nvmrc').trim()}.99.0`, nodeRange), `.nvmrc ${read('.nvmrc').trim()}`);
});
