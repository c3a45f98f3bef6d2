// Free text that callers send (names, emails, descriptions, model and instance-type names) ends up
// in the ledger, in CSV exports, in the dashboard and in Stripe. It must read the same everywhere:
// no control characters (C0 including NUL, tab and newline — every text field here is one line —,
// DEL and C1), no invisible direction marks or bidi overrides/isolates that reorder what a reader
// sees (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and no unpaired UTF-16 surrogates (which
// are not text and turn into U+FFFD or errors on the way out). Everything else — accents,
// non-Latin scripts, emoji (paired surrogates) — is allowed.
import { z } from '@hono/zod-openapi';

const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const PLAIN_TEXT_MESSAGE = 'must not contain control characters, bidi overrides or unpaired surrogates';

/** Whether `value` is one line of ordinary printable text. */
export const isPlainText = (value: string) => !FORBIDDEN.test(value);

/** A string field that accepts one line of ordinary printable text (the 400 names the field). */
export const plainText = () => z.string().refine(isPlainText, { message: PLAIN_TEXT_MESSAGE });
