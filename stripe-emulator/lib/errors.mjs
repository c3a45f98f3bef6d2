// Stripe's error responses: `{ error: { type, code?, decline_code?, message, param?, doc_url? } }`.

/**
 * @typedef {object} StripeErrorBody
 * @property {string} type
 * @property {string} message
 * @property {string} [code]
 * @property {string} [decline_code]
 * @property {string} [param]
 * @property {string} [doc_url]
 * @property {unknown} [payment_intent]
 * @property {unknown} [payment_method]
 * @property {string} [charge]
 */

/** An error that the API layer turns into a Stripe-shaped JSON response. */
export class StripeApiError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {StripeErrorBody} body
   * @param {{ saveIdempotent?: boolean }} [options] whether an idempotency key stores this result
   */
  constructor(status, body, options = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.saveIdempotent = options.saveIdempotent ?? false;
  }

  toJSON() {
    return { error: this.body };
  }
}

/** @param {string} code */
export function docUrl(code) {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

/**
 * 400 invalid_request_error.
 * @param {string} message
 * @param {{ param?: string, code?: string }} [details]
 */
export function invalidRequest(message, details = {}) {
  /** @type {StripeErrorBody} */
  const body = { type: 'invalid_request_error', message };
  if (details.code) {
    body.code = details.code;
    body.doc_url = docUrl(details.code);
  }
  if (details.param) body.param = details.param;
  return new StripeApiError(400, body);
}

/**
 * 400 parameter_missing.
 * @param {string} param
 */
export function missingParam(param) {
  return invalidRequest(`Missing required param: ${param}.`, { param, code: 'parameter_missing' });
}

/**
 * 404 resource_missing, as for an unknown id. For an id passed as a parameter Stripe answers 400
 * with the same code and the parameter's name.
 * @param {string} label e.g. 'customer', 'PaymentMethod'
 * @param {string} id
 * @param {string} [param] the request parameter that named the id (makes it a 400)
 */
export function noSuch(label, id, param) {
  const body = {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: docUrl('resource_missing'),
    message: `No such ${label}: '${id}'`,
    param: param ?? 'id',
  };
  return new StripeApiError(param ? 400 : 404, body);
}

/**
 * 404 for an unknown path or method.
 * @param {string} method
 * @param {string} path
 */
export function unrecognizedUrl(method, path) {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

/**
 * 401 for a missing or unusable API key.
 * @param {string} message
 */
export function authError(message) {
  return new StripeApiError(401, { type: 'invalid_request_error', message });
}

/**
 * 400 idempotency_error.
 * @param {string} message
 */
export function idempotencyError(message) {
  return new StripeApiError(400, { type: 'idempotency_error', message });
}
