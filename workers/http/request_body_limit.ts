import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';

/** The largest request body accepted on any route: 1 MB. */
export const MAX_BODY_BYTES = 1_048_576;
/** JSON nested deeper than this is refused before it is parsed (no request of ours needs more than a few levels). */
export const MAX_JSON_DEPTH = 64;

const tooLarge = () => new ApiError('payload_too_large', `body: larger than ${MAX_BODY_BYTES} bytes (1 MB); nothing was read or recorded.`);

/**
 * Every request body, on every route (internal and public API, the Stripe webhook before its
 * signature is checked, dashboard forms), passes through here before anything parses it: a declared
 * Content-Length over 1 MB is refused unread, and a body without one is counted while it streams
 * and refused at the first byte past the limit. The bytes read are handed on as the request's body,
 * so later readers (zod validation, signature checks, form parsing) see exactly what was sent.
 */
export const requestBodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const raw = c.req.raw;
  if (!raw.body) return next();
  const declared = raw.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > MAX_BODY_BYTES) {
    await raw.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const bytes = await readAtMost(raw.body, MAX_BODY_BYTES);
  if (!bytes) throw tooLarge();
  if (/json/i.test(raw.headers.get('content-type') ?? '') && jsonDepthExceeds(bytes, MAX_JSON_DEPTH)) {
    throw new ApiError('invalid_request', `body: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  c.req.raw = new Request(raw, { body: bytes });
  await next();
});

/** The whole stream, or null as soon as it passes maxBytes (the rest is never read). */
async function readAtMost(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether the JSON text nests objects and arrays deeper than maxDepth, scanning bytes (brackets and
 * quotes are ASCII, so never part of a multi-byte UTF-8 character) and skipping string contents.
 * Malformed text is left to the parser, which refuses it.
 */
export function jsonDepthExceeds(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return false;
}
