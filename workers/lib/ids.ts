// Opaque, prefixed, roughly time-ordered ids: `txn_` + 10 chars of time + 16 chars of randomness.
const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

export type IdPrefix = 'ws' | 'mem' | 'txn' | 'key' | 'res' | 'req' | 'evt' | 'blk' | 'eml';

export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  const random = new Uint8Array(16);
  crypto.getRandomValues(random);
  let out = nowMs.toString(36).padStart(10, '0');
  for (const byte of random) out += alphabet[byte % 36];
  return `${prefix}_${out}`;
}
