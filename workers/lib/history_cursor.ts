import { ApiError } from '../errors/api_error';

// Keyset pagination over the ledger's sequence number. The cursor is opaque to clients so the
// ordering key can change without breaking them.
export function encodeCursor(seq: number): string {
  return btoa(`v1:${seq}`).replace(/=+$/, '');
}

export function decodeCursor(cursor: string): number {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw new ApiError('invalid_request', 'cursor: not a cursor returned by this API');
  }
  const match = /^v1:(\d{1,15})$/.exec(text);
  if (!match) throw new ApiError('invalid_request', 'cursor: not a cursor returned by this API');
  return Number(match[1]);
}
