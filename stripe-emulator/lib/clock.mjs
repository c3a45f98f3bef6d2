// Unix time in seconds, as in every Stripe timestamp.

/** @returns {number} */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}
