// Stripe's test cards, and what happens when each is charged on the hosted page (on-session) or
// later without the customer (off-session). Unknown numbers behave as in Stripe's test mode.

/**
 * @typedef {object} Decline
 * @property {string} code e.g. card_declined
 * @property {string} decline_code e.g. generic_decline
 * @property {string} message
 *
 * @typedef {object} TestCard
 * @property {string} number
 * @property {string} brand visa | mastercard | amex
 * @property {string} funding
 * @property {Decline | null} onSession what a payment with the customer present does
 * @property {Decline | null} offSession what an off-session payment does
 * @property {boolean} [authenticates] every payment needs 3-D Secure: confirmed through the API
 *   with the customer present, the PaymentIntent answers `requires_action` with a hosted page
 *   (/authenticate/:id) that completes it; off-session it is declined (`offSession`) with
 *   `authentication_required`; the hosted checkout page takes the challenge as passed
 * @property {boolean} [disputes] every successful charge is disputed at once (Stripe's …0259 card)
 * @property {'pending' | 'fails'} [refunds] what a refund of its charges does: starts `pending` (…7726)
 *   or starts `succeeded` and fails later (…5126); the emulator's refund routes do the "later"
 */

const GENERIC = { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
const INSUFFICIENT = { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' };
const AUTH_REQUIRED = {
  code: 'authentication_required',
  decline_code: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
};
const LIVE_CARD = {
  code: 'card_declined',
  decline_code: 'test_mode_live_card',
  message: 'Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.',
};

/** @type {Record<string, Omit<TestCard, 'number'>>} */
const CARDS = {
  '4242424242424242': { brand: 'visa', funding: 'credit', onSession: null, offSession: null },
  '4000056655665556': { brand: 'visa', funding: 'debit', onSession: null, offSession: null },
  '5555555555554444': { brand: 'mastercard', funding: 'credit', onSession: null, offSession: null },
  '378282246310005': { brand: 'amex', funding: 'credit', onSession: null, offSession: null },
  '4000000000000002': { brand: 'visa', funding: 'credit', onSession: GENERIC, offSession: GENERIC },
  '4000000000009995': { brand: 'visa', funding: 'credit', onSession: INSUFFICIENT, offSession: INSUFFICIENT },
  // Attaching succeeds, every charge fails (Stripe's "charge customer fail" card).
  '4000000000000341': { brand: 'visa', funding: 'credit', onSession: GENERIC, offSession: GENERIC },
  // Needs 3D Secure every time: the hosted checkout page stands in for a passed challenge; an API
  // confirmation with the customer present waits in requires_action (payment_intents.mjs); an
  // off-session one is declined, 402 authentication_required, as Stripe does.
  '4000002760003184': { brand: 'visa', funding: 'credit', onSession: null, offSession: AUTH_REQUIRED, authenticates: true },
  // Pays, then the charge is disputed as fraudulent with its funds withdrawn (Stripe's "dispute" card).
  '4000000000000259': { brand: 'visa', funding: 'credit', onSession: null, offSession: null, disputes: true },
  // Pays; a refund of the charge starts `pending` and succeeds later (Stripe's "pending refund" card).
  '4000000000007726': { brand: 'visa', funding: 'credit', onSession: null, offSession: null, refunds: 'pending' },
  // Pays; a refund of the charge starts `succeeded` and fails later with expired_or_canceled_card
  // (Stripe's "refund fail" card).
  '4000000000005126': { brand: 'visa', funding: 'credit', onSession: null, offSession: null, refunds: 'fails' },
};

/** Stripe's test PaymentMethod ids, usable wherever a `payment_method` id is accepted. */
export const TEST_PAYMENT_METHODS = /** @type {Record<string, string>} */ ({
  pm_card_visa: '4242424242424242',
  pm_card_visa_debit: '4000056655665556',
  pm_card_mastercard: '5555555555554444',
  pm_card_amex: '378282246310005',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_visa_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeCustomerFail: '4000000000000341',
  pm_card_authenticationRequired: '4000002760003184',
  pm_card_createDispute: '4000000000000259',
  pm_card_pendingRefund: '4000000000007726',
  pm_card_refundFail: '4000000000005126',
});

/**
 * @param {string} number digits only
 * @returns {boolean}
 */
export function passesLuhn(number) {
  let sum = 0;
  for (let i = 0; i < number.length; i += 1) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return number.length >= 12 && sum % 10 === 0;
}

/**
 * Normalises what a person typed ("4242 4242-4242 4242") to digits.
 * @param {string} input
 */
export function normaliseNumber(input) {
  return input.replace(/[\s-]/g, '');
}

/**
 * @param {string} input card number as typed
 * @returns {TestCard | Decline} a Decline with code incorrect_number when it is no card number at all
 */
export function lookupCard(input) {
  const number = normaliseNumber(input);
  if (!/^\d+$/.test(number) || !passesLuhn(number)) {
    return { code: 'incorrect_number', decline_code: 'incorrect_number', message: 'Your card number is incorrect.' };
  }
  const known = CARDS[number];
  if (known) return { number, ...known };
  const brand = number.startsWith('4') ? 'visa' : /^5[1-5]/.test(number) ? 'mastercard' : /^3[47]/.test(number) ? 'amex' : 'unknown';
  return { number, brand, funding: 'credit', onSession: LIVE_CARD, offSession: LIVE_CARD };
}

/**
 * @param {TestCard | Decline} value
 * @returns {value is TestCard}
 */
export function isCard(value) {
  return 'number' in value;
}

/**
 * A card that declines every charge from now on (the emulator's control API uses it to make a
 * saved card fail, as if the bank had started declining it).
 * @param {TestCard} card
 * @param {string} declineCode
 * @returns {TestCard}
 */
export function decliningCopy(card, declineCode) {
  const decline = declineCode === 'insufficient_funds' ? INSUFFICIENT : { ...GENERIC, decline_code: declineCode };
  return { ...card, onSession: decline, offSession: decline, authenticates: false };
}

