// The documentation a newcomer reads stays true to the repository: every relative link in the
// README, CONTRIBUTING, docs/ and the SDK's README names a file (and heading) that exists, nothing
// links outside the repository's tree, and docs/api.md's route tables name every operation of the
// OpenAPI document (sdk/openapi.json), so that a route added later shows up in the map too.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  'sdk/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown without fenced code blocks and inline code, where `[x](y)` is not a link. */
function prose(markdown) {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Relative link targets (`path`, `path#anchor`, `#anchor`) of a markdown file. */
export function relativeLinks(markdown) {
  const targets = [];
  for (const match of prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    targets.push(target);
  }
  return targets;
}

/** GitHub's anchors of a markdown file's headings (lower case, punctuation dropped, spaces → "-"). */
export function headingAnchors(markdown) {
  const anchors = new Set();
  const seen = new Map();
  for (const match of markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = match[1]
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

test('the link checker finds links outside code and computes GitHub’s anchors', () => {
  const sample = '# How it works, in short\n## `npm run bench`: *why*\nSee [a](docs/a.md#x), [b](#top), [c](https://x.dev).\n```md\n[not](a link)\n```\nand `[nor](this)`.';
  assert.deepEqual(relativeLinks(sample), ['docs/a.md#x', '#top']);
  assert.deepEqual([...headingAnchors(sample)], ['how-it-works-in-short', 'npm-run-bench-why']);
});

for (const doc of DOCS) {
  test(`${doc}: every relative link resolves inside the repository`, () => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const broken = [];
    for (const target of relativeLinks(text)) {
      const [pathPart, anchor] = target.split('#');
      const file = pathPart ? resolve(ROOT, dirname(doc), decodeURIComponent(pathPart)) : join(ROOT, doc);
      if (relative(ROOT, file).startsWith('..')) {
        broken.push(`${target} (outside the repository)`);
        continue;
      }
      if (!existsSync(file)) {
        broken.push(`${target} (no such file)`);
        continue;
      }
      if (anchor && statSync(file).isFile() && file.endsWith('.md') && !headingAnchors(readFileSync(file, 'utf8')).has(anchor)) {
        broken.push(`${target} (no heading #${anchor} in ${relative(ROOT, file)})`);
      }
    }
    assert.deepEqual(broken, [], `${doc} has broken links`);
  });
}

test('docs/api.md lists every operation of the OpenAPI document', () => {
  const api = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const rows = new Set([...api.matchAll(/^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`([^`]+)`/gm)].map((m) => `${m[1]} ${m[2]}`));
  const doc = JSON.parse(readFileSync(join(ROOT, 'sdk/openapi.json'), 'utf8'));
  const missing = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (!item[method]) continue;
      const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
      if (!rows.has(route)) missing.push(route);
    }
  }
  assert.deepEqual(missing, [], 'add a row for each to the tables of docs/api.md');
});

test('docs/stripe.md lists every Stripe event type the webhook endpoint must send (HANDLED_EVENT_TYPES)', () => {
  const source = readFileSync(join(ROOT, 'workers/stripe/apply_event.ts'), 'utf8');
  const list = source.match(/HANDLED_EVENT_TYPES = \[([\s\S]*?)\]/);
  assert.ok(list, 'HANDLED_EVENT_TYPES in workers/stripe/apply_event.ts');
  const types = [...list[1].matchAll(/'([a-z_.]+)'/g)].map((m) => m[1]);
  assert.ok(types.length > 5, types.join());
  const stripeDoc = readFileSync(join(ROOT, 'docs/stripe.md'), 'utf8');
  const section = stripeDoc.slice(stripeDoc.indexOf('## With real Stripe'));
  assert.deepEqual(types.filter((type) => !section.includes(`\`${type}\``)), [], 'add them under "With real Stripe" in docs/stripe.md');
});
