import { env } from 'cloudflare:workers';
import { beforeEach } from 'vitest';
import { captureErrorLogs, loggedErrorsSince, markTestStart, printErrorLogs } from '../helpers/logs';

// The Worker's error-level JSON lines are captured, not printed (test/helpers/logs.ts): a passing run
// of `npm test` prints none, although many tests provoke errors on purpose. A test that fails prints
// the lines captured while it ran (and since the test before it ended: an object may log after its
// answer); TEST_SHOW_LOGS=1 prints them for every test.
captureErrorLogs();

beforeEach(({ task, onTestFailed }) => {
  const mark = markTestStart();
  const heading = `error lines the Worker logged during "${task.name}":`;
  onTestFailed(() => printErrorLogs(loggedErrorsSince(mark), heading));
  if (env.TEST_SHOW_LOGS) return () => printErrorLogs(loggedErrorsSince(mark), heading);
});
