#!/usr/bin/env node
// Runs the Stripe emulator on its own: `npm run stripe:emulator` or `node stripe-emulator/cli.mjs`.
// Settings from the environment: STRIPE_EMULATOR_PORT (12111), BURNRATE_WEBHOOK_URL
// (http://127.0.0.1:8787/v1/stripe/webhook; empty disables delivery), STRIPE_WEBHOOK_SECRET
// (whsec_dev_burnrate_local), STRIPE_EMULATOR_WEBHOOK_ATTEMPTS, STRIPE_EMULATOR_WEBHOOK_RETRY_MS.
import { startEmulator } from './server.mjs';

/** @param {string} line */
const log = (line) => process.stdout.write(`[stripe-emulator] ${line}\n`);

const emulator = await startEmulator({ log }).catch((error) => {
  log(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

log(`listening on ${emulator.url} (Stripe API at ${emulator.url}/v1, any sk_test_… key)`);
log(`webhooks → ${emulator.webhookUrl ?? 'disabled'}`);
log('test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 declines');

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    log('stopping');
    void emulator.close().then(() => process.exit(0));
  });
}
