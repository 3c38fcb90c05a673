/**
 * `retry(fn, options)`: call `fn` until it succeeds, waiting between attempts
 * (exponential backoff with full jitter by default). `attempts` counts every call,
 * the first included. A `CancelledError` is never retried, and a wait that would
 * end past the enclosing deadline is not started: the last error is thrown at
 * once instead of waiting to be cancelled.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { exponentialBackoff, retry } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   let calls = 0;
 *   const value = await retry(
 *     (attempt) => {
 *       calls++;
 *       if (attempt < 3) throw new Error(`flaky ${attempt}`);
 *       return 'ok';
 *     },
 *     {
 *       attempts: 5,
 *       backoff: exponentialBackoff({ initial: 100, jitter: false }),
 *       onRetry: (err, attempt, ms) => console.log(`attempt ${attempt} failed (${(err as Error).message}), waiting ${ms} ms`),
 *     },
 *   );
 *   console.log(value, 'after', calls, 'calls');
 * }, { clock: new VirtualClock() });
 * // => attempt 1 failed (flaky 1), waiting 100 ms
 * // => attempt 2 failed (flaky 2), waiting 200 ms
 * // => ok after 3 calls
 * ```
 * @module
 */
import {
  checkBoolean,
  checkDelay,
  checkFunction,
  checkNumber,
  checkOptions,
  checkSize,
  optionNames,
} from '../_internal/validate.js';
import { currentEffectiveDeadline } from '../core/cancel-scope.js';
import { currentLoop } from '../core/loop.js';
import { sleep } from '../core/sleep.js';
import { throwIfCancelled } from '../core/suspend.js';
import { isCancellation } from '../errors.js';

export interface BackoffOptions {
  /** The first wait, in ms; default 100. */
  readonly initial?: number;
  /** The longest wait, in ms; default 10,000. */
  readonly max?: number;
  /** Each wait is `factor` (>= 1) times the one before; default 2. */
  readonly factor?: number;
  /** Full jitter: wait a random time between 0 and the computed one; default true. */
  readonly jitter?: boolean;
  /** The random source for jitter, in [0, 1); default `Math.random`. */
  readonly random?: () => number;
}

const BACKOFF_OPTIONS = optionNames<BackoffOptions>({
  initial: true,
  max: true,
  factor: true,
  jitter: true,
  random: true,
});

/** How long to wait after failed attempt number `attempt` (1-based), in ms. */
export type Backoff = (attempt: number) => number;

/**
 * `initial · factor^(attempt-1)`, capped at `max`, with full jitter unless `jitter: false`.
 *
 * @throws {RangeError} if `initial` or `max` is negative, or `factor` is below 1.
 */
export function exponentialBackoff(options?: BackoffOptions): Backoff {
  checkOptions('exponentialBackoff()', 'options', options, BACKOFF_OPTIONS);
  const initial = checkDelay('exponentialBackoff()', 'options.initial', options?.initial ?? 100);
  const max = checkDelay('exponentialBackoff()', 'options.max', options?.max ?? 10_000);
  const factor = checkNumber('exponentialBackoff()', 'options.factor', options?.factor ?? 2, 1);
  checkBoolean('exponentialBackoff()', 'options.jitter', options?.jitter);
  const jitter = options?.jitter ?? true;
  const random = options?.random ?? Math.random;
  checkFunction('exponentialBackoff()', 'options.random', random);
  return (attempt) => {
    const ms = Math.min(max, initial * factor ** (attempt - 1));
    return jitter ? Math.floor(random() * ms) : ms;
  };
}

export interface RetryOptions {
  /** How many calls in all, the first included; default 3. */
  readonly attempts?: number;
  /** The wait after a failed attempt; default `exponentialBackoff()`. */
  readonly backoff?: Backoff;
  /** Whether to retry after `error`; default: every error but a cancellation. */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /** Told about each retry before its wait. */
  readonly onRetry?: (error: unknown, attempt: number, ms: number) => void;
}

const RETRY_OPTIONS = optionNames<RetryOptions>({
  attempts: true,
  backoff: true,
  retryIf: true,
  onRetry: true,
});

/**
 * Calls `fn(attempt)` until it returns, up to `attempts` times.
 *
 * **Cancellation:** always a cancellation point: before every attempt and in the
 * waits between them; a `CancelledError` from `fn` ends the retries at once.
 *
 * @throws the last error, when the attempts are used up, `retryIf` refuses, or
 * the next wait would end past the enclosing deadline.
 */
export async function retry<T>(
  fn: (attempt: number) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  checkFunction('retry()', 'fn', fn);
  checkOptions('retry()', 'options', options, RETRY_OPTIONS);
  const attempts = checkSize('retry()', 'options.attempts', options?.attempts ?? 3, 1);
  const backoff = options?.backoff ?? exponentialBackoff();
  checkFunction('retry()', 'options.backoff', backoff);
  const retryIf = options?.retryIf ?? (() => true);
  checkFunction('retry()', 'options.retryIf', retryIf);
  if (options?.onRetry !== undefined) checkFunction('retry()', 'options.onRetry', options.onRetry);
  for (let attempt = 1; ; attempt++) {
    try {
      // A cancellation point before every attempt, the first included (#11).
      throwIfCancelled();
      return await fn(attempt);
    } catch (error) {
      if (isCancellation(error) || attempt >= attempts || !retryIf(error, attempt)) throw error;
      const ms = checkDelay('retry()', 'the backoff', backoff(attempt));
      if (currentLoop().time() + ms >= currentEffectiveDeadline()) throw error;
      options?.onRetry?.(error, attempt, ms);
      await sleep(ms);
    }
  }
}
