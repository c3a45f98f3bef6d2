// Stripe's `created` list filter, shared by the list endpoints that take it.
import { integer, object } from './params.mjs';

/**
 * Stripe's `created` filter: an exact timestamp, or `created[gt|gte|lt|lte]`.
 * @param {import('./form.mjs').FormObject} params
 * @returns {(created: number) => boolean}
 */
export function createdRange(params) {
  if (typeof params.created === 'string') {
    const exact = integer(params, 'created');
    return (created) => created === exact;
  }
  const range = object(params, 'created');
  const bound = (/** @type {string} */ key) => integer(range, key, { name: `created[${key}]` });
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  return (created) =>
    (gt === undefined || created > gt) && (gte === undefined || created >= gte) && (lt === undefined || created < lt) && (lte === undefined || created <= lte);
}
