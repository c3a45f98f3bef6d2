// The D1 bindings declared in wrangler.toml, in order (the directory DB first, then the ledger
// shards): every script that applies migrations (npm start, npm run deploy, the benchmark's server)
// applies them to each of these, so a shard added to wrangler.toml is migrated with no other edit.
// Each binding's `migrations_dir` there says which folder (directory or shard) it gets.
import { readFileSync } from 'node:fs';

export function d1Bindings(configPath = new URL('../wrangler.toml', import.meta.url)) {
  const toml = readFileSync(configPath, 'utf8');
  const blocks = toml.split(/^\[\[d1_databases\]\]\s*$/m).slice(1);
  return blocks.map((block) => {
    const binding = /^binding\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (!binding) throw new Error('wrangler.toml: a [[d1_databases]] block without a binding');
    return binding;
  });
}
