// The simulator's switches (workers/lib/sim_hooks.ts) cannot be on in a deployment: they need the
// SIM_HOOKS binding, which wrangler.toml (what `npm run deploy` ships) never sets, and without it a
// control object the simulator would leave in the isolate is not read.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import wranglerToml from '../../wrangler.toml?raw';
import { enableSimHooks, simBroken, simControl } from '../../workers/lib/sim_hooks';

describe('sim hooks', () => {
  it('wrangler.toml does not set SIM_HOOKS; only the test config does', () => {
    expect(wranglerToml).toContain('[vars]');
    expect(wranglerToml).not.toMatch(/SIM_HOOKS/);
    expect(env.SIM_HOOKS).toBe('enabled');
  });

  it('a control object is read only once a binding enabled the hooks', async () => {
    // A fresh copy of the module, as a deployment starts: nothing has enabled it.
    const fresh = await import(`../../workers/lib/sim_hooks?fresh=${Date.now()}`);
    (globalThis as { __burnrateSim?: unknown }).__burnrateSim = { break: 'balance_drift', d1: { failNext: 1, delayMs: 0 } };
    try {
      fresh.enableSimHooks({});
      expect(fresh.simControl()).toBeNull();
      expect(fresh.simBroken('balance_drift')).toBe(false);
      // The test runtime's binding enables them.
      enableSimHooks(env);
      expect(simControl()).not.toBeNull();
      expect(simBroken('balance_drift')).toBe(true);
    } finally {
      delete (globalThis as { __burnrateSim?: unknown }).__burnrateSim;
    }
  });
});
