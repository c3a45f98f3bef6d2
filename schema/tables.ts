// The D1 schema of record, in two databases: the directory (directory_tables.ts, binding DB) and
// the ledger shards (shard_tables.ts, bindings LEDGER_SHARD_*). drizzle-kit generates each one's
// SQL migrations into its own folder (drizzle.directory.config.ts, drizzle.shard.config.ts); a
// table lives in exactly one of the two. Import from here or from the file of its database.
export * from './directory_tables';
export * from './shard_tables';
