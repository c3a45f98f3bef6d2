// Where a new workspace's ledger goes: pure, so that placement is the same in every isolate and
// testable without D1. The result is recorded in the directory (workspaces.shard) at creation and
// never computed again for that workspace, so adding shards never moves anyone.

/** The comma-separated binding names of a LEDGER_SHARDS-style variable, in order. */
export function parseShardNames(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}

/** FNV-1a, 32 bits: a stable, well-spread hash of the workspace id (no randomness, no clock). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard (binding name) a new workspace is placed on: its id's hash over the names given. */
export function shardFor(workspaceId: string, names: readonly string[]): string {
  if (names.length === 0) throw new Error('no ledger shard to place a workspace on (LEDGER_SHARDS is empty)');
  return names[fnv1a32(workspaceId) % names.length]!;
}
