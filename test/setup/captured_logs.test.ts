// The Worker's error lines are captured in tests, not printed: a provoked error is still visible to
// the test that provokes it (expectLoggedError), and other console output is untouched.
import { describe, expect, it } from 'vitest';
import { errorLogFields, errorLogMark, expectLoggedError, loggedErrorsSince } from '../helpers/logs';

describe('captured error logs', () => {
  it('recognises the Worker’s error lines and nothing else', () => {
    expect(errorLogFields([JSON.stringify({ level: 'error', msg: 'boom' })])).toEqual({ level: 'error', msg: 'boom' });
    expect(errorLogFields([JSON.stringify({ level: 'info', msg: 'fine' })])).toBeNull();
    expect(errorLogFields(['{"level":"error"', 'two args'])).toBeNull();
    expect(errorLogFields(['not json at all'])).toBeNull();
    expect(errorLogFields([new Error('an Error object')])).toBeNull();
  });

  it('keeps an error line for the test instead of printing it', async () => {
    const mark = errorLogMark();
    console.error(JSON.stringify({ level: 'error', msg: 'provoked on purpose by this test' }));
    expect(loggedErrorsSince(mark).map((l) => l.fields.msg)).toEqual(['provoked on purpose by this test']);
    await expectLoggedError(/provoked on purpose/);
  });

  it('fails a test that expects an error nobody logged', async () => {
    await expect(expectLoggedError(/never logged/, { timeoutMs: 50 })).rejects.toThrow(/no error line matching/);
  });
});
