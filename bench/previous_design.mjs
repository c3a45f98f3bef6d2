// The previous design, measured in the same run: a server built from the last commit where every
// usage event was written to the shared D1 (before events moved into the workspaces' ledger
// objects), so that "how much faster" is a ratio measured on the same machine at the same moment,
// not a figure remembered from another day. Needs this clone's git history; skipped without it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Last commit with usage events in D1 (session 2's final commit; the issue measured it at 6,300-7,400 events/s). */
export const PREVIOUS_DESIGN_REF = process.env.BENCH_PREVIOUS_REF ?? '06abdfc55844e4a81aa22270946497d51862ba34';

const git = (...args) => spawnSync('git', args, { encoding: 'utf8' });

/** Starts the previous design's server on `port`: { baseUrl, stop() }, or { skipped: why }. */
export async function startPreviousDesign(port) {
  if (process.env.BENCH_PREVIOUS === 'off') return { skipped: 'BENCH_PREVIOUS=off' };
  if (git('cat-file', '-e', `${PREVIOUS_DESIGN_REF}^{commit}`).status !== 0) return { skipped: `commit ${PREVIOUS_DESIGN_REF.slice(0, 7)} is not in this clone` };
  const repo = resolve('.');
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-previous-'));
  const added = git('worktree', 'add', '--detach', '--force', dir, PREVIOUS_DESIGN_REF);
  if (added.status !== 0) return { skipped: `git worktree add failed: ${added.stderr.trim()}` };
  const cleanup = () => {
    git('worktree', 'remove', '--force', dir);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Same dependencies (nothing changed in package.json that the server uses); the API reference's
    // bundle is an ignored file the [assets] directory expects.
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    mkdirSync(join(dir, 'public/docs'), { recursive: true });
    if (existsSync(join(repo, 'public/docs/scalar.js'))) copyFileSync(join(repo, 'public/docs/scalar.js'), join(dir, 'public/docs/scalar.js'));
    // The old commit's own bench server (its migrations, its wrangler.toml): it spawns wrangler in
    // the current directory, so start it from the worktree.
    const { startServer } = await import(join(dir, 'bench/server.mjs'));
    const before = process.cwd();
    process.chdir(dir);
    let server;
    try {
      server = await startServer(port);
    } finally {
      process.chdir(before);
    }
    return {
      baseUrl: server.baseUrl,
      ref: PREVIOUS_DESIGN_REF,
      async stop() {
        await server.stop();
        cleanup();
      },
    };
  } catch (error) {
    cleanup();
    return { skipped: `previous design did not start: ${String(error).split('\n')[0]}` };
  }
}
