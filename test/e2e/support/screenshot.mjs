// Screenshots for a human to look at after a run, in test-artifacts/ (ignored by git).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo_root.mjs';

export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

// The viewport by default: a full-page shot of a long page (the 7,000 px of /openapi.json) takes
// Chromium's software renderer some 20 s. Pass { fullPage: true } for a page that is worth it.
export async function saveScreenshot(page, name, { fullPage = false } = {}) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
