// The zod schemas that validate requests and describe responses; /openapi.json is generated from them.
import { z } from '@hono/zod-openapi';
import { creditCategories, creditSources, transactionStatuses, transactionTypes } from '../../schema/tables';
import { MAX_ENTRY_MICROS } from '../lib/money';
import { isPlainText, PLAIN_TEXT_MESSAGE, plainText } from './plain_text';
import { REGIONS } from '../regions/regions';
import { autoTopupExample, creditBlockExample, creditSummaryExample, EX, memberExample, transactionExample, workspaceExample } from './examples';

// Only descriptions and examples are added with .openapi(): they never change what is accepted.
export { ErrorSchema } from './error_schema';
export { errorResponses } from './error_responses';

// --- building blocks -------------------------------------------------------------------------

export const IdempotencyIdSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_\-:.]*$/, 'must be letters, digits, and _ - : . (starting with a letter or digit)')
  .openapi({
    description:
      'Your id for this mutation; also its idempotency key. The same id with the same body answers the original result; with another body, 409 idempotency_conflict.',
    example: 'deduct-7f3a',
  });

/** The optional Idempotency-Key header of the create routes, validated like a body id. */
export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': IdempotencyIdSchema.optional().openapi({
    description: 'Alternative to the body `id` (the body wins when both are sent). Replays within 24 hours answer the original result.',
    example: 'create-acme-2026-11',
  }),
});

export const WorkspaceIdSchema = z
  .string()
  .regex(/^ws_[A-Za-z0-9_]{1,64}$/, 'must be a workspace id (ws_…)')
  .openapi({ description: 'A workspace id (ws_…).', example: EX.workspaceId });

export const MemberIdSchema = z
  .string()
  .regex(/^mem_[A-Za-z0-9_]{1,64}$/, 'must be a member id (mem_…)')
  .openapi({ description: 'A member id (mem_…).', example: EX.memberId });
export const ApiKeyIdSchema = z
  .string()
  .regex(/^key_[A-Za-z0-9_]{1,64}$/, 'must be an API key id (key_…)')
  .openapi({ description: 'An API key id (key_…), not the key itself.', example: EX.apiKeyId });
export const TransactionIdSchema = z
  .string()
  .regex(/^txn_[A-Za-z0-9_]{1,64}$/, 'must be a transaction id (txn_…)')
  .openapi({ description: 'A transaction id (txn_…).', example: EX.transactionId });

// Free text: one line of printable Unicode (see plain_text.ts); the refusal names the field.
export const DescriptionSchema = plainText().trim().min(1).max(500).openapi({ description: 'One line of text: no control characters, bidi overrides or unpaired surrogates.', example: 'GPU snapshot export' });
export const NameSchema = plainText().trim().min(1).max(200).openapi({ description: 'One line of text: no control characters, bidi overrides or unpaired surrogates.', example: 'Acme Robotics' });
export const EmailSchema = z.email().max(320).refine(isPlainText, { message: PLAIN_TEXT_MESSAGE }).openapi({ example: 'ada@acme.example' });
export const RoleSchema = z.enum(['admin', 'member']);

/** A positive whole number of micro-credits no larger than one movement may be. */
export const PositiveMicrosSchema = z
  .int()
  .min(1)
  .max(MAX_ENTRY_MICROS)
  .openapi({ description: 'Micro-credits (1 credit = 1 USD = 1,000,000 micros), a positive integer.', example: 500_000 });

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
    id: z.string().openapi({ description: 'txn_…; the open hour\'s row is txn_accumulating_….', example: EX.transactionId }),
    createdAt: z.string().openapi({ description: 'ISO-8601 UTC.', example: EX.createdAt }),
    type: z.enum(transactionTypes).openapi({
      description:
        'deposit (Checkout or saved-card top-up), usage (hourly settlement or a deduction), auto_recharge (off-session card payment), refund, dispute, adjustment (grant or correction), grant (a credit block given by the platform), expiration (what was left of a credit block when it expired or its grant was voided).',
    }),
    description: z.string(),
    amountMicros: z.int().openapi({ description: 'Micro-credits, signed: positive in, negative out.', example: -412_300 }),
    status: z.enum(transactionStatuses).openapi({
      description: 'pending until Stripe confirms a payment; accumulating for the open hour\'s usage (not stored, moves every second).',
    }),
    invoiceUrl: z.string().nullable().openapi({ description: 'Stripe-hosted invoice of a paid deposit or recharge; null otherwise.' }),
    balanceAfterMicros: z.int().nullable().openapi({ description: 'Settled balance right after this entry, in micros; null while pending or accumulating.' }),
    forgivenMicros: z.int().openapi({ description: 'Micros that the balance could not cover and were not charged (no debt).' }),
    actionUrl: z.string().nullable().optional().openapi({ description: 'A pending auto-recharge waiting for the customer (3-D Secure): the page where they complete it; null otherwise.' }),
  })
  .openapi('Transaction', { description: 'One ledger entry.', example: transactionExample });

export const CreditSummarySchema = z
  .object({
    balanceMicros: z.int().openapi({ description: 'What the workspace can spend now, in micros: settled balance minus the open hour\'s usage. Never below 0.' }),
    accumulatingMicros: z.int().openapi({ description: 'Usage of the open (not yet settled) hour so far, in micros.' }),
    burnRateMicrosPerHour: z.int().openapi({ description: 'Current spend rate (running instances and volumes), micros per hour.' }),
    hoursRemaining: z.number().nullable().openapi({
      description: 'Hours until the balance reaches 0 at the current burn rate, counting the scheduled expiries of credit blocks (holds aside); null when nothing will bring it to 0.',
    }),
    paidMicros: z.int().openapi({ description: 'Unspent paid credit (deposits, auto-recharges), in micros.' }),
    promotionalMicros: z.int().openapi({ description: 'Unspent promotional credit (grants, positive adjustments), in micros.' }),
    heldMicros: z.int().openapi({ description: 'Reserved by active holds (POST /internal/v1/holds), already taken out of balanceMicros.' }),
    nextExpiry: z
      .object({ at: z.string().openapi({ description: 'ISO-8601 UTC.' }), amountMicros: z.int().openapi({ description: 'What the blocks expiring then hold now.' }) })
      .nullable()
      .openapi({ description: 'The soonest expiry of a credit block; null when none expires.' }),
    updatedAt: z.string().openapi({ description: 'ISO-8601 UTC time of this figure.' }),
  })
  .openapi('CreditSummary', { description: 'Balance and burn rate. 1 credit = 1 USD = 1,000,000 micros.', example: creditSummaryExample });

export const CreditBlockSchema = z
  .object({
    id: z.string().openapi({ description: 'blk_…' }),
    category: z.enum(creditCategories).openapi({ description: 'paid (deposits, auto-recharges, reinstated disputes) or promotional (grants by default, positive adjustments).' }),
    source: z.enum(creditSources),
    transactionId: z.string().openapi({ description: 'The transaction that brought the credit in.' }),
    amountMicros: z.int().openapi({ description: 'What the block held when it was made.' }),
    remainingMicros: z.int().openapi({ description: 'What it holds now: its amount less everything drawn from it.' }),
    priority: z.int().openapi({ description: '0–100; lower is spent first.' }),
    expiresAt: z.string().nullable().openapi({ description: 'ISO-8601 UTC; null: never expires.' }),
    createdAt: z.string(),
  })
  .openapi('CreditBlock', {
    description:
      'Credit that entered the workspace. Debits take from blocks in burn-down order: lower priority first, then the soonest expiry (never-expiring last), then promotional before paid, then the oldest.',
    example: creditBlockExample,
  });

export const FundingSchema = z
  .object({ blockId: z.string(), category: z.enum(creditCategories), amountMicros: z.int().openapi({ description: 'What the block paid, in micros (positive).' }) })
  .openapi('Funding', { description: 'One credit block\'s part in paying for a debit.' });

export const AutoTopupSchema = z
  .object({
    enabled: z.boolean(),
    thresholdCents: z.int().openapi({ description: 'Recharge when the balance falls below this many US cents (1 cent = 10,000 micros).' }),
    topupAmountCents: z.int().openapi({ description: 'US cents charged to the saved card per recharge.' }),
    paymentMethod: z
      .object({ brand: z.string(), last4: z.string() })
      .nullable()
      .openapi({ description: 'The default saved card (see /v1/billing/payment-methods), charged by auto-recharge; null while none is saved.' }),
    mode: z.enum(['fixed', 'target']).openapi({ description: 'fixed: each recharge charges topupAmountCents; target: one payment that brings the balance up to targetCents (at least 500 cents).' }),
    targetCents: z.int().nullable().openapi({ description: 'The balance a target-mode recharge aims for, in US cents; above thresholdCents. Null when not set.' }),
    monthlyLimitCents: z.int().nullable().openapi({ description: 'Cap on auto-recharge payments per UTC month, in US cents (at least 500); null = no cap.' }),
    spentThisMonthCents: z.int().openapi({ description: 'Auto-recharge payments of this UTC month that completed or are still pending, in US cents (what counts toward monthlyLimitCents).' }),
  })
  .openapi('AutoTopup', { description: 'Automatic recharge settings: one off-session payment per threshold crossing.', example: autoTopupExample });

export const RegionSchema = z.enum(REGIONS).openapi('Region', {
  description: 'A region (a Durable Objects location hint): wnam, enam, sam, weur, eeur, apac, oc, afr, me.',
  example: 'weur',
});

export const WorkspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    homeRegion: RegionSchema.openapi({ description: 'Where the workspace\'s ledger lives; requests from other regions are answered near the caller while its escrow lease covers them (docs/regions.md).' }),
  })
  .openapi('Workspace', { example: workspaceExample });

export const MemberSchema = z
  .object({ id: z.string(), workspaceId: z.string(), name: z.string(), email: z.string(), role: RoleSchema, createdAt: z.string() })
  .openapi('Member', { description: 'A person in a workspace; admins may top up and change auto-top-up.', example: memberExample });

// --- request and response wrappers -----------------------------------------------------------

/** A required JSON body; the example is what the reference shows as the request. */
export const jsonBody = <T extends z.ZodType>(schema: T, example?: z.input<T>, description?: string) => ({
  required: true,
  description,
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});

/** A JSON answer; the example is what the reference shows as the response. */
export const jsonResponse = <T extends z.ZodType>(description: string, schema: T, example?: z.output<T>) => ({
  description,
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});
