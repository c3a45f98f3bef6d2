// /openapi.json describes every route the Worker serves, and describes each one fully: a summary
// and operationId, an example for every success answer, parameter and body, and the error answers
// (each with the Error schema and an example whose code fits its status).
import { beforeAll, describe, expect, it } from 'vitest';
import { CODES_BY_STATUS, exampleProblems, fetchDocument, mediaExamples, operationsOf, resolve, servedRoutes, type Json, type Operation } from './openapi_helpers';

let doc: Json;
let operations: Operation[];
beforeAll(async () => {
  doc = await fetchDocument();
  operations = operationsOf(doc);
});

const name = (o: { method: string; path: string }) => `${o.method.toUpperCase()} ${o.path}`;
const takesInput = (op: Json) => (op.parameters ?? []).length > 0 || op.requestBody !== undefined;
const isAuthenticated = (op: Json) => Array.isArray(op.security) && op.security.length > 0;
const usesApiKey = (op: Json) => Array.isArray(op.security) && op.security.some((s: Json) => 'apiKey' in s);
const errorStatuses = (op: Json) => Object.keys(op.responses).map(Number).filter((s) => s >= 400);

describe('coverage', () => {
  it('documents every route the app serves, with its method', () => {
    const served = servedRoutes();
    expect(served.length).toBeGreaterThan(20);
    const documented = new Set(operations.map(name));
    expect(served.map(name).filter((r) => !documented.has(r))).toEqual([]);
  });

  it('documents no operation the app does not serve', () => {
    const served = new Set(servedRoutes().map(name));
    expect(operations.map(name).filter((o) => !served.has(o))).toEqual([]);
  });

  it('has a readable top: info.description, servers, tags for every operation', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.description.length).toBeGreaterThan(500);
    expect(doc.info.description).toMatch(/micro/i);
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const declared = new Set((doc.tags as Json[]).map((t) => t.name));
    const untagged = operations.filter(({ op }) => !op.tags?.length || !op.tags.every((t: string) => declared.has(t)));
    expect(untagged.map(name)).toEqual([]);
  });

  it('names the main shapes as components', () => {
    for (const component of ['Error', 'Transaction', 'CreditSummary', 'AutoTopup', 'UsageRow', 'UsageEvent', 'Pricing', 'Resource', 'Member', 'Workspace']) {
      expect(doc.components.schemas, component).toHaveProperty(component);
    }
  });
});

describe('every operation', () => {
  it('has a summary and a unique operationId', () => {
    const missing = operations.filter(({ op }) => typeof op.summary !== 'string' || op.summary.length < 10 || !/^[a-z][A-Za-z]+$/.test(op.operationId ?? ''));
    expect(missing.map(name)).toEqual([]);
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has a 2xx answer with an example that fits its schema', () => {
    const problems = operations.flatMap((o) => {
      const success = Object.entries(o.op.responses as Record<string, Json>).filter(([status]) => /^2\d\d$/.test(status));
      if (success.length === 0) return [`${name(o)}: no 2xx response`];
      return success.flatMap(([status, response]) => {
        // 204 No Content has no body, so nothing to exemplify; it must not claim one either.
        if (status === '204') return resolve(doc, response).content ? [`${name(o)} 204: documents a body`] : [];
        // JSON answers, and the one file download (text/csv) with a text example.
        const content = resolve(doc, response).content ?? {};
        const media = content['application/json'] ?? content['text/csv'];
        const examples = mediaExamples(media);
        if (examples.length === 0) return [`${name(o)} ${status}: no example`];
        return examples.flatMap((ex) => exampleProblems(doc, media.schema, ex).map((p) => `${name(o)} ${status}: ${p}`));
      });
    });
    expect(problems).toEqual([]);
  });

  it('documents 401 when it is authenticated, and the public and internal APIs are all authenticated', () => {
    const unauthenticated = operations.filter(({ path, op }) => /^\/(v1\/billing|internal\/v1)\//.test(path) && !isAuthenticated(op));
    expect(unauthenticated.map(name)).toEqual([]);
    const without401 = operations.filter(({ op }) => isAuthenticated(op) && !op.responses['401']);
    expect(without401.map(name)).toEqual([]);
  });

  it('documents 400 when it takes input', () => {
    const without400 = operations.filter(({ op }) => takesInput(op) && !op.responses['400']);
    expect(without400.map(name)).toEqual([]);
  });

  it('documents 413 payload_too_large on every operation that takes a body', () => {
    const withBody = operations.filter(({ op }) => op.requestBody !== undefined);
    expect(withBody.length).toBeGreaterThan(10);
    expect(withBody.filter(({ op }) => !op.responses['413']).map(name)).toEqual([]);
  });

  it('has an example for every parameter and request body, fitting its schema', () => {
    const problems = operations.flatMap((o) => {
      const params = ((o.op.parameters ?? []) as Json[]).map((p) => resolve(doc, p));
      const paramProblems = params.flatMap((p) => {
        const example = p.example ?? p.schema?.example;
        if (example === undefined) return [`${name(o)}: parameter ${p.name} has no example`];
        // Query and path values travel as text; a numeric example stands for its decimal text.
        return [];
      });
      const media = o.op.requestBody?.content?.['application/json'];
      if (!media) return paramProblems;
      const examples = mediaExamples(media);
      if (examples.length === 0) return [...paramProblems, `${name(o)}: request body has no example`];
      return [...paramProblems, ...examples.flatMap((ex) => exampleProblems(doc, media.schema, ex).map((p) => `${name(o)} body: ${p}`))];
    });
    expect(problems).toEqual([]);
  });

  it('answers errors with the Error schema and an example whose code fits the status', () => {
    const problems = operations.flatMap((o) =>
      errorStatuses(o.op).flatMap((status) => {
        const response = resolve(doc, o.op.responses[String(status)]);
        const media = response.content?.['application/json'];
        const where = `${name(o)} ${status}`;
        if (media?.schema?.$ref !== '#/components/schemas/Error') return [`${where}: not the Error schema`];
        const examples = mediaExamples(media);
        if (examples.length === 0) return [`${where}: no example`];
        return examples.flatMap((ex) => {
          const allowed = CODES_BY_STATUS[status] ?? [];
          const code = ex?.error?.code;
          const out: string[] = [];
          if (!allowed.includes(code)) out.push(`${where}: code ${code} does not fit (expected ${allowed.join(' or ')})`);
          if (typeof ex?.error?.message !== 'string' || !/^req_/.test(ex?.error?.requestId ?? '')) out.push(`${where}: example lacks message or requestId`);
          return out;
        });
      }),
    );
    expect(problems).toEqual([]);
  });

  it('documents only statuses the service can answer', () => {
    // 429 rate_limited comes from the per-API-key limit of the public API only (the internal API
    // is not limited): documenting it elsewhere would promise clients a behaviour they cannot see.
    const problems = operations.flatMap((o) => errorStatuses(o.op).filter((s) => !CODES_BY_STATUS[s] || (s === 429 && !usesApiKey(o.op))).map((s) => `${name(o)} ${s}`));
    expect(problems).toEqual([]);
  });

  it('documents 429 rate_limited on every operation authenticated by an API key', () => {
    const missing = operations.filter((o) => usesApiKey(o.op) && !errorStatuses(o.op).includes(429)).map(name);
    expect(missing).toEqual([]);
    expect(operations.filter((o) => usesApiKey(o.op)).length).toBeGreaterThanOrEqual(9);
  });
});
