// Events: `{ id: 'evt_…', object: 'event', type, created, data: { object }, livemode: false, api_version }`.
import { nowSeconds } from '../lib/clock.mjs';
import { noSuch } from '../lib/errors.mjs';
import { newId } from '../lib/ids.mjs';
import { listObject } from '../lib/list.mjs';
import { createdRange } from '../lib/created_range.mjs';
import { string } from '../lib/params.mjs';
import { insert } from '../lib/store.mjs';

/**
 * Records an event carrying a snapshot of `object` as it is now.
 * @param {import('../lib/store.mjs').Store} store
 * @param {string} apiVersion
 * @param {string} type
 * @param {Record<string, any>} object
 * @param {import('../lib/context.mjs').RequestInfo | null | undefined} request
 * @param {boolean} willDeliver
 */
export function recordEvent(store, apiVersion, type, object, request, willDeliver) {
  return insert(store, 'events', {
    id: newId('evt_'),
    object: 'event',
    api_version: apiVersion,
    created: nowSeconds(),
    data: { object: structuredClone(object) },
    livemode: false,
    pending_webhooks: willDeliver ? 1 : 0,
    request: request ?? { id: null, idempotency_key: null },
    type,
  });
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveEvent(request, ctx) {
  const id = /** @type {string} */ (request.pathParams.id);
  const event = ctx.store.objects.events.get(id);
  if (!event) throw noSuch('event', id);
  return event;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function listEvents(request, ctx) {
  const type = string(request.params, 'type');
  const inRange = createdRange(request.params);
  const events = [...ctx.store.objects.events.values()].filter((event) => (!type || matchesType(event.type, type)) && inRange(event.created));
  return listObject(events, '/v1/events', request.params);
}

/**
 * Stripe's `type` filter accepts a trailing wildcard: `checkout.session.*`.
 * @param {string} type
 * @param {string} filter
 */
function matchesType(type, filter) {
  return filter.endsWith('*') ? type.startsWith(filter.slice(0, -1)) : type === filter;
}
