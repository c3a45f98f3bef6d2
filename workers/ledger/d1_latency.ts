import type { Env } from '../env';
import { shardD1, shardNames } from '../storage/databases';

// Bench only: a D1 that waits a fixed time before every round trip, as a ledger object deployed
// far from its database sees it (20-80 ms). Active only when BENCH_D1_LATENCY_MS is set, which
// only the benchmark's own server (bench/server.mjs) does; otherwise the bindings pass unchanged.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The statement's real D1 statement, for batch(): D1 accepts only its own. */
const realOf = new WeakMap<object, D1PreparedStatement>();

function delayedStatement(inner: D1PreparedStatement, ms: number): D1PreparedStatement {
  const wrapped = {
    bind: (...values: unknown[]) => delayedStatement(inner.bind(...values), ms),
    first: async (column?: string) => {
      await sleep(ms);
      return column === undefined ? inner.first() : inner.first(column);
    },
    run: async () => {
      await sleep(ms);
      return inner.run();
    },
    all: async () => {
      await sleep(ms);
      return inner.all();
    },
    raw: async (options?: { columnNames?: boolean }) => {
      await sleep(ms);
      return options?.columnNames ? inner.raw({ columnNames: true }) : inner.raw();
    },
  };
  realOf.set(wrapped, inner);
  return wrapped as unknown as D1PreparedStatement;
}

function delayedD1(db: D1Database, ms: number): D1Database {
  const wrapped = {
    prepare: (query: string) => delayedStatement(db.prepare(query), ms),
    batch: async (statements: D1PreparedStatement[]) => {
      await sleep(ms);
      return db.batch(statements.map((s) => realOf.get(s) ?? s));
    },
    exec: async (query: string) => {
      await sleep(ms);
      return db.exec(query);
    },
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  };
  return wrapped as unknown as D1Database;
}

/** The ledger object's bindings: D1 delayed by BENCH_D1_LATENCY_MS when (and only when) it is set. */
export function withInjectedD1Latency(env: Env): Env {
  const ms = Number(env.BENCH_D1_LATENCY_MS ?? 0);
  if (!Number.isFinite(ms) || ms <= 0) return env;
  const delayed: Record<string, D1Database> = { DB: delayedD1(env.DB, ms) };
  for (const name of shardNames(env)) delayed[name] = delayedD1(shardD1(env, name), ms);
  return { ...env, ...delayed };
}
