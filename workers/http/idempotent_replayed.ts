// `Idempotent-Replayed: true`: the answer is the replay of a mutation already done under the same
// idempotency id or key and body (its original result; nothing was done again). Set on every kind
// of replay: creates (workspaces, members, keys, dashboard links), key revocations, ledger entries,
// resources, usage requests whose every event was already recorded, and top-ups.
export const IDEMPOTENT_REPLAYED = 'Idempotent-Replayed';

/** A mutation's answer and whether it was a replay. */
export interface Replayable<T> {
  value: T;
  replayed: boolean;
}

/** The headers of an answer: the replay mark, or none. */
export const replayedHeaders = (replayed: boolean): Record<string, string> | undefined => (replayed ? { [IDEMPOTENT_REPLAYED]: 'true' } : undefined);
