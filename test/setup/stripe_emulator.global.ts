// Runs in Node, once per test run: the project's Stripe emulator, which stripe-node inside the
// Workers runtime reaches over loopback (STRIPE_EMULATOR_URL in vitest.config.ts). Its webhook
// deliveries go nowhere; tests fetch events from it and sign them themselves.
import { startEmulator } from '../../stripe-emulator/server.mjs';

export default async function () {
  const emulator = await startEmulator({ port: Number(process.env.BURNRATE_TEST_STRIPE_PORT), webhookUrl: 'http://127.0.0.1:9/unused', webhookSecret: 'whsec_test_burnrate' });
  return async () => {
    await emulator.close();
  };
}
