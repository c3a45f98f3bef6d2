import { createRoute, z } from '@hono/zod-openapi';
import { transactionStatuses, transactionTypes } from '../../../schema/tables';
import { requireApiKey } from '../../auth/require_api_key';
import { historyCsvFilename, historyCsvHeaders, historyCsvStream } from '../../billing/history_csv';
import { EX } from '../../openapi/examples';
import { errorResponses } from '../../openapi/schemas';
import type { Router } from '../router';

const HistoryCsvQuery = z.object({
  type: z.enum(transactionTypes).optional().openapi({ description: 'Only transactions of this type.', example: 'deposit' }),
  status: z.enum(transactionStatuses).optional().openapi({ description: 'Only transactions in this status.', example: 'completed' }),
});

const csvExample = [
  'id,created_at,type,status,description,amount_credits,balance_after_credits,forgiven_credits,invoice_url',
  `${EX.transactionId},2026-11-21T10:00:00.000Z,usage,completed,Usage 2026-11-21 09:00–10:00 UTC,-0.412300,18.734500,0.000000,`,
  `${EX.depositTransactionId},2026-11-20T16:05:00.000Z,deposit,completed,"Credit top-up ($25.00)",25.000000,19.146800,0.000000,https://invoice.stripe.com/i/acct_1/test_inv`,
  '',
].join('\r\n');

export const getHistoryCsvRoute = createRoute({
  method: 'get',
  path: '/v1/billing/credits/history.csv',
  operationId: 'downloadTransactionsCsv',
  tags: ['Billing'],
  summary: 'The whole ledger as a CSV download',
  description: [
    'One row per stored transaction, newest first, after a header row; the same `type` and `status` filters as the JSON history, no paging (the answer is streamed).',
    'Amounts are credits with 6 decimals (`-0.412300` is −412,300 micros), times are ISO 8601 UTC.',
    'The open hour\'s `accumulating` usage is **not** included: it is not a ledger entry yet and becomes one `usage` row when the hour settles, so the `completed` amounts of an export sum to the balance change it covers.',
    'Text cells that start with `=`, `+`, `-` or `@` are prefixed with `\'` so that a spreadsheet shows them instead of running them as formulas.',
  ].join(' '),
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: { query: HistoryCsvQuery },
  responses: {
    200: {
      description: 'The CSV file (`Content-Disposition: attachment`).',
      content: { 'text/csv': { schema: z.string().openapi({ description: 'RFC 4180 CSV, CRLF line ends, UTF-8.' }), example: csvExample } },
    },
    ...errorResponses(['invalid_request', 'type: Invalid option: expected one of "deposit"|"usage"|"auto_recharge"|"refund"|"adjustment"'], 'unauthenticated', 'rate_limited'),
  },
});

export const registerHistoryCsvRoute = (app: Router) =>
  app.openapi(getHistoryCsvRoute, (c) => {
    const filters = c.req.valid('query');
    const { workspaceId } = c.get('auth');
    const filename = historyCsvFilename(workspaceId, filters, Date.now());
    return c.body(historyCsvStream(c.env, workspaceId, filters), 200, historyCsvHeaders(filename));
  });
