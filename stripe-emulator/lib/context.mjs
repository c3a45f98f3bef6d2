// Types shared by the resource handlers.

/**
 * Who asked for a change, as an event's `request` shows it.
 * @typedef {{ id: string | null, idempotency_key: string | null }} RequestInfo
 */

/**
 * One parsed API call.
 * @typedef {object} ApiRequest
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} pathParams
 * @property {import('./form.mjs').FormObject} params body (POST) or query (GET) parameters
 * @property {RequestInfo} info
 */

/**
 * What a handler answers: the object (serialised, with `expand[]` applied) and a status.
 * @typedef {{ status?: number, body: Record<string, any> }} ApiResult
 */

/**
 * @typedef {object} Context
 * @property {import('./store.mjs').Store} store
 * @property {string} baseUrl e.g. http://127.0.0.1:12111
 * @property {string} apiVersion
 * @property {(type: string, object: Record<string, any>, request?: RequestInfo | null) => Record<string, any>} emit
 *   records an event with a snapshot of `object` and sends it to the webhook URL
 */

/** @typedef {(request: ApiRequest, ctx: Context) => ApiResult | Record<string, any>} ApiHandler */

export {};
