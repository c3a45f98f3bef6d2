// Display formatting for the dashboard. Money stays integer micros until this last step, and the
// step itself uses integer arithmetic only (no floats near money, even for display).

const withThousands = (whole: number) => whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** `$1,234.57` (half up to the cent); sub-cent amounts keep up to six decimals (`$0.001234`). */
export function formatMicros(micros: number, options: { signed?: boolean } = {}): string {
  const abs = Math.abs(micros);
  const sign = micros < 0 ? '-' : options.signed && micros > 0 ? '+' : '';
  if (abs > 0 && abs < 10_000) {
    const digits = abs.toString().padStart(6, '0').replace(/0+$/, '');
    return `${sign}$0.${digits.padEnd(4, '0')}`;
  }
  const cents = Math.floor((abs + 5_000) / 10_000);
  return `${sign}$${withThousands(Math.floor(cents / 100))}.${(cents % 100).toString().padStart(2, '0')}`;
}

export const formatCents = (cents: number) => `$${withThousands(Math.floor(cents / 100))}.${(cents % 100).toString().padStart(2, '0')}`;

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
