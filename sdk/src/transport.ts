// One HTTP call to burnrate, with a timeout, retries and the service's errors turned into
// BurnrateError. The public and the internal client share it; they differ only in their auth header.
import { BurnrateError, errorFromResponse, networkError } from './errors.js';
import { defaultRetryDelayMs, isRetryableStatus, retryAfterMs, sleep, type RetryDelay } from './retry.js';

/** The fetch the SDK calls: the global one by default; a service binding's or a test's otherwise. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Where burnrate answers, e.g. `https://billing.example.com` (no trailing path needed). */
  baseUrl: string;
  /** Defaults to the global fetch, looked up at call time. */
  fetch?: FetchLike;
  /** Retries after the first attempt, for network errors, 429 and 502/503/504. Default 2. */
  maxRetries?: number;
  /** Per attempt, until the whole answer is read. Default 30 000. */
  timeoutMs?: number;
  /** Wait before retry n (1-based), in ms. Default: exponential backoff with jitter from 250 ms. */
  retryDelayMs?: RetryDelay;
}

export type QueryValue = string | number | boolean | undefined;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
}

const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 30_000;
/** The service refuses request bodies over 1 MB with 413 payload_too_large (the API contract). */
export const MAX_BODY_BYTES = 1_048_576;

export class Transport {
  private readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: RetryDelay;

  constructor(
    options: TransportOptions,
    private readonly authHeaders: Record<string, string>,
  ) {
    if (!options.baseUrl) throw new TypeError('burnrate: baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.maxRetries = Math.max(0, options.maxRetries ?? DEFAULT_MAX_RETRIES);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    return this.send<T>(spec, 'application/json', parseJson);
  }

  /** A text answer (a CSV download, say) as it came; errors are still the service's JSON errors. */
  requestText(spec: RequestSpec, accept: string): Promise<string> {
    return this.send<string>(spec, accept, (text) => text);
  }

  private async send<T>(spec: RequestSpec, accept: string, parseSuccess: (text: string) => unknown): Promise<T> {
    const url = this.url(spec.path, spec.query);
    // Serialized once: every attempt sends the same bytes, so the service's idempotency check sees
    // the same body on a retry.
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: Record<string, string> = { accept, ...this.authHeaders, ...spec.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';

    const bodyBytes = body === undefined ? 0 : new TextEncoder().encode(body).byteLength;

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(url, { method: spec.method, headers, body }, parseSuccess);
      if (outcome.ok) return outcome.value as T;
      // The service reads and drops a refused body up to a bound and then answers 413; past that
      // bound (or through a proxy that does not wait) the connection can close while the body is
      // still being sent, and no answer arrives. Sending it again would end the same way.
      if (outcome.error.code === 'network_error' && bodyBytes > MAX_BODY_BYTES) throw bodyTooLarge(bodyBytes, outcome.error);
      const { error, retryAfter } = outcome;
      const retryable = error.code === 'network_error' || isRetryableStatus(error.status);
      if (!retryable || attempt >= this.maxRetries) throw error;
      await sleep(Math.max(this.retryDelayMs(attempt + 1), retryAfter ?? 0));
    }
  }

  private async attempt(
    url: string,
    init: { method: string; headers: Record<string, string>; body: string | undefined },
    parseSuccess: (text: string) => unknown,
  ): Promise<{ ok: true; value: unknown } | { ok: false; error: BurnrateError; retryAfter: number | null }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      let res: Response;
      let text: string;
      try {
        res = await this.fetchImpl(url, { ...init, signal: controller.signal });
        // Read inside the try: a connection that drops mid-body is a network error too.
        text = await res.text();
      } catch (cause) {
        const message = controller.signal.aborted
          ? `burnrate: no answer within ${this.timeoutMs} ms (${init.method} ${url})`
          : `burnrate: request failed before an answer arrived (${init.method} ${url}): ${String(cause)}`;
        return { ok: false, error: networkError(message, cause), retryAfter: null };
      }
      if (res.ok) return { ok: true, value: parseSuccess(text) };
      const parsed = parseJson(text);
      return {
        ok: false,
        error: errorFromResponse(res.status, res.headers.get('x-request-id'), parsed),
        retryAfter: retryAfterMs(res.headers.get('retry-after')),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private url(path: string, query: Record<string, QueryValue> = {}): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }
}

/** The refusal the service would have answered, for a body over the limit whose answer was lost. */
function bodyTooLarge(bodyBytes: number, lost: BurnrateError): BurnrateError {
  return new BurnrateError({
    status: 413,
    code: 'payload_too_large',
    message: `burnrate: the request body is ${bodyBytes} bytes, over the service's ${MAX_BODY_BYTES}-byte (1 MB) limit, and the connection closed before an answer arrived; nothing was recorded. (${lost.message})`,
    requestId: null,
    cause: lost,
  });
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A path segment from a caller's value: encoded, so an id can never change the route. */
export const segment = (value: string) => encodeURIComponent(value);
