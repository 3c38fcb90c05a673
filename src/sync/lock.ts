/**
 * A mutual-exclusion lock for tasks, as `asyncio.Lock`.
 *
 * Waiters are served in FIFO order, and a releasing task hands the lock straight
 * to the first waiter: nobody barges in, not even the releaser re-acquiring at
 * once. `acquire()` returns a guard, so `using` releases the lock when the block
 * ends. As in asyncio there is no owner check: any task may release.
 *
 * @example
 * ```ts
 * import { Lock, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * const lock = new Lock();
 * await run(() =>
 *   taskGroup((tg) => {
 *     for (const name of ['a', 'b']) {
 *       tg.spawn(async () => {
 *         using _held = await lock.acquire();
 *         console.log(`${name} in`, String(lock));
 *         await sleep(10);
 *       });
 *     }
 *   }),
 * { clock: new VirtualClock() });
 * // => a in Lock<locked waiters=1>
 * // => b in Lock<locked>
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { ParkingLot, hostOf } from '../core/parking-lot.js';
import {
  enterWait,
  parkThen,
  rejected,
  type SignalOptions,
  type Suspension,
} from '../core/suspend.js';
import { type Task, currentTask } from '../core/task.js';
import { InvalidStateError } from '../errors.js';
import { Guard, guardOnWake, holding } from './guard.js';

export interface LockStatistics {
  readonly locked: boolean;
  readonly tasksWaiting: number;
}

/** Options of every waiting method of the primitives. */
/** @deprecated The same as `SignalOptions`, the one options type of every wait. */
export type AcquireOptions = SignalOptions;

export class Lock {
  // Invariant: !#locked implies nobody waits, because release() hands the lock to
  // a waiter instead of unlocking while anyone waits.
  #locked = false;
  // Created on first contention: most locks are never contended (asyncio does the same).
  #waiters: ParkingLot | null = null;
  // Who holds it, for task trees and deadlock reports only: asyncio's Lock has
  // no owner check, and neither has this one.
  #holder: Task | null = null;

  /** `true` while a task holds the lock. */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Waits until the lock is free, takes it, and returns a guard that releases it.
   *
   * **Cancellation:** always a cancellation point, even when the lock is free. A
   * task cancelled while waiting leaves the queue and the lock is untouched. A task
   * cancelled at the moment the lock is handed to it passes the lock to the next
   * waiter.
   *
   * @throws {CancelledError} if the task, scope or `signal` is cancelled.
   */
  acquire(options?: SignalOptions): Promise<Guard> {
    // Not async (see sleep()): the contended path ends in one shared reaction.
    try {
      const got = this._acquireOrPark(options);
      return got instanceof Guard ? Promise.resolve(got) : parkThen(got, Lock.#handedOver);
    } catch (error) {
      return rejected(error);
    }
  }

  /** @internal The lock, or the caller parked for it (see `holding()`). */
  _acquireOrPark(options: SignalOptions | undefined): Guard | Suspension {
    enterWait('Lock.acquire()', options);
    if (!this.#locked) {
      this.#locked = true;
      this.#holder = currentTask() ?? null;
      return Guard._for(this, undefined);
    }
    // release() hands ownership over without clearing #locked, so no task can
    // slip in between the release and the woken waiter's resumption.
    this.#waiters ??= new ParkingLot({
      onUnclaimed: () => {
        this.release();
      },
      holders: () => (this.#holder === null ? [] : [this.#holder]),
      host: this,
    });
    return this.#waiters.enqueue('Lock.acquire', options?.signal);
  }

  /** @internal */
  _guardOnWake(s: Suspension): Guard {
    return Lock.#handedOver(s);
  }

  static #handedOver(s: unknown): Guard {
    const guard = guardOnWake(s);
    (hostOf(s as Suspension) as Lock).#holder = (s as Suspension).task;
    return guard;
  }

  /**
   * Releases the lock, handing it to the longest waiter if there is one.
   *
   * @throws {InvalidStateError} if the lock is not held.
   */
  release(): void {
    if (!this.#locked) throw new InvalidStateError('Lock.release(): the lock is not held');
    this.#holder = null;
    if (this.#waiters?.wakeOne(undefined) !== true) this.#locked = false;
  }

  /**
   * Runs `fn` holding the lock, and releases it however `fn` ends.
   *
   * **Cancellation:** as `acquire()`, then `fn`'s own.
   */
  run<T>(fn: () => T | PromiseLike<T>, options?: SignalOptions): Promise<T> {
    return holding('Lock.run()', this, Lock.prototype, fn, options);
  }

  /** @internal */
  _releaseGuard(): void {
    this.release();
  }

  statistics(): LockStatistics {
    return Object.freeze({ locked: this.#locked, tasksWaiting: this.#waiters?.size ?? 0 });
  }

  [inspectSymbol](): string {
    return show('Lock', [this.#locked ? 'locked' : 'unlocked'], { waiters: this.#waiters?.size });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}
