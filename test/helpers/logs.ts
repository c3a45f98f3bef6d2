// The Worker's error log in tests. The Worker logs errors as one JSON line each
// (`console.error(JSON.stringify({ level: 'error', … }))`); many tests provoke them on purpose (a D1
// failure injected, a card declined, a ledger that contradicts its object). test/setup/captured_logs.ts
// captures those lines instead of printing them, so that a passing run prints no error line; a failing
// test prints what it captured. A test asserts the errors it expects with `expectLoggedError`.
import { expect } from 'vitest';

export interface LoggedError {
  /** The line as the Worker wrote it. */
  line: string;
  /** Its parsed fields (`level`, `msg`, `error`, …). */
  fields: Record<string, unknown>;
}

const captured: LoggedError[] = [];
let printError: ((...args: unknown[]) => void) | null = null;

/** The fields of a `console.error` call when it is one JSON line at level "error"; null otherwise. */
export function errorLogFields(args: unknown[]): Record<string, unknown> | null {
  if (args.length !== 1 || typeof args[0] !== 'string' || !args[0].startsWith('{')) return null;
  try {
    const fields: unknown = JSON.parse(args[0]);
    return fields && typeof fields === 'object' && (fields as { level?: unknown }).level === 'error' ? (fields as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** From now on, error-level JSON lines are kept here rather than printed; anything else still prints. */
export function captureErrorLogs(): void {
  if (printError) return;
  const original = console.error.bind(console);
  printError = original;
  console.error = (...args: unknown[]) => {
    const fields = errorLogFields(args);
    if (fields) captured.push({ line: args[0] as string, fields });
    else original(...args);
  };
}

/** How many lines have been captured so far: a mark to read from with `loggedErrorsSince`. */
export const errorLogMark = (): number => captured.length;

/** The error lines captured since `mark`. */
export const loggedErrorsSince = (mark: number): LoggedError[] => captured.slice(mark);

/** Prints lines as the Worker wrote them (for a failed test, or with TEST_SHOW_LOGS set). */
export function printErrorLogs(lines: LoggedError[], heading: string): void {
  if (lines.length === 0) return;
  const print = printError ?? console.error;
  print(`${heading}\n${lines.map((l) => l.line).join('\n')}`);
}

/**
 * Waits (up to `timeoutMs`: some errors are logged by the ledger object after the answer) for an
 * error line whose text matches `pattern`, captured since `mark` (default: since the test began),
 * and returns it.
 */
export async function expectLoggedError(pattern: RegExp, { mark = testStartMark, timeoutMs = 5_000 } = {}): Promise<LoggedError> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = loggedErrorsSince(mark).find((l) => pattern.test(l.line));
    if (found) return found;
    if (Date.now() >= deadline) {
      expect.fail(`no error line matching ${pattern} was logged; logged: ${JSON.stringify(loggedErrorsSince(mark).map((l) => l.fields.msg ?? l.fields.error))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let testStartMark = 0;
/** Called by the setup before each test. */
export function markTestStart(): number {
  testStartMark = captured.length;
  return testStartMark;
}
