import type { Env } from '../../env';
import { enableSimHooks, simControl } from '../../lib/sim_hooks';
import { shardD1, shardNames } from '../../storage/databases';

// Bench only: a D1 that waits a fixed time before every round trip, as a ledger object deployed
// far from its database sees it (20-80 ms). Active only when BENCH_D1_LATENCY_MS is set, which
// only the benchmark's own server (bench/server.mjs) does; otherwise the bindings pass unchanged.
// Tests only: the seeded simulator's D1 faults (errors and latency, lib/sim_hooks.ts), through the
// same wrapper, active only with the test-only binding SIM_HOOKS.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The statement's real D1 statement, for batch(): D1 accepts only its own. */
const realOf = new WeakMap<object, D1PreparedStatement>();

function delayedStatement(inner: D1PreparedStatement, before: () => Promise<void>): D1PreparedStatement {
  const wrapped = {
    bind: (...values: unknown[]) => delayedStatement(inner.bind(...values), before),
    first: async (column?: string) => {
      await before();
      return column === undefined ? inner.first() : inner.first(column);
    },
    run: async () => {
      await before();
      return inner.run();
    },
    all: async () => {
      await before();
      return inner.all();
    },
    raw: async (options?: { columnNames?: boolean }) => {
      await before();
      return options?.columnNames ? inner.raw({ columnNames: true }) : inner.raw();
    },
  };
  realOf.set(wrapped, inner);
  return wrapped as unknown as D1PreparedStatement;
}

function delayedD1(db: D1Database, before: () => Promise<void>): D1Database {
  const wrapped = {
    prepare: (query: string) => delayedStatement(db.prepare(query), before),
    batch: async (statements: D1PreparedStatement[]) => {
      await before();
      return db.batch(statements.map((s) => realOf.get(s) ?? s));
    },
    exec: async (query: string) => {
      await before();
      return db.exec(query);
    },
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  };
  return wrapped as unknown as D1Database;
}

/** The ledger object's bindings: D1 delayed by BENCH_D1_LATENCY_MS when (and only when) it is set. */
export function withInjectedD1Latency(env: Env, ctx?: DurableObjectState): Env {
  const ms = Number(env.BENCH_D1_LATENCY_MS ?? 0);
  if (!Number.isFinite(ms) || ms <= 0) return withSimulatedD1Faults(env, ctx);
  return wrapEveryD1(env, () => sleep(ms));
}

/**
 * Tests only: with SIM_HOOKS = 'enabled' (vitest.config.ts), every D1 round trip of the ledger
 * object first asks the simulator's control (lib/sim_hooks.ts) whether to wait, to fail, or to be
 * evicted right there (the object reset at that await: what earlier round trips wrote stays, its
 * memory and whatever it was about to do are gone).
 */
function withSimulatedD1Faults(env: Env, ctx?: DurableObjectState): Env {
  enableSimHooks(env);
  if (env.SIM_HOOKS !== 'enabled') return env;
  return wrapEveryD1(env, async () => {
    const d1 = simControl()?.d1;
    if (!d1) return;
    if (d1.evictAt > 0 && --d1.evictAt === 0 && ctx) ctx.abort('evicted by the simulator at a D1 round trip');
    if (d1.delayMs > 0) await sleep(d1.delayMs);
    if (d1.failNext > 0) {
      d1.failNext -= 1;
      throw new Error('D1_ERROR: injected by the simulator: Network connection lost.');
    }
  });
}

function wrapEveryD1(env: Env, before: () => Promise<void>): Env {
  const wrapped: Record<string, D1Database> = { DB: delayedD1(env.DB, before) };
  for (const name of shardNames(env)) wrapped[name] = delayedD1(shardD1(env, name), before);
  return { ...env, ...wrapped };
}
