// Verifies burnrate's platform notifications: POSTs to PLATFORM_WEBHOOK_URL carrying
// `X-Burnrate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
// Verify the raw body exactly as received (before any JSON parsing) and only then trust the event.
import { globalCrypto } from './ids.js';
import type { PlatformEvent } from './types.js';

/** The header that carries the signature (header names are case-insensitive). */
export const WEBHOOK_SIGNATURE_HEADER = 'X-Burnrate-Signature';

export type WebhookFailureReason = 'missing_header' | 'malformed_header' | 'signature_mismatch' | 'timestamp_outside_tolerance' | 'invalid_payload';

export class BurnrateWebhookError extends Error {
  readonly reason: WebhookFailureReason;

  constructor(reason: WebhookFailureReason, message: string) {
    super(message);
    this.name = 'BurnrateWebhookError';
    this.reason = reason;
  }
}

export interface VerifyWebhookOptions {
  /** The request body exactly as received: `await request.text()` (or its bytes). */
  payload: string | ArrayBuffer | Uint8Array;
  /** The X-Burnrate-Signature header's value. */
  header: string | null | undefined;
  /** PLATFORM_WEBHOOK_SECRET. */
  secret: string;
  /** How far the signed time may be from now, either way. Default 300 (replays older than that fail). */
  toleranceSeconds?: number;
  /** "Now", for tests. Default Date.now(). */
  nowMs?: number;
  /** WebCrypto's subtle; defaults to the global one (Node 18 without a global crypto: pass node:crypto's webcrypto.subtle). */
  subtle?: SubtleCrypto;
}

const DEFAULT_TOLERANCE_SECONDS = 300;
const encoder = new TextEncoder();

/**
 * Checks the signature and the timestamp, then returns the event. Rejects with a
 * BurnrateWebhookError (its `reason` says why) when the payload cannot be trusted.
 */
export async function verifyWebhookSignature(options: VerifyWebhookOptions): Promise<PlatformEvent> {
  const { t, signatures } = parseHeader(options.header);
  const body = toBytes(options.payload);
  const subtle = options.subtle ?? globalCrypto()?.subtle;
  if (!subtle) throw new TypeError('burnrate: no WebCrypto here; pass `subtle` (node:crypto webcrypto.subtle on Node 18)');

  const expected = await hmacSha256Hex(subtle, options.secret, concat(encoder.encode(`${t}.`), body));
  // Compare every candidate fully: a secret being rotated may sign with two keys (two v1 values).
  let matched = false;
  for (const signature of signatures) matched = constantTimeEqual(expected, signature) || matched;
  if (!matched) throw new BurnrateWebhookError('signature_mismatch', 'The signature does not match this payload and secret.');

  const nowSeconds = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) {
    throw new BurnrateWebhookError('timestamp_outside_tolerance', `The signature's time (t=${t}) is more than ${toleranceSeconds} s from now.`);
  }
  return parseEvent(new TextDecoder().decode(body));
}

function parseHeader(header: string | null | undefined): { t: number; signatures: string[] } {
  if (!header) throw new BurnrateWebhookError('missing_header', `No ${WEBHOOK_SIGNATURE_HEADER} header.`);
  let t: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (t === null || signatures.length === 0) {
    throw new BurnrateWebhookError('malformed_header', `${WEBHOOK_SIGNATURE_HEADER} must be t=<unix seconds>,v1=<64 hex>.`);
  }
  return { t, signatures };
}

function parseEvent(text: string): PlatformEvent {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw new BurnrateWebhookError('invalid_payload', 'The payload is not JSON.');
  }
  const e = event as Record<string, unknown> | null;
  const ok =
    typeof e === 'object' && e !== null &&
    typeof e.id === 'string' && typeof e.type === 'string' && typeof e.createdAt === 'string' && typeof e.workspaceId === 'string' &&
    typeof e.data === 'object' && e.data !== null;
  if (!ok) throw new BurnrateWebhookError('invalid_payload', 'The payload is not a burnrate event { id, type, createdAt, workspaceId, data }.');
  return event as PlatformEvent;
}

async function hmacSha256Hex(subtle: SubtleCrypto, secret: string, data: Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await subtle.sign('HMAC', key, data));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Equal-length strings compared without an early exit, so timing does not reveal a matching prefix. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// Copied into a fresh ArrayBuffer-backed array: the one type every runtime's WebCrypto accepts.
function toBytes(payload: string | ArrayBuffer | Uint8Array): Uint8Array<ArrayBuffer> {
  const source = typeof payload === 'string' ? encoder.encode(payload) : payload instanceof Uint8Array ? payload : new Uint8Array(payload);
  const copy = new Uint8Array(source.byteLength);
  copy.set(source);
  return copy;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
