/**
 * A condition variable (asyncio's `Condition`): tasks holding its lock wait until
 * another task changes shared state and calls `notify()`. `wait()` releases the
 * lock while waiting and holds it again when it returns or throws.
 *
 * @example
 * ```ts
 * import { Condition, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const cond = new Condition();
 *   const items: string[] = [];
 *   await taskGroup((tg) => {
 *     tg.spawn(async () => {
 *       using _held = await cond.acquire();
 *       await cond.waitFor(() => items.length > 0);
 *       console.log('consumed', items.shift());
 *     });
 *     tg.spawn(async () => {
 *       await sleep(10);
 *       using _held = await cond.acquire();
 *       items.push('job');
 *       cond.notify();
 *     });
 *   });
 * }, { clock: new VirtualClock() });
 * // => consumed job
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkCount,
  checkFunction,
  checkInstance,
  checkSignalOptions,
} from '../_internal/validate.js';
import { ParkingLot } from '../core/parking-lot.js';
import { CancelScope } from '../core/cancel-scope.js';
import { enterWait, rejected, type SignalOptions, throwIfCancelled } from '../core/suspend.js';
import { InvalidStateError } from '../errors.js';
import { type Guard, holding } from './guard.js';
import { Lock, type LockStatistics } from './lock.js';

export interface ConditionStatistics {
  /** Tasks waiting to be notified. */
  readonly tasksWaiting: number;
  readonly lock: LockStatistics;
}

export class Condition {
  readonly #lock: Lock;
  // A waiter notified but cancelled before it resumed passes the notification
  // on, so a notify(1) is never lost to a cancellation.
  #waiters: ParkingLot | null = null;

  /** Uses `lock`, or a new `Lock`. */
  constructor(lock: Lock = new Lock()) {
    checkInstance('new Condition()', 'lock', lock, Lock, 'a Lock');
    this.#lock = lock;
  }

  /**
   * Acquires the underlying lock and returns its guard.
   *
   * **Cancellation:** as `Lock.acquire()`: always a cancellation point; a
   * waiter cancelled as the lock is handed to it passes it on.
   */
  acquire(options?: SignalOptions): Promise<Guard> {
    if (options !== undefined) {
      try {
        checkSignalOptions('Condition.acquire()', options);
      } catch (error) {
        return rejected(error);
      }
    }
    return this.#lock.acquire(options);
  }

  /** Releases the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Runs `fn` holding the lock, and releases it however `fn` ends.
   *
   * **Cancellation:** as `Lock.run()`.
   */
  run<T>(fn: () => T | PromiseLike<T>, options?: SignalOptions): Promise<T> {
    return holding('Condition.run()', this.#lock, Lock.prototype, fn, options);
  }

  /**
   * Releases the lock, waits until notified, then takes the lock again; returns `true`.
   *
   * **Cancellation:** always a cancellation point. Cancelled while waiting (or while
   * taking the lock back), it still takes the lock back before it throws, so the
   * caller's `using` releases a lock it really holds. A waiter cancelled as it is
   * notified, or after that while taking the lock back, passes the notification to
   * the next waiter: calling again loses nothing.
   *
   * @throws {InvalidStateError} if the lock is not held.
   */
  async wait(options?: SignalOptions): Promise<true> {
    enterWait('Condition.wait()', options);
    if (!this.#lock.locked()) {
      throw new InvalidStateError('Condition.wait(): the lock is not held; acquire it first');
    }
    this.#lock.release();
    this.#waiters ??= new ParkingLot({
      onUnclaimed: () => {
        this.#waiters?.wakeOne(undefined);
      },
    });
    let failure: { error: unknown } | null = null;
    try {
      await this.#waiters.park('Condition.wait', options?.signal);
    } catch (error) {
      failure = { error };
    }
    // Shielded: the lock must be held again even when cancelled.
    await new CancelScope({ shield: true }).run(() => this.#lock.acquire());
    if (failure !== null) throw failure.error;
    try {
      throwIfCancelled(options?.signal);
    } catch (error) {
      // #11: notified, then cancelled while taking the lock back. The caller will
      // never act on the notification, so it goes to the next waiter (asyncio's
      // `_notify(1)` on the way out; a spurious wake-up is allowed, a lost one not).
      this.#waiters.wakeOne(undefined);
      throw error;
    }
    return true;
  }

  /**
   * Waits until `predicate()` is truthy, checking it first and after each
   * notification; returns its value.
   *
   * **Cancellation:** as `wait()`.
   */
  async waitFor<T>(predicate: () => T, options?: SignalOptions): Promise<T> {
    checkFunction('Condition.waitFor()', 'predicate', predicate);
    enterWait('Condition.waitFor()', options);
    let result = predicate();
    while (!result) {
      await this.wait(options);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiting tasks (each takes the lock in turn).
   *
   * @throws {InvalidStateError} if the lock is not held.
   */
  notify(n = 1): void {
    checkCount('Condition.notify()', 'n', n);
    if (!this.#lock.locked()) {
      throw new InvalidStateError('Condition.notify(): the lock is not held; acquire it first');
    }
    for (let i = 0; i < n && this.#waiters?.wakeOne(undefined) === true; i++);
  }

  /** Wakes every waiting task. */
  notifyAll(): void {
    this.notify(this.#waiters?.size ?? 0);
  }

  statistics(): ConditionStatistics {
    return Object.freeze({
      tasksWaiting: this.#waiters?.size ?? 0,
      lock: this.#lock.statistics(),
    });
  }

  [inspectSymbol](): string {
    return show('Condition', [this.#lock.locked() ? 'locked' : 'unlocked'], {
      waiters: this.#waiters?.size,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}
