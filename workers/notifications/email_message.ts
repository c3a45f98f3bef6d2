// The text of an alert email: plain and short, the figures of the event and a link to the
// dashboard. Composed once per (event, admin) when its row is written (email_fan_out.ts), so every
// attempt sends the same message.
import { formatCents, formatMicros } from '../dashboard/format';

export interface EmailContent {
  subject: string;
  text: string;
}

const HEADLINES: Record<string, { subject: string; line: string }> = {
  'balance.threshold_crossed': { subject: 'balance below your alert threshold', line: 'Your balance has fallen below one of your alert thresholds.' },
  'balance.depleted': {
    subject: 'balance is zero',
    line: 'Your balance has reached zero: running instances are stopped and volumes are inaccessible until credits are added.',
  },
  'balance.recovered': { subject: 'balance restored', line: 'Credits were added and your balance is above zero again.' },
  'instance.termination_scheduled': {
    subject: 'instances will stop soon',
    line: 'At the current burn rate your balance runs out soon, and your running instances will then be stopped.',
  },
  'instance.termination_cancelled': { subject: 'instance stop cancelled', line: 'Your running instances are no longer about to be stopped.' },
  'auto_recharge.failed': { subject: 'auto-recharge declined', line: 'An auto-recharge payment was declined.' },
  'auto_recharge.action_required': {
    subject: 'confirm your auto-recharge',
    line: 'Your bank wants you to confirm an auto-recharge payment (3-D Secure) before the credits are added.',
  },
  // Not emailed; named for the dashboard's recent alerts.
  'balance.low': { subject: 'balance is low', line: 'Your balance will run out within the low-balance horizon.' },
  'auto_recharge.limit_reached': { subject: 'auto-recharge monthly limit reached', line: "This month's auto-recharge limit stopped or cut a payment." },
};

/** A notification type as a short phrase (`auto-recharge declined`), for lists. */
export const alertTitle = (type: string): string => HEADLINES[type]?.subject ?? type;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Hours to one decimal, rounded down (never promising more time than there is). */
const hoursText = (hours: number) => `${Math.floor(Math.max(0, hours) * 10) / 10} hours`;

function thresholdText(threshold: unknown): string | null {
  if (!threshold || typeof threshold !== 'object') return null;
  const t = threshold as Record<string, unknown>;
  if (isInt(t.balanceCents)) return `Threshold: balance below ${formatCents(t.balanceCents)}`;
  if (isNumber(t.hoursRemaining)) return `Threshold: less than ${hoursText(t.hoursRemaining)} remaining`;
  return null;
}

/** The figures the event carries, one per line, in the order people read them. */
export function alertFigures(data: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const threshold = thresholdText(data.threshold);
  if (threshold) lines.push(threshold);
  if (isInt(data.balanceMicros)) lines.push(`Balance: ${formatMicros(data.balanceMicros)}`);
  if (isNumber(data.hoursRemaining)) lines.push(`Hours remaining: ${hoursText(data.hoursRemaining)}`);
  if (typeof data.predictedAt === 'string') lines.push(`Predicted to run out at: ${data.predictedAt.slice(0, 16).replace('T', ' ')} UTC`);
  if (Array.isArray(data.instanceIds)) lines.push(`Instances: ${data.instanceIds.length}${data.instanceIds.length ? ` (${data.instanceIds.slice(0, 10).join(', ')}${data.instanceIds.length > 10 ? ', …' : ''})` : ''}`);
  if (isInt(data.attempt)) lines.push(`Attempt: ${data.attempt} of 3`);
  if (typeof data.declineCode === 'string' && data.declineCode) lines.push(`Decline code: ${data.declineCode}`);
  if (data.disabled === true) lines.push('Auto-recharge is now turned off; turn it on again from the dashboard once the card is fixed.');
  if (typeof data.actionUrl === 'string') lines.push(`Confirm the payment: ${data.actionUrl}`);
  if (typeof data.transactionId === 'string') lines.push(`Transaction: ${data.transactionId}`);
  return lines;
}

/** The email about one event of one workspace; `dashboardUrl` null when PUBLIC_BASE_URL is unset. */
export function composeAlertEmail(type: string, data: Record<string, unknown>, workspaceName: string, dashboardUrl: string | null): EmailContent {
  const headline = HEADLINES[type] ?? { subject: type, line: `Notification: ${type}.` };
  const text = [
    `${headline.line}`,
    '',
    `Workspace: ${workspaceName}`,
    ...alertFigures(data),
    '',
    ...(dashboardUrl ? [`Dashboard: ${dashboardUrl}`, ''] : []),
    'You receive this because you are an admin of this burnrate workspace and its alerts are set to email admins.',
  ].join('\n');
  // One line: a name with a line break must not be able to add a header.
  const subject = `burnrate: ${headline.subject} (${workspaceName})`.replace(/[\r\n]+/g, ' ').slice(0, 200);
  return { subject, text };
}
