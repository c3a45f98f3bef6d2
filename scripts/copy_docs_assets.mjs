#!/usr/bin/env node
// Copies Scalar's browser bundle (3.5 MB) to public/docs/scalar.js, where wrangler serves it as a
// static asset for the API reference at /docs. It is not imported by the Worker: inlined, it would
// more than double the Worker bundle. Runs from `postinstall`, so a fresh `npm install` prepares it;
// the copy is gitignored (its source of truth is the @scalar/api-reference version in package.json).
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = fileURLToPath(new URL('../node_modules/@scalar/api-reference/dist/browser/standalone.js', import.meta.url));
const target = fileURLToPath(new URL('../public/docs/scalar.js', import.meta.url));

if (!existsSync(source)) {
  // An install without devDependencies (e.g. --omit=dev) has no Scalar: /docs then shows only its
  // <noscript> fallback. Not an install failure.
  console.warn(`[copy_docs_assets] ${relative(root, source)} not found; /docs will not render until it is installed.`);
  process.exit(0);
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
console.log(`[copy_docs_assets] ${relative(root, target)} (${(statSync(target).size / 1e6).toFixed(1)} MB)`);
