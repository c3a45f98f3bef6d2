// Webhook delivery: each event is POSTed to the configured URL, signed afresh for every attempt,
// and retried with doubling delays on a non-2xx answer or a network error, up to a bound. Every
// attempt is recorded so tests (and people) can see what was sent and what came back.
import { nowSeconds } from '../lib/clock.mjs';
import { signatureHeader } from './sign.mjs';

/**
 * @typedef {object} Attempt
 * @property {number} attempt 1-based within its run
 * @property {'automatic' | 'resend'} trigger
 * @property {string} at ISO time the attempt started
 * @property {number | null} status HTTP status, null when no answer
 * @property {string | null} error network error or timeout
 * @property {number} duration_ms
 *
 * @typedef {object} DeliveryRecord
 * @property {'pending' | 'delivered' | 'failed' | 'disabled' | 'paused' | 'dropped'} status of the latest run
 *   (`paused`: held back while delivery is paused; `dropped`: discarded when it resumed)
 * @property {Attempt[]} attempts every attempt of every run, oldest first
 */

/**
 * @param {object} settings
 * @param {string | null} settings.url
 * @param {string} settings.secret
 * @param {number} settings.maxAttempts
 * @param {number} settings.retryDelayMs
 * @param {number} settings.timeoutMs
 * @param {(line: string) => void} settings.log
 */
export function createDispatcher(settings) {
  /** @type {Map<string, DeliveryRecord>} */
  const records = new Map();
  const closing = new AbortController();
  /** @type {Set<Promise<void>>} */
  const running = new Set();
  /** While paused, new events wait here (oldest first) instead of being sent. */
  let paused = false;
  /** @type {Record<string, any>[]} */
  let held = [];

  /**
   * @param {Record<string, any>} event
   * @param {'automatic' | 'resend'} trigger
   * @returns {Promise<DeliveryRecord>}
   */
  async function run(event, trigger) {
    let record = records.get(event.id);
    if (!record) {
      record = { status: 'pending', attempts: [] };
      records.set(event.id, record);
    }
    if (!settings.url) {
      record.status = 'disabled';
      return record;
    }
    record.status = 'pending';
    const payload = JSON.stringify(event, null, 2);
    for (let attempt = 1; attempt <= settings.maxAttempts; attempt += 1) {
      if (closing.signal.aborted) return record;
      const result = await post(settings.url, payload, attempt, trigger);
      record.attempts.push(result);
      const ok = result.status !== null && result.status >= 200 && result.status < 300;
      settings.log(`webhook ${event.type} ${event.id} → ${result.status ?? result.error} (attempt ${attempt}/${settings.maxAttempts})`);
      if (ok) {
        record.status = 'delivered';
        return record;
      }
      if (attempt < settings.maxAttempts) {
        const delivered = await sleep(settings.retryDelayMs * 2 ** (attempt - 1));
        if (!delivered) return record;
      }
    }
    record.status = 'failed';
    return record;
  }

  /**
   * @param {string} url
   * @param {string} payload
   * @param {number} attempt
   * @param {'automatic' | 'resend'} trigger
   * @returns {Promise<Attempt>}
   */
  async function post(url, payload, attempt, trigger) {
    const started = Date.now();
    const at = new Date(started).toISOString();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signatureHeader(settings.secret, payload, nowSeconds()),
        },
        body: payload,
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(settings.timeoutMs)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { attempt, trigger, at, status: response.status, error: null, duration_ms: Date.now() - started };
    } catch (error) {
      const message = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      return { attempt, trigger, at, status: null, error: message, duration_ms: Date.now() - started };
    }
  }

  /**
   * @param {number} ms
   * @returns {Promise<boolean>} false when the emulator closed meanwhile
   */
  function sleep(ms) {
    return new Promise((resolve) => {
      if (closing.signal.aborted) return resolve(false);
      const timer = setTimeout(() => {
        closing.signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      closing.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * @param {Record<string, any>} event
   * @param {'automatic' | 'resend'} trigger
   */
  function track(event, trigger) {
    const promise = run(event, trigger);
    const done = promise.then(() => undefined);
    running.add(done);
    done.finally(() => running.delete(done));
    return promise;
  }

  return {
    /**
     * Starts delivering a new event after the current request has answered.
     * @param {Record<string, any>} event
     */
    deliver(event) {
      if (!settings.url) {
        records.set(event.id, { status: 'disabled', attempts: [] });
        return;
      }
      if (paused) {
        records.set(event.id, { status: 'paused', attempts: [] });
        held.push(event);
        return;
      }
      records.set(event.id, { status: 'pending', attempts: [] });
      setImmediate(() => void track(event, 'automatic'));
    },
    /** Holds back every new event (a webhook outage); they are still recorded in /v1/events. */
    pause() {
      paused = true;
      return { paused, held: held.length };
    },
    /**
     * Ends the pause: the held events are sent now, oldest first (each in its own run, so they may
     * arrive in any order, as late webhooks do), or, with `drop`, discarded for good (marked
     * `dropped`: an outage longer than Stripe's retries).
     * @param {{ drop?: boolean }} [options]
     */
    resume(options = {}) {
      paused = false;
      const released = held;
      held = [];
      for (const event of released) {
        const record = records.get(event.id);
        if (options.drop) {
          if (record) record.status = 'dropped';
        } else {
          if (record) record.status = 'pending';
          setImmediate(() => void track(event, 'automatic'));
        }
      }
      return { paused, [options.drop ? 'dropped' : 'delivered']: released.map((event) => event.id) };
    },
    get paused() {
      return paused;
    },
    /**
     * Delivers an event again (a new run with its own retries); resolves when the run ends.
     * @param {Record<string, any>} event
     */
    redeliver(event) {
      return track(event, 'resend');
    },
    /** @param {string} eventId */
    recordOf(eventId) {
      return records.get(eventId) ?? { status: 'disabled', attempts: [] };
    },
    /** Forgets every record (the emulator's reset). */
    clear() {
      records.clear();
      held = [];
      paused = false;
    },
    /** Stops retries and in-flight deliveries. */
    async close() {
      closing.abort();
      await Promise.allSettled([...running]);
    },
  };
}

/** @typedef {ReturnType<typeof createDispatcher>} Dispatcher */
