// Idempotency keys the SDK makes up when the caller gives none. They only need to be unique per
// call; the service accepts letters, digits and _ - : . starting with a letter or digit.

/** The runtime's WebCrypto, if it has a global one (Workers, browsers, Node 19+). */
export const globalCrypto = (): Crypto | undefined => (globalThis as { crypto?: Crypto }).crypto;

export function newIdempotencyKey(prefix = 'sdk'): string {
  const random = globalCrypto()?.randomUUID?.() ?? fallbackRandom();
  return `${prefix}_${random}`;
}

// Node 18 without --experimental-global-webcrypto has no global crypto; uniqueness, not secrecy,
// is what a key needs, so time plus Math.random is enough there.
const fallbackRandom = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
