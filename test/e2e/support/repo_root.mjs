import { fileURLToPath } from 'node:url';

// The repository root: start.mjs runs from here, and artifacts go under it.
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
