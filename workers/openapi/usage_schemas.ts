// The usage report of GET /v1/billing/my-usage (and the dashboard): the zod schemas are the one
// definition; the types the code builds are inferred from them.
import { z } from '@hono/zod-openapi';
import { EX, usageRowExample } from './examples';

export const usagePeriods = ['current', '7d', '30d', 'all_time'] as const;
export type UsagePeriod = (typeof usagePeriods)[number];

const Micros = z.int().openapi({ description: 'Micro-credits (1 credit = 1,000,000 micros).' });

export const UsageRowSchema = z
  .object({
    tokens: z.object({ input: z.int(), output: z.int(), total: z.int() }),
    modelUsage: z.array(z.object({ model: z.string(), inputTokens: z.int(), outputTokens: z.int(), totalTokens: z.int(), costMicros: Micros })),
    sandboxRuntime: z.object({
      settledSeconds: z.int(),
      pendingSeconds: z.int(),
      forgivenSeconds: z.int(),
      activeSeconds: z.int(),
      settledMicros: Micros,
      pendingMicros: Micros,
      forgivenMicros: Micros,
      activeEstimateMicros: Micros,
    }),
    storageUsage: z.object({ byteSeconds: z.int(), costMicros: Micros }),
    toolExecutions: z.object({ count: z.int(), costMicros: Micros }),
    resourceCharges: z.array(z.object({ description: z.string(), amountMicros: Micros, createdAt: z.string() })),
    totalMicros: Micros,
  })
  .openapi('UsageRow', {
    description:
      'One person\'s (or the workspace\'s) usage over the period. Runtime seconds are split into settled, pending (closed hours not yet settled), forgiven (not charged for lack of credits) and active (the open hour so far, an estimate).',
    example: usageRowExample,
  });

export const MyUsageSchema = z
  .object({
    period: z.enum(usagePeriods),
    from: z.string(),
    to: z.string(),
    usage: UsageRowSchema,
    members: z.array(z.object({ memberId: z.string(), name: z.string(), usage: UsageRowSchema })).optional(),
    unattributed: UsageRowSchema.optional().openapi({ description: 'With all=true: usage reported without a memberId (the workspace\'s, no member\'s).' }),
    totals: UsageRowSchema.optional().openapi({ description: 'With all=true: the whole workspace, members + unattributed.' }),
  })
  .openapi('MyUsage', { example: { period: 'current', from: '2026-11-01T00:00:00.000Z', to: EX.now, usage: usageRowExample } });

export type UsageRow = z.infer<typeof UsageRowSchema>;
export type UsageReport = z.infer<typeof MyUsageSchema>;
