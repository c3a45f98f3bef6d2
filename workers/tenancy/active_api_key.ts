import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../schema/tables';
import { hashApiKey } from '../auth/api_keys';
import type { Env } from '../env';
import { directoryDb } from '../storage/databases';

/** Longer than any key we mint (`br_` + 43): such a string names no key, and is not hashed. */
const MAX_KEY_LENGTH = 200;

/** The unrevoked API key whose plaintext this is (its id, workspace and member), or null. */
export async function activeApiKey(env: Env, plaintext: string): Promise<{ keyId: string; workspaceId: string; memberId: string } | null> {
  if (plaintext.length > MAX_KEY_LENGTH) return null;
  const row = await directoryDb(env)
    .select({ keyId: apiKeys.id, workspaceId: apiKeys.workspaceId, memberId: apiKeys.memberId })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, await hashApiKey(plaintext)), isNull(apiKeys.revokedAtMs)))
    .get();
  return row ?? null;
}
