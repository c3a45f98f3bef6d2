// The top of /openapi.json: what the reference at /docs opens with (info, tags, servers, security
// schemes). The operations come from the createRoute() definitions next to their handlers, and
// the two plain Hono routes (health, Stripe webhook) from plain_routes.ts.
import type { Router } from '../routes/router';
import { errorResponses } from './error_responses';
import { registerPlainRouteDocs } from './plain_routes';

const description = `
Prepaid-credits billing for developer platforms: workspaces buy credits with Stripe, usage
(model tokens, sandbox runtime, storage, tool executions, one-off charges) is metered and settled
hourly against the balance, and the platform is told when a workspace runs dry.

## Units
- **Credits.** 1 credit = 1 USD. Every ledger amount is an integer number of **micro-credits**
  (1 credit = 1,000,000 micros). Fields ending in \`Micros\` are integers; no floats touch money.
- **Stripe-facing amounts** are integer US **cents** (\`amountCents\`, \`thresholdCents\`,
  \`topupAmountCents\`). 1 cent = 10,000 micros.
- **Time** is ISO-8601 UTC (\`2026-11-21T10:00:00.000Z\`). Billing hours are whole UTC hours.
- **Ids** are opaque strings with a type prefix: \`ws_\`, \`mem_\`, \`txn_\`, \`key_\`, \`res_\`.

## Authentication
- **Public API** (\`/v1/billing/*\`): \`X-API-Key: <key>\` (or \`Authorization: Bearer <key>\`). A key
  belongs to one member of one workspace; roles are \`admin\` and \`member\`. Admin-only operations
  answer 403 \`forbidden\` to members.
- **Internal API** (\`/internal/v1/*\`): \`Authorization: Bearer <INTERNAL_API_TOKEN>\`, for the
  platform's own services.
- **Stripe webhook**: only the \`Stripe-Signature\` header (300 s tolerance, either way).

## Idempotency
Every mutating internal call is idempotent by its \`id\` (or the \`Idempotency-Key\` header where
offered): the same id with the same body answers the original result, marked
\`Idempotent-Replayed: true\` (on creates, key revocations, ledger entries, resources, top-ups, and
a usage request whose every event was already recorded); the same id with another body is 409
\`idempotency_conflict\`. Usage events are idempotent per event id and workspace.

## Errors
Every error has the body \`{ "error": { "code", "message", "requestId" } }\`:

| status | code | when |
|---|---|---|
| 400 | \`invalid_request\` | a body, query, header or path value fails validation (the message names the field); malformed JSON |
| 401 | \`unauthenticated\` | no credentials, unknown or revoked API key, bad internal token |
| 402 | \`insufficient_credits\` | the balance cannot cover a deduction; nothing is recorded |
| 403 | \`forbidden\` | a member calling an admin action |
| 404 | \`not_found\` | no such object in this workspace |
| 409 | \`idempotency_conflict\` | an idempotency key reused with a different body |
| 409 | \`payment_method_required\` | auto-top-up enabled while no card is saved |
| 413 | \`payload_too_large\` | a request body over 1 MB (1,048,576 bytes), refused before it is parsed |
| 429 | \`rate_limited\` | too many requests for this API key (public API only) |
| 503 | \`stripe_unavailable\` | Stripe is not configured or did not answer |

Unknown JSON fields are ignored; JSON nested deeper than 64 levels is a 400. Text fields refuse
control characters, bidi overrides and unpaired surrogates (400, naming the field).
`.trim();

const tags = [
  { name: 'Billing', description: 'The public API for a workspace\'s members: balance, ledger, usage, top-ups, auto-top-up. Authenticated with an API key.' },
  { name: 'Workspaces', description: 'Internal: create workspaces and members, issue and revoke API keys.' },
  { name: 'Credits', description: 'Internal: credit checks on the hot path, grants and corrections, all-or-nothing deductions.' },
  { name: 'Holds', description: 'Internal: reserve credits before work whose cost is not known yet (a model stream, an agent step), then capture what it cost or release it.' },
  { name: 'Usage', description: 'Internal: usage events, metered instances and volumes, runtime quotes and storage quota.' },
  { name: 'Pricing', description: 'Internal: the versioned price list. A change applies to usage from the moment it is made.' },
  { name: 'Platform events', description: 'Internal: the notifications sent to the platform (instance.terminated, storage.suspended, …) and their delivery state.' },
  { name: 'Stripe', description: 'The Stripe webhook receiver, and (internal) reconciliation with Stripe.' },
  { name: 'Service', description: 'Liveness.' },
];

/** Every operation that takes a body documents 413: the body limit (workers/http/request_body_limit.ts) guards them all. */
function documentBodyLimit(app: Router) {
  const tooLarge = errorResponses('payload_too_large');
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route' || !definition.route.request?.body) continue;
    definition.route.responses = { ...tooLarge, ...definition.route.responses };
  }
}

export function registerOpenApiDocument(app: Router) {
  registerPlainRouteDocs(app);
  documentBodyLimit(app);
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'A member\'s API key (br_…). `Authorization: Bearer <key>` is accepted too.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'internalToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The service token INTERNAL_API_TOKEN (a Worker secret), for the platform\'s services only.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'burnrate', version: '0.1.0', description, license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' } },
    servers: [{ url: '/', description: 'This deployment' }],
    tags,
  });
}
