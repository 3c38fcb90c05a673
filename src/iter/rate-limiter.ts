/**
 * `RateLimiter`: at most `limit` acquisitions in any `interval` ms. A bucket of
 * `limit` tokens where each token comes back `interval` ms after it was taken, so
 * bursts up to `limit` pass at once and the rate never exceeds it over any
 * window. Waiters are served in FIFO order, one timer for the whole queue.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from 'corio';
 * import { RateLimiter } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const limiter = new RateLimiter({ limit: 2, interval: 1000 });
 *   for (let i = 1; i <= 5; i++) {
 *     await limiter.acquire();
 *     console.log(`request ${i} at ${getRunningLoop().time()}`);
 *   }
 * }, { clock: new VirtualClock() });
 * // => request 1 at 0
 * // => request 2 at 0
 * // => request 3 at 1000
 * // => request 4 at 1000
 * // => request 5 at 2000
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkCount, checkDelay, checkOptions, optionNames } from '../_internal/validate.js';
import { ParkingLot } from '../core/parking-lot.js';
import { type EventLoop, currentLoop } from '../core/loop.js';
import type { TimerHandle } from '../core/timers.js';
import { enterWait, type SignalOptions } from '../core/suspend.js';

export interface RateLimiterOptions {
  /** Acquisitions allowed per `interval`. */
  readonly limit: number;
  /** The window, in ms. */
  readonly interval: number;
}

export interface RateLimiterStatistics {
  /** Tokens that can be taken now. */
  readonly available: number;
  readonly limit: number;
  readonly interval: number;
  readonly tasksWaiting: number;
}

const RATE_OPTIONS = optionNames<RateLimiterOptions>({ limit: 'required', interval: 'required' });

/** @internal The limiter's options, checked for `fn` (`new RateLimiter()`, `throttle()`). */
export function checkRateOptions(fn: string, options: RateLimiterOptions): void {
  checkOptions(fn, 'options', options, RATE_OPTIONS);
  checkCount(fn, 'options.limit', options.limit, 1);
  checkDelay(fn, 'options.interval', options.interval);
}

export class RateLimiter {
  readonly limit: number;
  readonly interval: number;
  // When each token in use was taken, oldest first; at most `limit` entries.
  readonly #taken = new Deque<number>();
  #waiters: ParkingLot | null = null;
  #timer: TimerHandle | null = null;
  #loop: EventLoop | null = null;

  /** @throws {RangeError} unless `limit` is an integer >= 1 and `interval` >= 0. */
  constructor(options: RateLimiterOptions) {
    checkRateOptions('new RateLimiter()', options);
    this.limit = options.limit;
    this.interval = options.interval;
  }

  // Returns the tokens whose interval has passed.
  #refill(now: number): void {
    const taken = this.#taken;
    while (taken.size > 0 && (taken.peek() as number) + this.interval <= now) taken.shift();
  }

  /**
   * Takes a token, waiting until one comes back if none is left.
   *
   * **Cancellation:** always a cancellation point. A task cancelled while waiting
   * leaves the queue; one cancelled as a token is handed to it passes it on.
   */
  async acquire(options?: SignalOptions): Promise<void> {
    enterWait('RateLimiter.acquire()', options);
    const loop = currentLoop();
    this.#loop = loop;
    const now = loop.time();
    this.#refill(now);
    if (this.#taken.size < this.limit && (this.#waiters?.size ?? 0) === 0) {
      this.#taken.push(now);
      return;
    }
    this.#waiters ??= new ParkingLot({
      onUnclaimed: () => {
        // The token handed to a cancelled waiter goes to the next one, or back.
        if (this.#waiters?.wakeOne(undefined) !== true) this.#taken.pop();
        this.#arm();
      },
    });
    const waiting = this.#waiters.park('RateLimiter.acquire', options?.signal);
    this.#arm();
    try {
      await waiting;
    } finally {
      // The last waiter left (served or cancelled): no timer stays behind.
      if (this.#waiters.size === 0) {
        this.#timer?.cancel();
        this.#timer = null;
      }
    }
  }

  // One timer, for when the oldest token comes back, while anyone waits.
  #arm(): void {
    const loop = this.#loop;
    if (loop === null || this.#timer !== null || (this.#waiters?.size ?? 0) === 0) return;
    const at = (this.#taken.peek() ?? loop.time()) + this.interval;
    this.#timer = loop.callAt(at, () => {
      this.#timer = null;
      this.#handOut();
    });
  }

  #handOut(): void {
    const loop = this.#loop as EventLoop;
    const now = loop.time();
    this.#refill(now);
    const waiters = this.#waiters;
    while (waiters !== null && waiters.size > 0 && this.#taken.size < this.limit) {
      this.#taken.push(now);
      waiters.wakeOne(undefined);
    }
    this.#arm();
  }

  statistics(): RateLimiterStatistics {
    if (this.#loop !== null) this.#refill(this.#loop.time());
    return Object.freeze({
      available: this.limit - this.#taken.size,
      limit: this.limit,
      interval: this.interval,
      tasksWaiting: this.#waiters?.size ?? 0,
    });
  }

  [inspectSymbol](): string {
    return show('RateLimiter', [`${this.limit}/${this.interval}ms`], {
      waiters: this.#waiters?.size,
    });
  }
}
