// `Idempotency-Key` as Stripe keeps it: the first result of a POST is stored with a fingerprint of
// the request; the same key with the same request replays it, with other parameters (or another
// endpoint) it is a 400 idempotency_error. Validation failures are not stored, so a corrected
// retry with the same key runs; card declines are stored, like any result of a request that ran.
import { idempotencyError, invalidRequest } from './errors.mjs';

/**
 * @typedef {object} SavedResponse
 * @property {string} method
 * @property {string} path
 * @property {string} fingerprint
 * @property {number} status
 * @property {string} body
 * @property {string} requestId the request that produced it (sent back as Original-Request)
 */

const MAX_KEY_LENGTH = 255;

/**
 * A stable text for parameters, independent of key order.
 * @param {unknown} value
 * @returns {string}
 */
export function canonical(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(/** @type {Record<string, unknown>} */ (value)[key])}`);
  return `{${entries.join(',')}}`;
}

/**
 * The stored result for a key, after checking the request matches it.
 * @param {Map<string, SavedResponse>} saved
 * @param {string} key
 * @param {{ method: string, path: string, params: unknown }} request
 * @returns {SavedResponse | undefined} undefined when the key is new
 */
export function lookup(saved, key, request) {
  if (key.length > MAX_KEY_LENGTH) {
    throw invalidRequest(`Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters long.`, { param: 'Idempotency-Key' });
  }
  const previous = saved.get(key);
  if (!previous) return undefined;
  if (previous.method !== request.method || previous.path !== request.path) {
    throw idempotencyError(
      `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${previous.method} ${previous.path}' vs '${request.method} ${request.path}'). Try using a key other than '${key}' if you meant to execute a different request.`,
    );
  }
  if (previous.fingerprint !== canonical(request.params)) {
    throw idempotencyError(
      `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    );
  }
  return previous;
}

/**
 * @param {Map<string, SavedResponse>} saved
 * @param {string} key
 * @param {{ method: string, path: string, params: unknown }} request
 * @param {{ status: number, body: string, requestId: string }} response
 */
export function remember(saved, key, request, response) {
  saved.set(key, {
    method: request.method,
    path: request.path,
    fingerprint: canonical(request.params),
    status: response.status,
    body: response.body,
    requestId: response.requestId,
  });
}
