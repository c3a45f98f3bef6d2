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

/** The last id newOrderedId made in this isolate: its time and its random part. */
let lastOrdered = { prefix: '', nowMs: -1, tail: '' };

/**
 * An id like newId's that sorts after the previous one of its prefix made in the same millisecond
 * in this isolate (its random part is the previous one plus one, as ULID's monotonic mode does).
 * For ids whose order is a tie-break readers rely on: credit blocks made in one millisecond (two
 * deposits completed in one group) are drawn in the order they were made, not by chance. Never
 * for secrets: within a millisecond the next id is guessable from the last.
 */
export function newOrderedId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  const tail = lastOrdered.prefix === prefix && lastOrdered.nowMs === nowMs ? incremented(lastOrdered.tail) : null;
  const id = tail === null ? newId(prefix, nowMs) : `${prefix}_${nowMs.toString(36).padStart(10, '0')}${tail}`;
  lastOrdered = { prefix, nowMs, tail: id.slice(-16) };
  return id;
}

/** `tail` + 1 in base 36 (null when it is all z's: the caller starts a fresh random one, which then may sort before). */
function incremented(tail: string): string | null {
  const digits = [...tail].map((c) => alphabet.indexOf(c));
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 35) {
      digits[i] = digits[i]! + 1;
      return digits.map((d) => alphabet[d]).join('');
    }
    digits[i] = 0;
  }
  return null;
}
