// A server that stops sending fails the download after env.fetchStallTimeout ms, instead of the
// platform's own limit (Node's fetch: 300 s for the headers and between body chunks; browsers: none).
// Only time spent waiting for the server counts: a body nobody is reading is not stalled.
import { envNumber } from '../env.js';
import { WaxError } from '../errors.js';

/** Node fires a timer longer than a signed 32-bit delay at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `promise`, or a rejection with `stalled()`'s error when it has not settled after `timeout` ms
 * (0, Infinity or a delay no timer takes: `promise` as it is).
 */
export async function settleWithin(promise, timeout, stalled) {
  if (!(timeout > 0 && timeout <= MAX_TIMER_MS)) return promise;
  let timer;
  const late = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(stalled()), timeout);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A watch over one request. `signal` (the caller's `signal` linked to the watch's own) goes to fetch;
 * `within(promise, waitingFor)` settles as `promise`, or rejects with WAX_FETCH_FAILED and aborts the
 * request when nothing arrives in time. `what` names the request ('config.json from <url>').
 */
export function watchStalls(what, signal) {
  const timeout = envNumber('fetchStallTimeout', { min: 0 });
  const controller = new AbortController();
  const linked = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  return {
    signal: linked,
    within: (promise, waitingFor) => settleWithin(promise, timeout, () => {
      const error = new WaxError(`${what}: nothing arrived for ${timeout / 1000} s while waiting for ${waitingFor} ` +
        `(env.fetchStallTimeout is ${timeout} ms: raise it for a slow server, or set it to 0 to wait as long as the connection stays open)`,
      { code: 'WAX_FETCH_FAILED' });
      controller.abort(error);
      return error;
    }),
  };
}
