// The Stripe-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
import { createHmac } from 'node:crypto';

/**
 * @param {string} secret the endpoint's signing secret (whsec_…), used as is
 * @param {string} payload the exact body sent
 * @param {number} timestamp unix seconds
 */
export function signatureHeader(secret, payload, timestamp) {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
