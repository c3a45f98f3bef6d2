import { exports } from 'cloudflare:workers';

export const INTERNAL_TOKEN = 'test-internal-token';
export const BASE = 'http://burnrate.test';

export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

async function send<T>(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<JsonResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, init));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text: a test that expects JSON will fail on it
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Calls the internal API with the test token (or another authorization, to test auth). */
export const internal = <T = any>(method: string, path: string, body?: unknown, authorization = `Bearer ${INTERNAL_TOKEN}`) =>
  send<T>(method, path, authorization ? { authorization } : {}, body);

/** Calls the internal API with the test token and extra headers (for example Idempotency-Key). */
export const internalWithHeaders = <T = any>(method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  send<T>(method, path, { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json', ...headers }, body);

/** Calls the public API with an API key. */
export const publicApi = <T = any>(method: string, path: string, apiKey: string | null, body?: unknown) =>
  send<T>(method, path, apiKey ? { 'x-api-key': apiKey } : {}, body);

export const rawFetch = (path: string, init: RequestInit) => exports.default.fetch(new Request(`${BASE}${path}`, init));
