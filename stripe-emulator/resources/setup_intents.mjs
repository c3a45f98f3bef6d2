// SetupIntents: what a Checkout Session in setup mode creates to save a card for later
// (off-session) payments; retrievable (expand payment_method) once the session is completed.
import { nowSeconds } from '../lib/clock.mjs';
import { noSuch } from '../lib/errors.mjs';
import { newId, randomToken } from '../lib/ids.mjs';
import { insert } from '../lib/store.mjs';

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {{ customer: string | null, metadata: Record<string, string>, usage: 'off_session' | 'on_session' }} fields
 */
export function createSetupIntent(ctx, fields) {
  const id = newId('seti_');
  return insert(ctx.store, 'setup_intents', {
    id,
    object: 'setup_intent',
    application: null,
    automatic_payment_methods: null,
    cancellation_reason: null,
    client_secret: `${id}_secret_${randomToken(24)}`,
    created: nowSeconds(),
    customer: fields.customer,
    description: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: fields.metadata,
    next_action: null,
    payment_method: null,
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: 'requires_payment_method',
    usage: fields.usage,
  });
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 */
export function getSetupIntent(ctx, id) {
  const seti = ctx.store.objects.setup_intents.get(id);
  if (!seti) throw noSuch('setup_intent', id);
  return seti;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveSetupIntent(request, ctx) {
  return getSetupIntent(ctx, /** @type {string} */ (request.pathParams.id));
}
