// The emulator's state: in memory, one collection per Stripe object type, plus the bookkeeping
// the API keeps behind the objects (full test-card numbers, idempotency results, request log).

/**
 * @typedef {Record<string, any>} StripeObject a JSON object as the API returns it
 * @typedef {import('./cards.mjs').TestCard} TestCard
 */

export const COLLECTIONS = /** @type {const} */ ([
  'customers',
  'checkout_sessions',
  'payment_intents',
  'payment_methods',
  'charges',
  'refunds',
  'disputes',
  'invoices',
  'invoiceitems',
  'setup_intents',
  'events',
]);

/** @typedef {typeof COLLECTIONS[number]} CollectionName */

/** Id prefix → collection, for `expand[]` and events. Longer prefixes first. */
const PREFIXES = /** @type {Array<[string, CollectionName]>} */ ([
  ['cs_test_', 'checkout_sessions'],
  ['cus_', 'customers'],
  ['pi_', 'payment_intents'],
  ['pm_', 'payment_methods'],
  ['ch_', 'charges'],
  ['re_', 'refunds'],
  ['dp_', 'disputes'],
  ['in_', 'invoices'],
  ['ii_', 'invoiceitems'],
  ['seti_', 'setup_intents'],
  ['evt_', 'events'],
]);

/**
 * @param {string} id
 * @returns {CollectionName | undefined}
 */
export function collectionOf(id) {
  return PREFIXES.find(([prefix]) => id.startsWith(prefix))?.[1];
}

export function createStore() {
  return {
    /** @type {Record<CollectionName, Map<string, StripeObject>>} */
    objects: /** @type {any} */ (Object.fromEntries(COLLECTIONS.map((name) => [name, new Map()]))),
    /** The test card behind each PaymentMethod (the API only shows brand and last4). */
    /** @type {Map<string, TestCard>} */
    cards: new Map(),
    /** What a Checkout Session keeps that its API object does not show (line items, payment_intent_data). */
    /** @type {Map<string, import('../resources/checkout_sessions.mjs').SessionExtras>} */
    sessionExtras: new Map(),
    /** @type {Map<string, import('./idempotency.mjs').SavedResponse>} */
    idempotency: new Map(),
    /** Customers deleted (DELETE /v1/customers/:id): retrieving one answers Stripe's deleted stub. */
    /** @type {Set<string>} */
    deletedCustomers: new Set(),
    /** PaymentMethods detached from their customer: Stripe never lets them be used or attached again. */
    /** @type {Set<string>} */
    detachedPaymentMethods: new Set(),
    /** @type {Array<Record<string, unknown>>} */
    requests: [],
    invoiceCounter: 0,
  };
}

/** @typedef {ReturnType<typeof createStore>} Store */

/**
 * @param {Store} store
 * @param {string} id
 * @returns {StripeObject | undefined}
 */
export function findById(store, id) {
  const collection = collectionOf(id);
  return collection ? store.objects[collection].get(id) : undefined;
}

/**
 * @param {Store} store
 * @param {CollectionName} collection
 * @param {StripeObject} object must have an `id`
 */
export function insert(store, collection, object) {
  store.objects[collection].set(object.id, object);
  return object;
}

/** @param {Store} store */
export function resetStore(store) {
  for (const map of Object.values(store.objects)) map.clear();
  store.cards.clear();
  store.sessionExtras.clear();
  store.deletedCustomers.clear();
  store.detachedPaymentMethods.clear();
  store.idempotency.clear();
  store.requests.length = 0;
  store.invoiceCounter = 0;
}
