import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';

/** The largest request body accepted on any route: 1 MB. */
export const MAX_BODY_BYTES = 1_048_576;
/** JSON nested deeper than this is refused before it is parsed (no request of ours needs more than a few levels). */
export const MAX_JSON_DEPTH = 64;

/**
 * How much of a refused body is still read, and thrown away, before the 413 is sent: 100 MB (the
 * largest request body Cloudflare's edge forwards to a Worker on the Free and Pro plans; larger
 * ones it refuses itself with a 413; Business allows 200 MB, Enterprise more) and at most 30 s. Why read what we refuse: a client such as Node's fetch sends the whole
 * body before it reads the answer, and a server that answers and closes while bytes are still
 * arriving resets the connection, so the client sees ECONNRESET/EPIPE (or wrangler dev's own 500
 * "Network connection lost") instead of the 413. Measured on `wrangler dev` (workerd): unread
 * bodies of 2 MB got the 413, 11 MB and 50 MB did not. Reading to the end first, as a server's
 * lingering close does, lets every client read the answer; the bound keeps the cost of a refused
 * request (bytes, not CPU: each chunk is dropped as it arrives) capped.
 */
export const DRAIN_MAX_BYTES = 100 * MAX_BODY_BYTES;
export const DRAIN_MAX_MS = 30_000;

const tooLarge = () => new ApiError('payload_too_large', `body: larger than ${MAX_BODY_BYTES} bytes (1 MB); nothing was recorded.`);

/**
 * Every request body, on every route (internal and public API, the Stripe webhook before its
 * signature is checked, dashboard forms), passes through here before anything parses it. A body
 * over 1 MB (by its Content-Length, or counted while it streams when it has none) is refused with
 * 413 payload_too_large; nothing of it is parsed or kept, but the rest of it is read and dropped
 * first (up to DRAIN_MAX_BYTES, see above), so the client is done sending when the answer comes.
 * `Expect: 100-continue` changes nothing: a proxy in front (wrangler's, Cloudflare's edge) may have
 * answered 100 Continue already, so the client may be sending (refusing those unread reset curl's
 * connection now and then under wrangler dev). The bytes of an accepted body are handed on as the request's body, so
 * later readers (zod validation, signature checks, form parsing) see exactly what was sent.
 */
export const requestBodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const raw = c.req.raw;
  if (!raw.body) return next();
  const declared = declaredLength(raw.headers);
  if (declared !== null && declared > MAX_BODY_BYTES) {
    if (declared > DRAIN_MAX_BYTES) await raw.body.cancel().catch(() => undefined);
    else await drain(raw.body.getReader(), declared);
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

function declaredLength(headers: Headers): number | null {
  const value = headers.get('content-length')?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * The whole stream, or null once it passes maxBytes; then the rest is read and dropped (up to
 * DRAIN_MAX_BYTES in all) so that the client can read the refusal.
 */
async function readAtMost(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      chunks.length = 0;
      await drain(reader, DRAIN_MAX_BYTES, size);
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

/**
 * Reads and drops the rest of a refused body until it ends, `upTo` bytes in all have been read, or
 * DRAIN_MAX_MS has passed; then cancels whatever is left (a client still sending may then see the
 * connection close; on Free and Pro plans such bodies never reach a deployed Worker).
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, upTo: number, alreadyRead = 0) {
  const deadlineMs = Date.now() + DRAIN_MAX_MS;
  let read = alreadyRead;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), DRAIN_MAX_MS);
  });
  try {
    while (read <= upTo && Date.now() < deadlineMs) {
      const next = await Promise.race([reader.read(), timedOut]);
      if (next === 'timeout' || next.done) {
        if (next !== 'timeout') return;
        break;
      }
      read += next.value.byteLength;
    }
    await reader.cancel().catch(() => undefined);
  } catch {
    // The client went away mid-body: nothing to answer it with.
  } finally {
    clearTimeout(timer);
  }
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
