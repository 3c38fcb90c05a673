/**
 * A capacity limiter (Trio's `CapacityLimiter`): at most `totalTokens` borrowers
 * at once, each holding one token. Unlike a semaphore it knows who borrowed, so a
 * task cannot take two tokens by mistake or return one it never took, and
 * `totalTokens` can be changed while it is in use (more tokens wake waiters at
 * once; fewer take effect as tokens come back).
 *
 * A token is borrowed on behalf of the current task; outside a task, on behalf of
 * the guard that `acquire()` returns. A released token goes straight to the first
 * waiter (FIFO, no barging).
 *
 * @example
 * ```ts
 * import { CapacityLimiter, getRunningLoop, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const limiter = new CapacityLimiter(2);
 *   await taskGroup((tg) => {
 *     for (let i = 1; i <= 3; i++) {
 *       tg.spawn(() => limiter.run(async () => {
 *         console.log(`job ${i} at`, getRunningLoop().time(), String(limiter));
 *         await sleep(10);
 *       }));
 *     }
 *   });
 *   limiter.totalTokens = 5;
 *   console.log(limiter.availableTokens);
 * }, { clock: new VirtualClock() });
 * // => job 1 at 0 CapacityLimiter<2/2 waiters=1>
 * // => job 2 at 0 CapacityLimiter<2/2 waiters=1>
 * // => job 3 at 10 CapacityLimiter<1/2>
 * // => 5
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkSignalOptions, checkSize } from '../_internal/validate.js';
import { ParkingLot } from '../core/parking-lot.js';
import { currentTask } from '../core/task.js';
import {
  enterWait,
  parkThen,
  rejected,
  type SignalOptions,
  type Suspension,
} from '../core/suspend.js';
import { InvalidStateError } from '../errors.js';
import { Guard, guardOnWake, holding } from './guard.js';

export interface CapacityLimiterStatistics {
  readonly borrowedTokens: number;
  readonly totalTokens: number;
  /** Who holds a token: tasks, or the objects passed to `acquireOnBehalfOf`. */
  readonly borrowers: readonly unknown[];
  readonly tasksWaiting: number;
}

export class CapacityLimiter {
  #total: number;
  readonly #borrowers = new Set<unknown>();
  // Each waiter's ticket is its borrower; a token is handed to it (added to
  // #borrowers) before it is woken, so no one can take the token in between.
  #waiters: ParkingLot | null = null;

  /** @throws {RangeError} unless `totalTokens` is an integer >= 1 or `Infinity`. */
  constructor(totalTokens: number) {
    this.#total = checkSize('new CapacityLimiter()', 'totalTokens', totalTokens, 1);
  }

  /** How many tokens there are; settable at any time. */
  get totalTokens(): number {
    return this.#total;
  }

  set totalTokens(value: number) {
    this.#total = checkSize('CapacityLimiter.totalTokens', 'totalTokens', value, 1);
    this.#handOut();
  }

  get borrowedTokens(): number {
    return this.#borrowers.size;
  }

  get availableTokens(): number {
    return Math.max(0, this.#total - this.#borrowers.size);
  }

  /**
   * Borrows a token for the current task (outside a task: for the returned guard),
   * waiting for one if none is free.
   *
   * **Cancellation:** always a cancellation point. A task cancelled while waiting
   * leaves the queue; one cancelled as a token is handed to it passes it on.
   *
   * @throws {InvalidStateError} if the current task already holds a token.
   */
  acquire(options?: SignalOptions): Promise<Guard> {
    if (options !== undefined) {
      try {
        checkSignalOptions('CapacityLimiter.acquire()', options);
      } catch (error) {
        return rejected(error);
      }
    }
    return this.acquireOnBehalfOf(currentTask() ?? Symbol('CapacityLimiter borrower'), options);
  }

  /**
   * Borrows a token on behalf of `borrower` (any value that identifies who holds it).
   *
   * **Cancellation:** as `acquire()`.
   *
   * @throws {InvalidStateError} if `borrower` already holds a token.
   */
  acquireOnBehalfOf(borrower: unknown, options?: SignalOptions): Promise<Guard> {
    // Not async (see sleep()): no frame per acquire.
    try {
      const got = this.#acquireOrPark(borrower, options);
      return got instanceof Guard ? Promise.resolve(got) : parkThen(got, guardOnWake);
    } catch (error) {
      return rejected(error);
    }
  }

  /** @internal A token for the current task, or the caller parked for one (see `holding()`). */
  _acquireOrPark(options: SignalOptions | undefined): Guard | Suspension {
    return this.#acquireOrPark(currentTask() ?? Symbol('CapacityLimiter borrower'), options);
  }

  /** @internal `acquire()` goes through `acquireOnBehalfOf()`, which a subclass may override. */
  _overridden(): boolean {
    return this.acquireOnBehalfOf !== CapacityLimiter.prototype.acquireOnBehalfOf;
  }

  #acquireOrPark(borrower: unknown, options: SignalOptions | undefined): Guard | Suspension {
    enterWait('CapacityLimiter.acquireOnBehalfOf()', options);
    if (this.#borrowers.has(borrower)) {
      throw new InvalidStateError(
        'CapacityLimiter.acquire(): this borrower already holds a token; a limiter lends one token per borrower',
      );
    }
    if (this.#borrowers.size < this.#total && (this.#waiters?.size ?? 0) === 0) {
      this.#borrowers.add(borrower);
      return Guard._for(this, borrower);
    }
    this.#waiters ??= new ParkingLot({
      onUnclaimed: (_, borrower) => {
        this.releaseOnBehalfOf(borrower);
      },
      host: this,
    });
    // The borrower rides as the ticket, and becomes the guard's token.
    return this.#waiters.enqueue('CapacityLimiter.acquire', options?.signal, borrower);
  }

  /**
   * Returns the current task's token.
   *
   * @throws {InvalidStateError} if the current task holds no token.
   */
  release(): void {
    this.releaseOnBehalfOf(currentTask());
  }

  /**
   * Returns `borrower`'s token, handing it to the first waiter if the limit allows.
   *
   * @throws {InvalidStateError} if `borrower` holds no token.
   */
  releaseOnBehalfOf(borrower: unknown): void {
    if (!this.#borrowers.delete(borrower)) {
      throw new InvalidStateError('CapacityLimiter.release(): this borrower holds no token');
    }
    this.#handOut();
  }

  #handOut(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    while (waiters.size > 0 && this.#borrowers.size < this.#total) {
      this.#borrowers.add(waiters.peek());
      waiters.wakeOne(undefined);
    }
  }

  /**
   * Runs `fn` holding a token, and returns it however `fn` ends.
   *
   * **Cancellation:** as `acquire()` while it waits (nothing is held then); once
   * `fn` runs, its own cancellation points, and the token is returned whatever
   * `fn` throws.
   */
  run<T>(fn: () => T | PromiseLike<T>, options?: SignalOptions): Promise<T> {
    return holding('CapacityLimiter.run()', this, CapacityLimiter.prototype, fn, options);
  }

  /** @internal */
  _releaseGuard(borrower: unknown): void {
    this.releaseOnBehalfOf(borrower);
  }

  statistics(): CapacityLimiterStatistics {
    return Object.freeze({
      borrowedTokens: this.#borrowers.size,
      totalTokens: this.#total,
      borrowers: Object.freeze([...this.#borrowers]),
      tasksWaiting: this.#waiters?.size ?? 0,
    });
  }

  [inspectSymbol](): string {
    return show('CapacityLimiter', [`${this.#borrowers.size}/${this.#total}`], {
      waiters: this.#waiters?.size,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}
