/**
 * `asCompleted()` (asyncio's `as_completed`): iterate over results in the order
 * they arrive. Each step yields the next value to finish; a failure is thrown from
 * the step at which it happens. With `timeout`, the iteration throws
 * `TimeoutError` once that many ms have passed.
 *
 * It yields values, not tasks as asyncio 3.13 does: a task is a thenable, and
 * TypeScript types a `for await` element as the awaited value, so yielded tasks
 * would be typed as their results.
 *
 * Leaving the loop early (`break`, an error, a timeout) cancels the tasks
 * `asCompleted` created itself from functions or promises, and waits for them to
 * end; tasks passed in run on.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   for await (const value of asCompleted([() => sleep(30, 'c'), () => sleep(10, 'a'), () => sleep(20, 'b')])) {
 *     console.log(value);
 *   }
 * }, { clock: new VirtualClock() });
 * // => a
 * // => b
 * // => c
 * ```
 * @module
 */
import { checkDelay, checkOptions, optionNames } from '../_internal/validate.js';
import { TimeoutError } from '../errors.js';
import type { TimerHandle } from '../core/timers.js';
import type { AwaitableOrFunction } from '../core/shield.js';
import {
  CLEAR_ON_ABORT,
  Nursery,
  type Suspension,
  currentLoop,
  park,
  retrieveOutcome,
  setTimer,
  suspend,
  taskOutcome,
  throwIfCancelled,
  unwatchTask,
  wake,
  watchTask,
} from '../core/lowlevel.js';
import type { Task } from '../core/task.js';
import { toTasks } from './wait.js';

export interface AsCompletedOptions {
  /** Throw `TimeoutError` from the iteration once this many ms have passed. */
  readonly timeout?: number;
}

const AS_COMPLETED_OPTIONS = optionNames<AsCompletedOptions>({ timeout: true });

/**
 * Yields each result as it arrives.
 *
 * **Cancellation:** each step is a cancellation point.
 *
 * @throws the error of a task, from the step at which it fails.
 * @throws {TimeoutError} from the iteration when `timeout` passes first.
 */
export function asCompleted<T>(
  aws: Iterable<AwaitableOrFunction<T>>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<T> {
  checkOptions('asCompleted()', 'options', options, AS_COMPLETED_OPTIONS);
  const ms = options?.timeout ?? Infinity;
  checkDelay('asCompleted()', 'options.timeout', ms);
  // The tasks it starts itself are helpers of a nursery under the caller: a
  // cancellation of the caller reaches them, and leaving early closes it.
  const nursery = new Nursery();
  try {
    return new Completions(
      toTasks('asCompleted()', aws, (fn) => nursery.spawn(fn)),
      nursery,
      ms,
    );
  } catch (error) {
    nursery.exit();
    throw error;
  }
}

class Completions<T> implements AsyncIterableIterator<T> {
  readonly #tasks: Task<T>[];
  readonly #nursery: Nursery;
  readonly #ms: number;
  readonly #finished: Task<T>[] = [];
  #yielded = 0;
  #closed = false;
  #expired = false;
  /** @internal The parked next(), if any. */
  waiter: Suspension | null = null;

  /** @internal A parked next() was cancelled. */
  _clear(s: Suspension): void {
    if (this.waiter === s) this.waiter = null;
  }
  readonly #timer: TimerHandle | null;
  readonly #listener = (task: Task<T>): void => {
    this.#finished.push(task);
    this.#wakeWaiter();
  };

  constructor({ tasks }: { tasks: Task<T>[] }, nursery: Nursery, ms: number) {
    this.#tasks = tasks;
    this.#nursery = nursery;
    this.#ms = ms;
    this.#timer =
      ms === Infinity
        ? null
        : setTimer(
            currentLoop().time() + ms,
            (self) => {
              self.#expired = true;
              self.#wakeWaiter();
            },
            this,
          );
    for (const task of tasks) watchTask(task, this.#listener);
  }

  #wakeWaiter(): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) wake(waiter, undefined);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.#closed || this.#yielded === this.#tasks.length) {
      await this.#close();
      return { done: true, value: undefined };
    }
    try {
      throwIfCancelled();
      while (this.#finished.length === 0) {
        if (this.#expired) {
          throw new TimeoutError(`asCompleted(): timed out after ${this.#ms} ms`, { ms: this.#ms });
        }
        const s = suspend<undefined>('asCompleted', this, CLEAR_ON_ABORT);
        this.waiter = s;
        await park(s);
      }
    } catch (error) {
      await this.#close();
      throw error;
    }
    this.#yielded++;
    const task = this.#finished.shift() as Task<T>;
    const outcome = taskOutcome(task);
    if (outcome.state === 'value') return { done: false, value: outcome.value };
    retrieveOutcome(task);
    await this.#close();
    throw (outcome as { readonly error: unknown }).error;
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    await this.#close();
    return { done: true, value: undefined };
  }

  // Cancels the tasks this iterator started and waits until they have ended, so
  // none of them runs on behind a finished loop. Not a cancellation point.
  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    for (const task of this.#tasks) unwatchTask(task, this.#listener);
    await this.#nursery.close('asCompleted() was left early', 'asCompleted: close');
    this.#nursery.exit();
  }
}
