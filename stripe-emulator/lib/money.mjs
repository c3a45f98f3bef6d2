// Amount display and Stripe's per-currency minimum charge.

const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

/** Minimum charge in the smallest unit, for the currencies a dev setup is likely to use. */
const MINIMUM = /** @type {Record<string, number>} */ ({ usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50, chf: 50, jpy: 50 });

/**
 * "$25.00", "€7.50", "¥500", or "12.34 SEK".
 * @param {number} amount in the currency's smallest unit
 * @param {string} currency ISO code, any case
 */
export function formatAmount(amount, currency) {
  const code = currency.toLowerCase();
  const digits = ZERO_DECIMAL.has(code) ? 0 : 2;
  try {
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: code.toUpperCase(),
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(amount / 10 ** digits);
  } catch {
    return `${(amount / 10 ** digits).toFixed(digits)} ${code.toUpperCase()}`;
  }
}

/**
 * @param {string} currency
 * @returns {number} the smallest chargeable amount (0 when not known)
 */
export function minimumAmount(currency) {
  return MINIMUM[currency.toLowerCase()] ?? 0;
}

/** @param {string} currency */
export function isKnownCurrency(currency) {
  return /^[a-z]{3}$/.test(currency);
}
