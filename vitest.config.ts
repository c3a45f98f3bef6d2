import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// No network here and no telemetry wanted: keep wrangler's internals offline.
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations('schema/migrations'),
          INTERNAL_API_TOKEN: 'test-internal-token',
        },
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts', 'workers/**/*.test.ts'],
    setupFiles: ['./test/setup/apply_migrations.ts', './test/setup/ledger_invariant.ts'],
    testTimeout: 30_000,
  },
}));
