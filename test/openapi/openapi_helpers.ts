// Reading /openapi.json in tests: fetch it from the Worker, walk its operations, resolve $refs, and
// check an example against the schema it illustrates.
import { exports } from 'cloudflare:workers';
import { buildApp } from '../../workers/app';

export type Json = any;

export interface Operation {
  method: string; // lower case, as in the document
  path: string; // OpenAPI form: /v1/billing/transactions/{id}
  op: Json;
}

export async function fetchDocument(): Promise<Json> {
  const res = await exports.default.fetch(new Request('http://burnrate.test/openapi.json'));
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  return res.json();
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export function operationsOf(doc: Json): Operation[] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

// Not part of the API: local-only helpers (bench floor, hand-fired cron), the human pages, and the
// document itself.
const NOT_API = [/^\/__bench(\/|$)/, /^\/__scheduled(\/|$)/, /^\/docs(\/|$)/, /^\/dashboard(\/|$)/, /^\/openapi\.json$/];

/** Every method + path the Hono app answers, in OpenAPI path syntax, without middleware-only entries. */
export function servedRoutes(): Array<{ method: string; path: string }> {
  const seen = new Map<string, { method: string; path: string }>();
  for (const route of buildApp().routes) {
    if (route.method === 'ALL') continue; // app.use(): middleware, not an endpoint
    if (NOT_API.some((re) => re.test(route.path))) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const method = route.method.toLowerCase();
    seen.set(`${method} ${path}`, { method, path });
  }
  return [...seen.values()];
}

export function resolve(doc: Json, node: Json): Json {
  let current = node;
  while (current && typeof current.$ref === 'string') {
    const parts = (current.$ref as string).replace(/^#\//, '').split('/');
    current = parts.reduce((n: Json, key) => n?.[key], doc);
  }
  return current;
}

/** The example values of a media type object: `example`, or every `examples[*].value`. */
export function mediaExamples(media: Json): Json[] {
  if (!media) return [];
  if (media.example !== undefined) return [media.example];
  return Object.values((media.examples ?? {}) as Record<string, Json>).map((e) => e.value);
}

/**
 * Where an example disagrees with its schema (the subset of JSON Schema that zod emits here:
 * type, required, properties, items, enum, const, anyOf/oneOf/allOf, $ref). Returns the problems;
 * an empty list means it conforms.
 */
export function exampleProblems(doc: Json, schemaNode: Json, value: Json, at = '$'): string[] {
  const schema = resolve(doc, schemaNode);
  if (!schema || Object.keys(schema).length === 0) return [];
  if (schema.allOf) return (schema.allOf as Json[]).flatMap((s) => exampleProblems(doc, s, value, at));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const results = (alternatives as Json[]).map((s) => exampleProblems(doc, s, value, at));
    return results.some((r) => r.length === 0) ? [] : [`${at}: matches none of the alternatives (${results.map((r) => r[0]).join('; ')})`];
  }
  if (schema.const !== undefined && value !== schema.const) return [`${at}: expected ${JSON.stringify(schema.const)}`];
  if (schema.enum && !(schema.enum as Json[]).includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const types: string[] = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length > 0 && !types.some((t) => hasType(value, t))) return [`${at}: ${JSON.stringify(value)} is not ${types.join(' | ')}`];
  const problems: string[] = [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of (schema.required ?? []) as string[]) if (!(key in value)) problems.push(`${at}.${key}: required but missing`);
    for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
      if (key in value) problems.push(...exampleProblems(doc, sub, value[key], `${at}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...exampleProblems(doc, schema.items, item, `${at}[${i}]`)));
  return problems;
}

function hasType(value: Json, type: string): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return true;
  }
}

/**
 * The public operations only an admin's key may call (a member's key gets 403 forbidden); each is
 * also the set documented with a 403 answer. For GET my-usage it is the `all=true` part, which its
 * example asks for. Used by document_claims and by the security matrix (test/security).
 */
export const ADMIN_ONLY_OPERATIONS = [
  'DELETE /v1/billing/payment-methods/{id}',
  'GET /v1/billing/my-usage',
  'POST /v1/billing/payment-methods',
  'POST /v1/billing/payment-methods/{id}/default',
  'POST /v1/billing/topup',
  'PUT /v1/billing/auto-topup',
  'PUT /v1/billing/alerts',
  'PUT /v1/billing/spend-limits/{memberId}',
  'DELETE /v1/billing/spend-limits/{memberId}',
];

/** The contract's error table: which codes each status may carry. */
export const CODES_BY_STATUS: Record<number, string[]> = {
  400: ['invalid_request'],
  401: ['unauthenticated'],
  402: ['insufficient_credits', 'payment_failed', 'spend_limit_exceeded'],
  403: ['forbidden'],
  404: ['not_found'],
  409: ['idempotency_conflict', 'payment_method_required', 'hold_closed'],
  413: ['payload_too_large'],
  429: ['rate_limited'],
  500: ['internal_error'],
  503: ['stripe_unavailable'],
};

/** A request built only from the document's examples (path, query and header parameters, body). */
export function exampleRequest(doc: Json, { method, path, op }: Operation, headers: Record<string, string>): Request {
  let url = path;
  const query = new URLSearchParams();
  const allHeaders: Record<string, string> = { ...headers };
  for (const raw of (op.parameters ?? []) as Json[]) {
    const param = resolve(doc, raw);
    const example = param.example ?? param.schema?.example;
    if (example === undefined) continue;
    if (param.in === 'path') url = url.replace(`{${param.name}}`, encodeURIComponent(String(example)));
    else if (param.in === 'query') query.set(param.name, String(example));
    else if (param.in === 'header') allHeaders[param.name] = String(example);
  }
  const media = op.requestBody?.content?.['application/json'];
  const body = media ? JSON.stringify(mediaExamples(media)[0]) : undefined;
  if (body !== undefined) allHeaders['content-type'] = 'application/json';
  const qs = query.toString();
  return new Request(`http://burnrate.test${url}${qs ? `?${qs}` : ''}`, { method: method.toUpperCase(), headers: allHeaders, body });
}
