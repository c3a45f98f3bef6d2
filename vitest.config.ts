import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// No network here and no telemetry wanted: keep wrangler's internals offline.
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

// The Stripe emulator for this run (started by test/setup/stripe_emulator.global.ts): a port of its
// own per run, so that concurrent runs on one machine don't collide.
process.env.BURNRATE_TEST_STRIPE_PORT ??= String(20_000 + (process.pid % 20_000));
const stripeEmulatorUrl = `http://127.0.0.1:${process.env.BURNRATE_TEST_STRIPE_PORT}`;

// stripe-node's ESM build ships source maps that name sources it does not ship: vite warns once per
// file ("Sourcemap for … points to missing source files", 200-odd lines) on the first run after an
// install, before node_modules/.vitest-cache holds the transforms. Nothing of ours: those warnings
// are dropped, every other one still prints. (Vitest replaces `customLogger` with its own, so the
// resolved logger is wrapped instead.)
const quietDependencySourcemaps: Plugin = {
  name: 'burnrate:quiet-dependency-sourcemaps',
  configResolved(config) {
    const warnOnce = config.logger.warnOnce.bind(config.logger);
    config.logger.warnOnce = (message, options) => {
      if (!/^Sourcemap for ".*\/node_modules\/.*" points to missing source files$/.test(message)) warnOnce(message, options);
    };
  },
};

export default defineConfig(async () => ({
  plugins: [
    quietDependencySourcemaps,
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          // The directory's migrations go to DB, the shard migrations to every LEDGER_SHARD_*
          // (test/setup/apply_migrations.ts), as `npm start` and `npm run deploy` do.
          TEST_DIRECTORY_MIGRATIONS: await readD1Migrations('schema/migrations/directory'),
          TEST_SHARD_MIGRATIONS: await readD1Migrations('schema/migrations/shard'),
          INTERNAL_API_TOKEN: 'test-internal-token',
          STRIPE_EMULATOR_URL: stripeEmulatorUrl,
          STRIPE_WEBHOOK_SECRET: 'whsec_test_burnrate',
          // Where Checkout sends the payer back: the tests' own origin (test/helpers/api.ts BASE).
          PUBLIC_BASE_URL: 'http://burnrate.test',
          // TEST_SHOW_LOGS=1 npx vitest run …: print the Worker's error lines of passing tests too
          // (test/setup/captured_logs.ts captures them).
          TEST_SHOW_LOGS: process.env.TEST_SHOW_LOGS ?? '',
          // The seeded simulator's fault injection and broken rules (workers/lib/sim_hooks.ts):
          // honoured only with this binding, which nothing but this config sets.
          SIM_HOOKS: 'enabled',
          // One process stands for every region: X-Burnrate-Region names the caller's
          // (workers/regions/caller_region.ts); tests set the simulated round trip per file.
          SIMULATED_REGIONS: 'enabled',
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts', 'workers/**/*.test.ts'],
    setupFiles: ['./test/setup/captured_logs.ts', './test/setup/apply_migrations.ts', './test/setup/ledger_invariant.ts'],
    globalSetup: ['./test/setup/stripe_emulator.global.ts'],
    testTimeout: 30_000,
  },
}));
