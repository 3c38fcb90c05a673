/**
 * Counting semaphores, as `asyncio.Semaphore` and `asyncio.BoundedSemaphore`.
 *
 * A released permit goes straight to the first waiter (FIFO, no barging), so the
 * count rises only when nobody waits. A `BoundedSemaphore` refuses to be released
 * more often than it was acquired.
 *
 * @example
 * ```ts
 * import { Semaphore, getRunningLoop, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const sem = new Semaphore(2);
 *   await taskGroup((tg) => {
 *     for (const name of ['a', 'b', 'c']) {
 *       tg.spawn(async () => {
 *         using _permit = await sem.acquire();
 *         console.log(name, 'starts at', getRunningLoop().time());
 *         await sleep(10);
 *       });
 *     }
 *   });
 *   console.log(String(sem));
 * }, { clock: new VirtualClock() });
 * // => a starts at 0
 * // => b starts at 0
 * // => c starts at 10
 * // => Semaphore<value=2>
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkCount } from '../_internal/validate.js';
import { ParkingLot } from '../core/parking-lot.js';
import {
  enterWait,
  parkThen,
  rejected,
  type SignalOptions,
  type Suspension,
} from '../core/suspend.js';
import { InvalidStateError } from '../errors.js';
import { Guard, guardOnWake, holding } from './guard.js';

export interface SemaphoreStatistics {
  /** Permits free now. */
  readonly value: number;
  readonly tasksWaiting: number;
}

export class Semaphore {
  // Invariant: #value > 0 implies nobody waits: release() hands a permit to a
  // waiter rather than counting it.
  #value: number;
  #waiters: ParkingLot | null = null;
  // What a waiting acquire awaits, for task trees: built once, not per wait.
  readonly #waitName: string;
  // For error messages: built once, not per acquire.
  readonly #acquireName: string;

  /** @throws {RangeError} if `value` is not an integer >= 0. */
  constructor(value = 1) {
    checkCount(`new ${new.target.name}()`, 'value', value);
    this.#value = value;
    this.#waitName = `${new.target.name}.acquire`;
    this.#acquireName = `${this.#waitName}()`;
  }

  /** Permits free now. */
  get value(): number {
    return this.#value;
  }

  /** `true` when `acquire()` would have to wait. */
  locked(): boolean {
    return this.#value === 0;
  }

  /**
   * Takes a permit, waiting for one if none is free, and returns a guard that
   * releases it.
   *
   * **Cancellation:** always a cancellation point, even when a permit is free. A
   * task cancelled while waiting leaves the queue; one cancelled at the moment a
   * permit is handed to it passes the permit on.
   *
   * @throws {CancelledError} if the task, scope or `signal` is cancelled.
   */
  acquire(options?: SignalOptions): Promise<Guard> {
    // Not async (see sleep()): no frame per acquire.
    try {
      const got = this._acquireOrPark(options);
      return got instanceof Guard ? Promise.resolve(got) : parkThen(got, guardOnWake);
    } catch (error) {
      return rejected(error);
    }
  }

  /** @internal A permit, or the caller parked for one (see `holding()`). */
  _acquireOrPark(options: SignalOptions | undefined): Guard | Suspension {
    // The name is formatted only when there are options to check.
    enterWait(this.#acquireName, options);
    if (this.#value > 0) {
      this.#value--;
      return Guard._for(this, undefined);
    }
    this.#waiters ??= new ParkingLot({
      onUnclaimed: () => {
        this.release();
      },
      host: this,
    });
    return this.#waiters.enqueue(this.#waitName, options?.signal);
  }

  /** Returns a permit: to the first waiter if any, else to the count. */
  release(): void {
    if (this.#waiters?.wakeOne(undefined) !== true) this.#value++;
  }

  /**
   * Runs `fn` holding a permit, and releases it however `fn` ends.
   *
   * **Cancellation:** as `acquire()` while it waits (nothing is held then); once
   * `fn` runs, its own cancellation points, and the permit is released whatever
   * `fn` throws.
   */
  run<T>(fn: () => T | PromiseLike<T>, options?: SignalOptions): Promise<T> {
    return holding(`${this.constructor.name}.run()`, this, Semaphore.prototype, fn, options);
  }

  /** @internal */
  _releaseGuard(): void {
    this.release();
  }

  statistics(): SemaphoreStatistics {
    return Object.freeze({ value: this.#value, tasksWaiting: this.#waiters?.size ?? 0 });
  }

  [inspectSymbol](): string {
    return show(this.constructor.name, [`value=${this.#value}`], { waiters: this.#waiters?.size });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}

/** A semaphore that throws when released more often than acquired. */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /**
   * Returns a permit.
   *
   * @throws {InvalidStateError} if every permit is already free.
   */
  override release(): void {
    if (this.value >= this.#bound) {
      throw new InvalidStateError(
        `BoundedSemaphore.release(): released more often than acquired (all ${this.#bound} permits are free)`,
      );
    }
    super.release();
  }
}
