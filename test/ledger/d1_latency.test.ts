// The benchmark's injected D1 latency (workers/ledger/object/d1_latency.ts): off unless its var is set,
// and when set, every round trip (statement or batch) waits first and still returns D1's answer.
import { env } from 'cloudflare:workers';
import { drizzle } from 'drizzle-orm/d1';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { withInjectedD1Latency } from '../../workers/ledger/object/d1_latency';

describe('injected D1 latency (bench only)', () => {
  it('is off unless BENCH_D1_LATENCY_MS is set: the bindings pass unchanged', () => {
    // As deployed: without the tests' SIM_HOOKS binding either (with it, the simulator's faults wrap D1).
    const plain = { ...(env as unknown as Env), SIM_HOOKS: undefined };
    expect(plain.BENCH_D1_LATENCY_MS).toBeUndefined();
    expect(withInjectedD1Latency(plain)).toBe(plain);
    const zero = { ...plain, BENCH_D1_LATENCY_MS: '0' };
    expect(withInjectedD1Latency(zero)).toBe(zero);
  });

  it('delays each statement and each batch by the set time, answering as D1 does', async () => {
    const delayed = withInjectedD1Latency({ ...(env as unknown as Env), BENCH_D1_LATENCY_MS: '40' });
    expect(delayed.DB).not.toBe(env.DB);
    let start = Date.now();
    expect(await delayed.DB.prepare('SELECT ? + 1 AS n').bind(41).first('n')).toBe(42);
    expect(Date.now() - start).toBeGreaterThanOrEqual(39);

    const db = drizzle(delayed.DB);
    start = Date.now();
    const [a, b] = await db.batch([db.get<{ n: number }>(sql`SELECT 1 AS n`), db.all<{ n: number }>(sql`SELECT 2 AS n`)]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(39);
    expect(Date.now() - start).toBeLessThan(1_000);
    expect(a).toEqual({ n: 1 });
    expect(b).toEqual([{ n: 2 }]);
  });
});
