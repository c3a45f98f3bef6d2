// @burnrate/sdk: the public billing client, the internal client, typed errors, webhook verification
// and the API's types (generated from the service's OpenAPI document).
export { Burnrate, type BurnrateOptions } from './client.js';
export { BillingApi, AlertsApi, AutoTopupApi, PaymentMethodsApi, SpendLimitsApi, type HistoryAllQuery, type MyUsageOptions, type TopupOptions } from './billing.js';
export { BurnrateInternal, type BurnrateInternalOptions } from './internal.js';
export { BurnrateError, type BurnrateErrorCode } from './errors.js';
export { defaultRetryDelayMs, type RetryDelay } from './retry.js';
export type { FetchLike, TransportOptions } from './transport.js';
export { newIdempotencyKey } from './ids.js';
export {
  verifyWebhookSignature,
  BurnrateWebhookError,
  WEBHOOK_SIGNATURE_HEADER,
  type VerifyWebhookOptions,
  type WebhookFailureReason,
} from './webhook.js';
export type * from './types.js';
export type { components, paths } from './generated/api.js';
