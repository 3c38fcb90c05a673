/**
 * A barrier (asyncio's `Barrier`): `parties` tasks wait until all of them have
 * arrived, then all go on together; it then fills again for the next round.
 * `wait()` returns the task's arrival index (0 … parties-1, the last to arrive
 * gets parties-1). `abort()` breaks it, `reset()` empties it; both fail the tasks
 * waiting with `BrokenBarrierError`.
 *
 * A task cancelled while waiting leaves the barrier: it is not counted.
 *
 * @example
 * ```ts
 * import { Barrier, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const barrier = new Barrier(3);
 *   await taskGroup((tg) => {
 *     for (const ms of [30, 10, 20]) {
 *       tg.spawn(async () => {
 *         await sleep(ms);
 *         const index = await barrier.wait();
 *         console.log(`slept ${ms}, arrived #${index}, goes on at 30`);
 *       });
 *     }
 *   });
 * }, { clock: new VirtualClock() });
 * // => slept 30, arrived #2, goes on at 30
 * // => slept 10, arrived #0, goes on at 30
 * // => slept 20, arrived #1, goes on at 30
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkCount } from '../_internal/validate.js';
import { ParkingLot } from '../core/parking-lot.js';
import { enterWait, type SignalOptions } from '../core/suspend.js';

/** The barrier was aborted or reset while a task waited at it (asyncio's). */
export class BrokenBarrierError extends Error {
  static {
    this.prototype.name = 'BrokenBarrierError';
  }
}

export interface BarrierStatistics {
  readonly parties: number;
  readonly nWaiting: number;
  readonly broken: boolean;
  readonly tasksWaiting: number;
}

export class Barrier {
  readonly #parties: number;
  // Arrival order is the list order; each waiter is woken with its index.
  readonly #waiters = new ParkingLot<number>();
  #broken = false;

  /** @throws {RangeError} if `parties` is not an integer >= 1. */
  constructor(parties: number) {
    this.#parties = checkCount('new Barrier()', 'parties', parties, 1);
  }

  get parties(): number {
    return this.#parties;
  }

  /** Tasks waiting at the barrier now. */
  get nWaiting(): number {
    return this.#waiters.size;
  }

  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Waits until `parties` tasks are waiting, then returns this task's arrival index.
   *
   * **Cancellation:** always a cancellation point. A task cancelled while waiting
   * leaves the barrier and is not counted.
   *
   * @throws {BrokenBarrierError} if the barrier is or becomes broken or is reset.
   */
  async wait(options?: SignalOptions): Promise<number> {
    enterWait('Barrier.wait()', options);
    if (this.#broken) throw new BrokenBarrierError('Barrier.wait(): the barrier is broken');
    if (this.#waiters.size + 1 === this.#parties) {
      for (let index = 0; this.#waiters.wakeOne(index); index++);
      return this.#parties - 1;
    }
    return this.#waiters.park('Barrier.wait', options?.signal);
  }

  /** Fails the waiting tasks with `BrokenBarrierError` and makes the barrier usable again. */
  reset(): void {
    this.#waiters.failAll(() => new BrokenBarrierError('Barrier.wait(): the barrier was reset'));
    this.#broken = false;
  }

  /** Breaks the barrier: waiting and future `wait()`s throw `BrokenBarrierError` until `reset()`. */
  abort(): void {
    this.#broken = true;
    this.#waiters.failAll(() => new BrokenBarrierError('Barrier.wait(): the barrier was aborted'));
  }

  statistics(): BarrierStatistics {
    return Object.freeze({
      parties: this.#parties,
      nWaiting: this.#waiters.size,
      broken: this.#broken,
      tasksWaiting: this.#waiters.size,
    });
  }

  [inspectSymbol](): string {
    return show('Barrier', [this.#broken ? 'broken' : `${this.#waiters.size}/${this.#parties}`]);
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}
