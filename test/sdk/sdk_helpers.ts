// Helpers of the SDK tests: SDK clients wired to the real Worker in this workerd (real D1, Durable
// Objects, the local Stripe emulator), and fetch wrappers that record or break requests on the way.
// Not a test file.
import { exports } from 'cloudflare:workers';
import { Burnrate, BurnrateInternal, type FetchLike } from '../../sdk/src/index';

export const BASE_URL = 'http://burnrate.test';
export const INTERNAL_TOKEN = 'test-internal-token';

/** The Worker under test, as the SDK's fetch. */
export const workerFetch: FetchLike = (input, init) => exports.default.fetch(new Request(input, init));

// Retries wait 1 ms in tests: backoff is the SDK's option, not what these tests measure.
const tinyBackoff = () => 1;

type ClientTuning = { fetch?: FetchLike; maxRetries?: number; timeoutMs?: number };

export const internalClient = (tuning: ClientTuning = {}) =>
  new BurnrateInternal({ token: INTERNAL_TOKEN, baseUrl: BASE_URL, fetch: workerFetch, retryDelayMs: tinyBackoff, ...tuning });

export const publicClient = (apiKey: string, tuning: ClientTuning = {}) =>
  new Burnrate({ apiKey, baseUrl: BASE_URL, fetch: workerFetch, retryDelayMs: tinyBackoff, ...tuning });

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** What the caller got: the status, or 'network' when the wrapper threw. */
  outcome: number | 'network';
}

/**
 * Records every request, then lets `answer` decide what happens: by default the Worker answers.
 * `answer` may call the Worker and still throw (a connection dropped after the request arrived).
 */
export function recordingFetch(answer: (input: string, init: RequestInit, nth: number) => Promise<Response> = workerFetch) {
  const sent: SentRequest[] = [];
  const fetch: FetchLike = async (input, init) => {
    const record: SentRequest = {
      method: init.method ?? 'GET',
      url: input,
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body as string | undefined,
      outcome: 'network',
    };
    sent.push(record);
    const res = await answer(input, init, sent.length);
    record.outcome = res.status;
    return res;
  };
  return { fetch, sent };
}

/**
 * The Worker handles every request fully, but the first attempt's answer is lost, as if the
 * connection dropped after the request arrived. `lost` holds the bodies that never reached the SDK.
 */
export function dropFirstAnswer() {
  const lost: unknown[] = [];
  const answer = async (input: string, init: RequestInit, nth: number): Promise<Response> => {
    const res = await workerFetch(input, init);
    if (nth > 1) return res;
    lost.push(await res.json()); // the Worker finished: whatever it did is done
    throw new TypeError('Network connection lost.');
  };
  return { answer, lost };
}

let counter = 0;
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A fresh workspace through the SDK, with its admin client. */
export async function newWorkspace(name = 'SDK workspace') {
  const created = await internalClient().workspaces.create({ name, admin: { name: 'Ada Admin', email: `${unique('admin')}@example.com` } });
  return { workspaceId: created.workspace.id, adminMemberId: created.member.id, adminKey: created.apiKey, admin: publicClient(created.apiKey) };
}

export async function newMember(workspaceId: string, role: 'admin' | 'member' = 'member') {
  const created = await internalClient().members.create(workspaceId, { name: 'Max Member', email: `${unique('member')}@example.com`, role });
  return { memberId: created.member.id, apiKey: created.apiKey, client: publicClient(created.apiKey) };
}

export const CREDIT_MICROS = 1_000_000;
