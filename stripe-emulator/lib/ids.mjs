// Object ids with Stripe's prefixes (cus_, cs_test_, pi_, pm_, in_, ch_, re_, evt_, …).
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * @param {number} length
 * @returns {string} random base62 characters
 */
export function randomToken(length) {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i += 1) {
    const byte = /** @type {number} */ (bytes[i]);
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out.length === length ? out : out + randomToken(length - out.length);
}

/**
 * @param {string} prefix e.g. 'cus_'
 * @param {number} [length]
 */
export function newId(prefix, length = 24) {
  return `${prefix}${randomToken(length)}`;
}

/** Checkout Session ids are long in test mode: cs_test_ followed by ~58 characters. */
export function newCheckoutSessionId() {
  return newId('cs_test_', 58);
}
