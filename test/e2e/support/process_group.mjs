// The e2e server runs in its own process group (`detached: true`): start.mjs, wrangler, workerd,
// esbuild all share its id, so the whole tree can be checked and, as a last resort, killed at once.

export function groupIsAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: the group still exists (not ours to signal, which should not happen) — count it alive.
    return error.code === 'EPERM';
  }
}

export function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

export async function waitForGroupExit(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (groupIsAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

// Servers still running when the test process ends (a crash, Ctrl-C, the runner's SIGTERM) are
// killed with it: they are in another process group, so no terminal or runner signal reaches them.
// `cleanUp` (synchronous: nothing async runs at exit) then removes what they leave behind.
const liveGroups = new Map();
let exitHooksInstalled = false;

function killLiveGroups() {
  for (const [pgid, cleanUp] of liveGroups) {
    signalGroup(pgid, 'SIGKILL');
    cleanUp();
  }
  liveGroups.clear();
}

export function killGroupOnExit(pgid, cleanUp = () => {}) {
  liveGroups.set(pgid, cleanUp);
  if (!exitHooksInstalled) {
    exitHooksInstalled = true;
    process.on('exit', killLiveGroups);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.once(signal, () => {
        killLiveGroups();
        process.kill(process.pid, signal); // once() has removed us: now the default action ends the process
      });
    }
  }
  return () => liveGroups.delete(pgid);
}
