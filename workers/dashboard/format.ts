// Display formatting for the dashboard. Money stays integer micros until this last step, and the
// step itself uses integer arithmetic only (no floats near money, even for display).

const withThousands = (whole: number) => whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

// The precision rule: every amount the dashboard shows in a column or a tile has exactly two
// decimals, rounded half up to the cent (`$1,234.57`, `-$0.82`); so a column of amounts never mixes
// precisions. An amount that is not zero but rounds to zero cents shows as `<$0.01` rather than as
// a misleading `$0.00`. The exact amount, to the micro, is one hover away (formatMicrosExact, in
// the element's title) and in the CSV. Rates and chart ticks, which are not sums of money but
// scales, use formatMicrosPrecise: two decimals, or up to six when a cent is too coarse.

const dollarsOfCents = (cents: number) => `${withThousands(Math.floor(cents / 100))}.${(cents % 100).toString().padStart(2, '0')}`;

/** An amount to the cent, half up: `$1,234.57`; a non-zero amount under half a cent is `<$0.01`. */
export function formatMicros(micros: number, options: { signed?: boolean } = {}): string {
  const abs = Math.abs(micros);
  const sign = micros < 0 ? '-' : options.signed && micros > 0 ? '+' : '';
  const cents = Math.floor((abs + 5_000) / 10_000);
  if (cents === 0 && abs > 0) return `${sign}<$0.01`;
  return `${sign}$${dollarsOfCents(cents)}`;
}

/** The exact amount, to the micro, always six decimals: `$0.001234`, `-$1,234.565000`. */
export function formatMicrosExact(micros: number, options: { signed?: boolean } = {}): string {
  const abs = Math.abs(micros);
  const sign = micros < 0 ? '-' : options.signed && micros > 0 ? '+' : '';
  return `${sign}$${withThousands(Math.floor(abs / 1_000_000))}.${(abs % 1_000_000).toString().padStart(6, '0')}`;
}

/** A rate or a scale: two decimals, more (up to six) only when the amount is not whole cents: `$0.0055`. */
export function formatMicrosPrecise(micros: number): string {
  const abs = Math.abs(micros);
  const sign = micros < 0 ? '-' : '';
  const fraction = (abs % 1_000_000).toString().padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${sign}$${withThousands(Math.floor(abs / 1_000_000))}.${fraction}`;
}

/**
 * Micros per hour as people read a rate: whole cents with two decimals (`$0.82/hour`), anything
 * else half up to four (`$0.0415/hour`, `$0.0055/hour`), the precision a storage rate needs.
 */
export function formatRate(microsPerHour: number): string {
  if (microsPerHour % 10_000 === 0) return `${formatMicros(microsPerHour)}/hour`;
  const tenThousandths = Math.floor((Math.abs(microsPerHour) + 50) / 100);
  return `${microsPerHour < 0 ? '-' : ''}$${withThousands(Math.floor(tenThousandths / 10_000))}.${(tenThousandths % 10_000).toString().padStart(4, '0')}/hour`;
}

/**
 * When a balance runs out, `hoursRemaining` after `nowMs`: `14:32 UTC` on the same UTC day,
 * `2026-12-08 14:32 UTC` later. Null when nothing will bring it to zero.
 */
export function formatRunsOutAt(nowMs: number, hoursRemaining: number | null): string | null {
  if (hoursRemaining === null) return null;
  const at = new Date(nowMs + Math.max(0, Math.floor(hoursRemaining * 3_600_000))).toISOString();
  const now = new Date(nowMs).toISOString();
  return at.slice(0, 10) === now.slice(0, 10) ? `${at.slice(11, 16)} UTC` : `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
}

export const formatCents = (cents: number) => `$${dollarsOfCents(cents)}`;

/** Cents as the plain number a form field shows: `25.00`. */
export const centsToField = (cents: number) => `${Math.floor(cents / 100)}.${(cents % 100).toString().padStart(2, '0')}`;

/** Hours remaining as days and hours (`3 d 4 h`), minutes below an hour; null means no burn. */
export function formatHoursRemaining(hours: number | null): string {
  if (hours === null) return 'No burn';
  if (hours < 1) return `${Math.max(0, Math.floor(hours * 60))} min`;
  const whole = Math.floor(hours);
  const days = Math.floor(whole / 24);
  const rest = whole % 24;
  return days > 0 ? `${days} d ${rest} h` : `${rest} h`;
}

export const formatDateTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `21 Dec` (UTC), with the year when it is not the year of `nowIso`. */
export function formatDay(iso: string, nowIso: string = new Date().toISOString()): string {
  const day = `${Number(iso.slice(8, 10))} ${MONTHS[Number(iso.slice(5, 7)) - 1]}`;
  return iso.slice(0, 4) === nowIso.slice(0, 4) ? day : `${day} ${iso.slice(0, 4)}`;
}

export const formatInteger = (n: number) => withThousands(Math.round(n));

/** A usage quantity (tokens, hours, GB-hours): thousands separated, up to 3 decimals, no trailing zeros. */
export function formatQuantity(n: number): string {
  const thousandths = Math.round(Math.abs(n) * 1000);
  const fraction = (thousandths % 1000).toString().padStart(3, '0').replace(/0+$/, '');
  return `${n < 0 ? '-' : ''}${withThousands(Math.floor(thousandths / 1000))}${fraction ? `.${fraction}` : ''}`;
}

/** A line's quantity for people: storage in GB-hours rather than byte-seconds, time rounded to seconds. */
export function formatLineQuantity(quantity: number, unit: string): string {
  if (unit === 'byte_seconds') return `${formatQuantity(quantity / 3_600_000_000_000)} GB-hours`;
  if (unit === 'seconds') return `${formatQuantity(Math.round(quantity))} seconds`;
  return `${formatQuantity(quantity)} ${unit}`;
}

export const formatSeconds = (seconds: number) => {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3_600)} h ${Math.floor((seconds % 3_600) / 60)} min`;
};

/**
 * Dollars typed into a form (`25`, `25.5`, `$1,000.00`) as whole cents, or null when it is not an
 * amount. Parsed as text, so `0.1 + 0.2` never happens.
 */
export function parseDollarsToCents(text: string): number | null {
  const cleaned = text.trim().replace(/^\$/, '').replaceAll(',', '');
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

const BRANDS: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover', jcb: 'JCB', diners: 'Diners Club', unionpay: 'UnionPay' };

/** A saved card as people read it: `Visa •••• 4242`. */
export const formatCard = (card: { brand: string; last4: string }) => `${BRANDS[card.brand] ?? card.brand} •••• ${card.last4}`;
