// What `npm start` does with wrangler's output. By default all of it goes to a log file and the
// terminal shows only burnrate's banner (and any error line, so that a failing request is not
// silent); with --verbose it is streamed too, minus wrangler's hint to fire the cron at
// `/cdn-cgi/local/scheduled`: that route runs it at the wall clock, which settles nothing of the
// open hour, and burnrate's own `/__scheduled?time=` (in the banner) is the one to use.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const HINT_START = /Scheduled Workers are not automatically triggered/;
const HINT_END = /cron-triggers\/#test-cron-triggers-locally/;
const ERROR_LINE = /"level":"error"|\[ERROR\]/;

export const plain = (line) => line.replace(ANSI, '');

/** Splits a stream of text chunks into lines: `push(chunk)` calls `onLine` per complete line. */
export function lineSplitter(onLine) {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) onLine(line);
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/** `keep(line)` is false for the lines of wrangler's scheduled-event hint, true for the rest. */
export function hintFilter() {
  let inHint = false;
  return (line) => {
    const text = plain(line);
    if (!inHint && HINT_START.test(text)) inHint = true;
    if (!inHint) return true;
    if (HINT_END.test(text)) inHint = false;
    return false;
  };
}

/** An error a person should see even while wrangler's output goes to the log. */
export const isErrorLine = (line) => ERROR_LINE.test(plain(line));

/** The last `count` lines of a log, for a start that failed. */
export function tail(text, count) {
  return text.replace(/\n+$/, '').split('\n').slice(-count).join('\n');
}
