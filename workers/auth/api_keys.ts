import { randomToken, sha256Hex } from '../lib/crypto';

// A key is `br_` + 43 chars of base64url (256 random bits). The visible prefix (first 12 chars)
// lets people tell keys apart in lists without the key being recoverable from what we store.
export const API_KEY_PREFIX_LENGTH = 12;

export interface MintedApiKey {
  plaintext: string;
  prefix: string;
  keyHash: string;
}

export async function mintApiKey(): Promise<MintedApiKey> {
  const plaintext = `br_${randomToken(32)}`;
  return { plaintext, prefix: plaintext.slice(0, API_KEY_PREFIX_LENGTH), keyHash: await sha256Hex(plaintext) };
}

export const hashApiKey = (plaintext: string) => sha256Hex(plaintext);
