// Secret values anyone can read (in this repository, its README, its tests): fine for a local
// server that talks to the Stripe emulator, never for one that moves real money. This one list is
// used by `npm start` (scripts/start.mjs), which refuses to start with a real STRIPE_SECRET_KEY
// while one of them is in use, and by the Worker, which then refuses internal calls, Stripe webhooks
// and dashboard sessions (workers/auth/secret_policy.ts). Plain JavaScript so that both can import it.

/** The dev defaults `npm start` falls back to without a real Stripe key. */
export const DEV_SECRET_DEFAULTS = Object.freeze({
  INTERNAL_API_TOKEN: 'dev-internal-token',
  STRIPE_WEBHOOK_SECRET: 'whsec_dev_burnrate_local',
  PLATFORM_WEBHOOK_SECRET: 'dev-platform-webhook-secret',
});

/** Every published value: the dev defaults, and those of the test suites and the benchmark. */
const PUBLISHED = new Set([
  ...Object.values(DEV_SECRET_DEFAULTS),
  'test-internal-token',
  'whsec_test_burnrate',
  'e2e-internal-token',
  'bench-internal-token',
]);

/**
 * Whether a secret's value is unusable with real money: unset, empty, or published.
 * @param {string | undefined | null} value
 * @returns {boolean}
 */
export function isUnsafeSecret(value) {
  return !value || PUBLISHED.has(value.trim());
}

/**
 * The secrets a server with a real STRIPE_SECRET_KEY still lacks (unset or published), by name,
 * in the order to fix them. Empty when it is safe, or when there is no real Stripe key.
 * @param {Record<string, string | undefined>} env
 * @returns {string[]}
 */
export function unsafeSecretsForRealStripe(env) {
  if (!env.STRIPE_SECRET_KEY) return [];
  const names = ['INTERNAL_API_TOKEN', 'STRIPE_WEBHOOK_SECRET'];
  // Platform notifications are signed only when they have somewhere to go.
  if (env.PLATFORM_WEBHOOK_URL) names.push('PLATFORM_WEBHOOK_SECRET');
  // Optional (derived from INTERNAL_API_TOKEN when unset), but when set it must be a real secret.
  if (env.DASHBOARD_SESSION_SECRET) names.push('DASHBOARD_SESSION_SECRET');
  return names.filter((name) => isUnsafeSecret(env[name]));
}
