import { z } from '@hono/zod-openapi';
import { transactionExample } from './examples';
import { FundingSchema, TransactionSchema } from './schemas';

export const TransactionLineSchema = z
  .object({
    kind: z.enum(['model', 'tool', 'charge', 'instance', 'volume']),
    description: z.string(),
    quantity: z.number().openapi({ description: 'How much was used, in `unit`.' }),
    unit: z.enum(['tokens', 'executions', 'charges', 'seconds', 'byte_seconds']),
    amountMicros: z.int().openapi({ description: 'What this line took from the balance, signed like the transaction (negative): the lines add up to its amountMicros.' }),
    forgivenMicros: z.int().openapi({ description: 'What the balance could not cover of this line (not charged).' }),
  })
  .openapi('TransactionLine', { description: 'One priced line of a settled hour (rounded once, halves up).' });

const lineExamples = [
  { kind: 'model' as const, description: 'claude-sonnet-4: 50,000 input + 10,000 output tokens', quantity: 60_000, unit: 'tokens' as const, amountMicros: -300_000, forgivenMicros: 0 },
  { kind: 'instance' as const, description: 'Instance res_00mwq8lds0sbx42instance0: 6 min 44 s', quantity: 404, unit: 'seconds' as const, amountMicros: -112_300, forgivenMicros: 0 },
];

const fundingExamples = [
  { blockId: 'blk_00mwq8lds0grant0000000000', category: 'promotional' as const, amountMicros: 312_300 },
  { blockId: 'blk_00mwq8lds0deposit00000000', category: 'paid' as const, amountMicros: 100_000 },
];

export const TransactionWithLinesSchema = TransactionSchema.extend({
  lines: z.array(TransactionLineSchema).optional().openapi({ description: 'Settled `usage` transactions only: the priced lines of the hour.' }),
  funding: z
    .array(FundingSchema)
    .optional()
    .openapi({ description: 'Debits only: the credit blocks that paid for it, in the order drawn; adds up to what was taken (the forgiven part aside).' }),
}).openapi('TransactionDetail', { example: { ...transactionExample, lines: lineExamples, funding: fundingExamples } });

export const transactionDetailExample = { ...transactionExample, lines: lineExamples, funding: fundingExamples };
