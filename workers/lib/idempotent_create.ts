import { and, eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { idempotencyRecords } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { canonicalJson, sha256Hex } from './crypto';
import { open, seal } from './sealed_box';
import { directoryDb } from '../storage/databases';

const SEAL_PURPOSE = 'idempotency-response-v1';
const REPLAY_WINDOW_MS = 24 * 3_600_000;

export interface CreateOutcome<T> {
  /** The statements that make the change; run in one batch with the replay record. */
  statements: BatchItem<'sqlite'>[];
  status: 200 | 201;
  body: T;
}

/**
 * Runs a create that is idempotent by a caller-chosen key: the change and its replay record are
 * one D1 batch, so either both exist or neither does. A replay returns the original answer; the
 * same key with another request is an idempotency_conflict. Without a key the create just runs.
 */
export async function idempotentCreate<T>(
  env: Env,
  scope: string,
  key: string | undefined,
  request: unknown,
  prepare: () => Promise<CreateOutcome<T>>,
): Promise<{ status: 200 | 201; body: T; replayed: boolean }> {
  const db = directoryDb(env);
  if (!key) {
    const prepared = await prepare();
    await runBatch(prepared.statements);
    return { status: prepared.status, body: prepared.body, replayed: false };
  }
  const requestHash = await sha256Hex(canonicalJson(request));
  const earlier = await findRecord(key);
  if (earlier) return replay(earlier, requestHash);

  let prepared: CreateOutcome<T>;
  try {
    prepared = await prepare();
  } catch (error) {
    // prepare() may refuse because the first request with this key has just committed (its member
    // now exists, say): that is a replay, not an error.
    const winner = await findRecord(key);
    if (winner) return replay(winner, requestHash);
    throw error;
  }
  const record = db.insert(idempotencyRecords).values({
    scope,
    key,
    requestHash,
    responseStatus: prepared.status,
    sealedResponse: await seal(env.INTERNAL_API_TOKEN ?? '', SEAL_PURPOSE, JSON.stringify(prepared.body)),
    createdAtMs: Date.now(),
  });
  try {
    await runBatch([...prepared.statements, record]);
  } catch (error) {
    // A concurrent request with the same key won the race: answer as its replay.
    const winner = await findRecord(key);
    if (winner) return replay(winner, requestHash);
    throw error;
  }
  return { status: prepared.status, body: prepared.body, replayed: false };

  async function runBatch(statements: BatchItem<'sqlite'>[]) {
    const [first, ...rest] = statements;
    if (!first) return;
    await db.batch([first, ...rest]);
  }

  function findRecord(k: string) {
    return db
      .select()
      .from(idempotencyRecords)
      .where(and(eq(idempotencyRecords.scope, scope), eq(idempotencyRecords.key, k)))
      .get();
  }

  async function replay(record: typeof idempotencyRecords.$inferSelect, requestHash: string) {
    if (record.requestHash !== requestHash) {
      throw new ApiError('idempotency_conflict', `The id "${key}" was already used with a different request.`);
    }
    // Like Stripe, answers are replayable for a day; after that the key is spent.
    if (Date.now() - record.createdAtMs > REPLAY_WINDOW_MS) {
      throw new ApiError('idempotency_conflict', `The id "${key}" was used more than 24 hours ago; use a new id.`);
    }
    const body = await open(env.INTERNAL_API_TOKEN ?? '', SEAL_PURPOSE, record.sealedResponse);
    if (body === null) {
      throw new ApiError('idempotency_conflict', `The id "${key}" was already used; its original answer can no longer be replayed.`);
    }
    return { status: record.responseStatus as 200 | 201, body: JSON.parse(body) as T, replayed: true };
  }
}
