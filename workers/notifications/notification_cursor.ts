import { ApiError } from '../errors/api_error';

// Keyset pagination of the notification log: the (createdAtMs, id) of the last row of a page. The
// cursor is opaque to clients (base64url) so the ordering key can change without breaking them.
export interface NotificationCursor {
  createdAtMs: number;
  id: string;
}

export const encodeNotificationCursor = (c: NotificationCursor): string =>
  btoa(`n1:${c.createdAtMs}:${c.id}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

export function decodeNotificationCursor(cursor: string): NotificationCursor {
  let text = '';
  try {
    text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    // not base64: refused below
  }
  const match = /^n1:(\d{1,15}):([A-Za-z0-9_.:-]{1,100})$/.exec(text);
  if (!match) throw new ApiError('invalid_request', 'cursor: not a cursor this listing gave out.');
  return { createdAtMs: Number(match[1]), id: match[2]! };
}
