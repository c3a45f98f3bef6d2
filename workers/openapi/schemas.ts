// The zod schemas that validate requests and describe responses; /openapi.json is generated from them.
import { z } from '@hono/zod-openapi';
import { transactionStatuses, transactionTypes } from '../../schema/tables';
import { MAX_ENTRY_MICROS } from '../lib/money';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string().openapi({ example: 'amountMicros: Invalid input: expected int, received number' }),
      requestId: z.string().openapi({ example: 'req_0mi8x2k3a1b2c3d4e5f6g7h8i9' }),
    }),
  })
  .openapi('Error');

// --- building blocks -------------------------------------------------------------------------

export const IdempotencyIdSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_\-:.]*$/, 'must be letters, digits, and _ - : . (starting with a letter or digit)')
  .openapi({ description: 'Your id for this mutation; also its idempotency key.', example: 'deduct-7f3a' });

/** The optional Idempotency-Key header of the create routes, validated like a body id. */
export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': IdempotencyIdSchema.optional().openapi({ description: 'Alternative to the body id.' }),
});

export const WorkspaceIdSchema = z
  .string()
  .regex(/^ws_[A-Za-z0-9_]{1,64}$/, 'must be a workspace id (ws_…)')
  .openapi({ example: 'ws_0mi8x2k3a1b2c3d4e5f6g7h8i9' });

export const MemberIdSchema = z.string().regex(/^mem_[A-Za-z0-9_]{1,64}$/, 'must be a member id (mem_…)');
export const ApiKeyIdSchema = z.string().regex(/^key_[A-Za-z0-9_]{1,64}$/, 'must be an API key id (key_…)');
export const TransactionIdSchema = z.string().regex(/^txn_[A-Za-z0-9_]{1,64}$/, 'must be a transaction id (txn_…)');

export const DescriptionSchema = z.string().trim().min(1).max(500);
export const NameSchema = z.string().trim().min(1).max(200);
export const EmailSchema = z.email().max(320);
export const RoleSchema = z.enum(['admin', 'member']);

/** A positive whole number of micro-credits no larger than one movement may be. */
export const PositiveMicrosSchema = z.int().min(1).max(MAX_ENTRY_MICROS);

/** Query strings carry text: accept only plain decimal digits, then check the range as a number. */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(min).max(max));

// --- responses -------------------------------------------------------------------------------

export const TransactionSchema = z
  .object({
    id: z.string().openapi({ example: 'txn_0mi8x2k3a1b2c3d4e5f6g7h8i9' }),
    createdAt: z.string().openapi({ example: '2026-11-21T10:00:00.000Z' }),
    type: z.enum(transactionTypes),
    description: z.string(),
    amountMicros: z.int().openapi({ description: 'Signed: positive in, negative out.', example: -1_000_000 }),
    status: z.enum(transactionStatuses),
    invoiceUrl: z.string().nullable(),
    balanceAfterMicros: z.int().nullable(),
    forgivenMicros: z.int().openapi({ description: 'What could not be covered by the balance and was not charged.' }),
  })
  .openapi('Transaction');

export const CreditSummarySchema = z
  .object({
    balanceMicros: z.int(),
    accumulatingMicros: z.int(),
    burnRateMicrosPerHour: z.int(),
    hoursRemaining: z.number().nullable().openapi({ description: 'null when the burn rate is 0' }),
    updatedAt: z.string(),
  })
  .openapi('CreditSummary');

export const AutoTopupSchema = z
  .object({
    enabled: z.boolean(),
    thresholdCents: z.int(),
    topupAmountCents: z.int(),
    paymentMethod: z.object({ brand: z.string(), last4: z.string() }).nullable(),
  })
  .openapi('AutoTopup');

export const WorkspaceSchema = z
  .object({ id: z.string(), name: z.string(), createdAt: z.string() })
  .openapi('Workspace');

export const MemberSchema = z
  .object({ id: z.string(), workspaceId: z.string(), name: z.string(), email: z.string(), role: RoleSchema, createdAt: z.string() })
  .openapi('Member');

// --- shared response sets --------------------------------------------------------------------

const errorContent = { 'application/json': { schema: ErrorSchema } };
export const errorResponses = (...statuses: Array<400 | 401 | 402 | 403 | 404 | 409 | 429 | 503>) =>
  Object.fromEntries(statuses.map((s) => [s, { description: errorDescriptions[s], content: errorContent }]));

const errorDescriptions: Record<number, string> = {
  400: 'invalid_request: a body, query or path value failed validation',
  401: 'unauthenticated',
  402: 'insufficient_credits',
  403: 'forbidden: the role may not do this',
  404: 'not_found',
  409: 'idempotency_conflict: the id was used with a different body',
  429: 'rate_limited',
  503: 'stripe_unavailable',
};

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});
