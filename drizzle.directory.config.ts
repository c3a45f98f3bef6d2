import { defineConfig } from 'drizzle-kit';

// The directory D1 (binding DB). `npm run db:generate` writes a migration for each database after a
// change to its table file; hand-written parts (seed rows) go into the generated file's tail.
export default defineConfig({
  dialect: 'sqlite',
  schema: './schema/directory_tables.ts',
  out: './schema/migrations/directory',
});
