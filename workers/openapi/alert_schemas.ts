// Alerts in /openapi.json (CONTRACT.md "Alerts and warnings"): the body of PUT /v1/billing/alerts
// that validates them and the Alerts shape answered.
import { z } from '@hono/zod-openapi';
import { MAX_BALANCE_MICROS, MICROS_PER_CENT } from '../lib/money';

export const MAX_ALERT_THRESHOLDS = 5;
/** A balance threshold may be as high as any balance (its micros stay an exact safe integer). */
export const MAX_THRESHOLD_BALANCE_CENTS = MAX_BALANCE_MICROS / MICROS_PER_CENT;
/** Hours remaining up to a year ahead: further than any prediction the alarm trusts. */
export const MAX_THRESHOLD_HOURS = 8_760;
export const MAX_TERMINATION_WARNING_MINUTES = 1_440;
export const DEFAULT_TERMINATION_WARNING_MINUTES = 60;

export const alertsExample = {
  thresholds: [{ balanceCents: 2000 }, { hoursRemaining: 24 }],
  terminationWarningMinutes: 60,
  emailAdmins: true,
  updatedAt: '2026-11-21T10:00:00.000Z',
};

/**
 * One threshold: `{ balanceCents }` or `{ hoursRemaining }`, exactly one of them. One object with both
 * keys optional (rather than a union) so a bad value is named precisely (`thresholds.0.balanceCents`).
 */
const ThresholdSchema = z
  .object({
    balanceCents: z
      .int()
      .min(0)
      .max(MAX_THRESHOLD_BALANCE_CENTS)
      .optional()
      .openapi({ description: 'Fires when the balance falls below this many US cents (1 cent = 10,000 micros).', example: 2000 }),
    hoursRemaining: z
      .number()
      .min(0)
      .max(MAX_THRESHOLD_HOURS)
      .optional()
      .openapi({ description: 'Fires when hoursRemaining (as in CreditSummary) falls below this many hours.', example: 24 }),
  })
  .superRefine((t, ctx) => {
    const given = (t.balanceCents !== undefined ? 1 : 0) + (t.hoursRemaining !== undefined ? 1 : 0);
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of balanceCents or hoursRemaining' });
  })
  .openapi('AlertThreshold', { description: 'Exactly one of `balanceCents` or `hoursRemaining`.', example: { balanceCents: 2000 } });

export const AlertsBody = z
  .object({
    thresholds: z
      .array(ThresholdSchema)
      .max(MAX_ALERT_THRESHOLDS)
      .openapi({ description: `At most ${MAX_ALERT_THRESHOLDS}. Each fires balance.threshold_crossed once per downward crossing, re-armed when the balance (or hoursRemaining) rises back above it.` }),
    terminationWarningMinutes: z
      .int()
      .min(0)
      .max(MAX_TERMINATION_WARNING_MINUTES)
      .openapi({ description: `How long before the predicted zero crossing instance.termination_scheduled is sent (0–${MAX_TERMINATION_WARNING_MINUTES}; 0 = no warning).`, example: 60 }),
    emailAdmins: z.boolean().openapi({ description: 'Also send every alert and warning to the workspace\'s admins by email.' }),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.thresholds.forEach((t, i) => {
      const key = t.balanceCents !== undefined ? `b${t.balanceCents}` : `h${t.hoursRemaining}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['thresholds', i], message: 'the same threshold is listed twice' });
      seen.add(key);
    });
  });

export const AlertsSchema = z
  .object({
    thresholds: z.array(z.union([z.object({ balanceCents: z.int() }), z.object({ hoursRemaining: z.number() })])).openapi({ description: 'At most 5.' }),
    terminationWarningMinutes: z.int().openapi({ description: '0–1440; 0 = no termination warning. Default 60.' }),
    emailAdmins: z.boolean(),
    updatedAt: z.string().openapi({ description: 'When the settings were last changed (the workspace\'s creation while never changed).' }),
  })
  .openapi('Alerts', { description: 'Balance thresholds and the termination warning (see docs/alerts.md for the events).', example: alertsExample });
