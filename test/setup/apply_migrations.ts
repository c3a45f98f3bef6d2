import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { allShards } from '../../workers/storage/databases';

// As `npm start` and `npm run deploy` do: the directory's migrations to DB, the shard migrations to
// every ledger shard listed in LEDGER_SHARDS.
await applyD1Migrations(env.DB, env.TEST_DIRECTORY_MIGRATIONS);
for (const shard of allShards(env)) await applyD1Migrations(shard.d1, env.TEST_SHARD_MIGRATIONS);
