// Settings of the emulator: explicit options, else the environment, else the dev defaults that
// match burnrate's `npm start` (see ../shared/CONTRACT.md, "Running locally").

/** The API version of stripe-node 23, stamped on events. */
export const API_VERSION = '2026-10-28.endive';

/**
 * @typedef {object} EmulatorOptions
 * @property {string} [host] interface to listen on (127.0.0.1)
 * @property {number} [port] 12111; 0 picks a free port
 * @property {string | null} [webhookUrl] where events are POSTed; null or '' sends none
 * @property {string} [webhookSecret] signs webhooks (whsec_…)
 * @property {number} [webhookMaxAttempts] deliveries per event before giving up (5)
 * @property {number} [webhookRetryDelayMs] delay before the first retry, doubling after (500)
 * @property {number} [webhookTimeoutMs] how long one delivery may take (10000)
 * @property {string} [publicUrl] base of the URLs the emulator hands out (http://host:port)
 * @property {string} [apiVersion] stamped on events
 * @property {number} [expirySweepMs] how often open Checkout Sessions past expires_at are expired (1000)
 * @property {(line: string) => void} [log] one line per API request and webhook delivery
 */

/** @type {Required<Omit<EmulatorOptions, 'publicUrl' | 'log'>>} */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 12111,
  webhookUrl: 'http://127.0.0.1:8787/v1/stripe/webhook',
  webhookSecret: 'whsec_dev_burnrate_local',
  webhookMaxAttempts: 5,
  webhookRetryDelayMs: 500,
  webhookTimeoutMs: 10_000,
  apiVersion: API_VERSION,
  expirySweepMs: 1000,
};

/**
 * Options named by environment variables.
 * @param {Record<string, string | undefined>} env
 * @returns {EmulatorOptions}
 */
export function optionsFromEnv(env) {
  /** @type {EmulatorOptions} */
  const options = {};
  if (env.STRIPE_EMULATOR_PORT) options.port = integerFrom(env.STRIPE_EMULATOR_PORT, 'STRIPE_EMULATOR_PORT');
  if (env.BURNRATE_WEBHOOK_URL !== undefined) options.webhookUrl = env.BURNRATE_WEBHOOK_URL;
  if (env.STRIPE_WEBHOOK_SECRET) options.webhookSecret = env.STRIPE_WEBHOOK_SECRET;
  if (env.STRIPE_EMULATOR_WEBHOOK_ATTEMPTS) {
    options.webhookMaxAttempts = integerFrom(env.STRIPE_EMULATOR_WEBHOOK_ATTEMPTS, 'STRIPE_EMULATOR_WEBHOOK_ATTEMPTS');
  }
  if (env.STRIPE_EMULATOR_WEBHOOK_RETRY_MS) {
    options.webhookRetryDelayMs = integerFrom(env.STRIPE_EMULATOR_WEBHOOK_RETRY_MS, 'STRIPE_EMULATOR_WEBHOOK_RETRY_MS');
  }
  if (env.STRIPE_EMULATOR_PUBLIC_URL) options.publicUrl = env.STRIPE_EMULATOR_PUBLIC_URL;
  return options;
}

/**
 * @param {EmulatorOptions} options explicit options win over the environment
 * @param {Record<string, string | undefined>} env
 */
export function resolveOptions(options, env) {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const merged = { ...DEFAULTS, ...optionsFromEnv(env), ...defined };
  if (merged.webhookMaxAttempts < 1) throw new Error('webhookMaxAttempts must be at least 1');
  return /** @type {typeof DEFAULTS & EmulatorOptions} */ (merged);
}

/**
 * @param {string} value
 * @param {string} name
 */
function integerFrom(value, name) {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return parsed;
}
