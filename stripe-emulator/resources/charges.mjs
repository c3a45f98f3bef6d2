// Charges: retrieve (they are created by payments.mjs and changed by refunds).
import { noSuch } from '../lib/errors.mjs';

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 * @param {string} [param]
 */
export function getCharge(ctx, id, param) {
  const charge = ctx.store.objects.charges.get(id);
  if (!charge) throw noSuch('charge', id, param);
  return charge;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveCharge(request, ctx) {
  return getCharge(ctx, /** @type {string} */ (request.pathParams.id));
}
