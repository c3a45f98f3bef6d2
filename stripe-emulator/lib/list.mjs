// Stripe's list objects `{ object: 'list', data, has_more, url }`, newest first, with `limit`,
// `starting_after` and `ending_before` pagination.
import { invalidRequest } from './errors.mjs';
import { integer, string } from './params.mjs';

/**
 * @param {Array<Record<string, any>>} items in any order; sorted newest first (insertion order breaks ties)
 * @param {string} url the list's path, e.g. /v1/customers/cus_1/payment_methods
 * @param {import('./form.mjs').FormObject} params the request's parameters
 */
export function listObject(items, url, params) {
  const limit = integer(params, 'limit', { min: 1 }) ?? 10;
  if (limit > 100) throw invalidRequest('This value must be less than or equal to 100.', { param: 'limit' });
  const ordered = items.map((item, index) => ({ item, index }));
  ordered.sort((a, b) => b.item.created - a.item.created || b.index - a.index);
  let sorted = ordered.map(({ item }) => item);

  const after = string(params, 'starting_after');
  const before = string(params, 'ending_before');
  if (after) {
    const at = sorted.findIndex((item) => item.id === after);
    if (at < 0) throw invalidRequest(`No such object: '${after}'`, { param: 'starting_after', code: 'resource_missing' });
    sorted = sorted.slice(at + 1);
  } else if (before) {
    const at = sorted.findIndex((item) => item.id === before);
    if (at < 0) throw invalidRequest(`No such object: '${before}'`, { param: 'ending_before', code: 'resource_missing' });
    sorted = sorted.slice(Math.max(0, at - limit), at);
    return { object: 'list', data: sorted, has_more: at - limit > 0, url };
  }
  return { object: 'list', data: sorted.slice(0, limit), has_more: sorted.length > limit, url };
}
