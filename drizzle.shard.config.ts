import { defineConfig } from 'drizzle-kit';

// Every ledger shard D1 (bindings LEDGER_SHARD_*): one schema, applied to each shard. The ledger's
// append-only triggers are hand-written at the end of 0000_baseline.sql (drizzle has no trigger DSL).
export default defineConfig({
  dialect: 'sqlite',
  schema: './schema/shard_tables.ts',
  out: './schema/migrations/shard',
});
