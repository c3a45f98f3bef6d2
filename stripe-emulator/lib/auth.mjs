// API keys: any test-mode secret or restricted key (`sk_test_…`, `rk_test_…`), sent as Bearer
// (stripe-node) or as the Basic user name (`curl -u sk_test_…:`). Live keys are refused: the
// emulator is test mode only.
import { authError } from './errors.mjs';

const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

/**
 * @param {string | undefined} header the Authorization header
 * @returns {string} the key
 */
export function authenticate(header) {
  const key = keyFrom(header);
  if (!key) throw authError(NO_KEY);
  if (!/^(sk|rk)_test_\S+$/.test(key)) {
    const shown = key.length > 8 ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : key;
    throw authError(`Invalid API Key provided: ${shown}`);
  }
  return key;
}

/**
 * @param {string | undefined} header
 * @returns {string | undefined}
 */
function keyFrom(header) {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.split(':')[0] || undefined;
  }
  return undefined;
}
