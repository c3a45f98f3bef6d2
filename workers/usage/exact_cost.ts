// Exact cost arithmetic. Every price in the product divides into one common denominator:
//   model tokens   price per 1,000,000 tokens
//   instances      price per hour, metered in milliseconds (3,600,000 ms)
//   storage        price per GB-month, GB = 10^9 bytes, month = 730 hours, metered in byte-ms
// so an exact cost is a BigInt numerator over DENOMINATOR (micros), summed without loss and rounded
// once per line, to the nearest micro with halves up, as the contract asks.
export const MS_PER_HOUR = 3_600_000;
const GB = 1_000_000_000n;
const HOURS_PER_MONTH = 730n;
export const DENOMINATOR = GB * HOURS_PER_MONTH * BigInt(MS_PER_HOUR); // 2.628e18

export type Exact = bigint;

export const exactFromMicros = (micros: number): Exact => BigInt(micros) * DENOMINATOR;

// DENOMINATOR is a multiple of both units, so these scale factors are whole numbers: no truncation.
const PER_TOKEN = DENOMINATOR / 1_000_000n;
const PER_MS = DENOMINATOR / BigInt(MS_PER_HOUR);

export const exactModel = (tokens: number, microsPerMillionTokens: number): Exact =>
  BigInt(tokens) * BigInt(microsPerMillionTokens) * PER_TOKEN;

export const exactInstance = (runtimeMs: number, microsPerHour: number): Exact =>
  BigInt(runtimeMs) * BigInt(microsPerHour) * PER_MS;

export const exactStorage = (sizeBytes: number, runtimeMs: number, microsPerGbMonth: number): Exact =>
  BigInt(sizeBytes) * BigInt(runtimeMs) * BigInt(microsPerGbMonth);

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Rounds a non-negative exact cost to whole micros, halves up: where an exact cost becomes a Number.
 * The limits (amount_limits.ts) keep every line far below 2^53; past it the Number would not be the
 * amount, so it is refused rather than answered.
 */
export function roundMicros(exact: Exact): number {
  if (exact < 0n) throw new RangeError('costs are never negative');
  const micros = (exact + DENOMINATOR / 2n) / DENOMINATOR;
  if (micros > MAX_SAFE) throw new RangeError(`a cost of ${micros} micros is beyond exact integers (2^53); an amount bound is broken`);
  return Number(micros);
}

/** round(a × b / c) for non-negative safe integers, halves up, without a float's rounding on the way. */
export function mulDivRound(a: number, b: number, c: number): number {
  const q = (BigInt(a) * BigInt(b) * 2n + BigInt(c)) / (2n * BigInt(c));
  if (q > MAX_SAFE) throw new RangeError(`${q} is beyond exact integers (2^53)`);
  return Number(q);
}

/** floor(a × b / c) for non-negative safe integers, at most 2^53 − 1 (a quantity, not an amount). */
export function mulDivFloor(a: number, b: number, c: number): number {
  const q = (BigInt(a) * BigInt(b)) / BigInt(c);
  return q > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(q);
}

export const hourOf = (ms: number): number => Math.floor(ms / MS_PER_HOUR) * MS_PER_HOUR;
