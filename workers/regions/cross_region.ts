import type { Env } from '../env';
import { regionsSimulated } from './caller_region';
import type { Region } from './regions';

// The one place where code of one region calls an object of another. Deployed, the network is
// the latency; simulated (one process for every region), SIMULATED_INTER_REGION_RTT_MS (default 0)
// makes each such call take that long: half on the way there, half on the way back.

/** Tests move the simulated round trip for their file (null: the variable's value). */
let overrideMs: number | null = null;
export function setSimulatedRttMs(ms: number | null): void {
  overrideMs = ms;
}

export function simulatedRttMs(env: Env): number {
  if (!regionsSimulated(env)) return 0;
  if (overrideMs !== null) return overrideMs;
  const ms = Number(env.SIMULATED_INTER_REGION_RTT_MS ?? 0);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 10_000) : 0;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `call` (a stub call from region `from` to an object in region `to`), as far as the regions are apart. */
export async function crossRegion<T>(env: Env, from: Region, to: Region, call: () => Promise<T>): Promise<T> {
  const rttMs = from === to ? 0 : simulatedRttMs(env);
  if (rttMs === 0) return call();
  await sleep(rttMs / 2);
  const result = await call();
  await sleep(rttMs - rttMs / 2);
  return result;
}
