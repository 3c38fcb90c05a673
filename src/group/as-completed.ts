/**
 * `asCompleted()` (asyncio's `as_completed`, 3.13 form): iterate over tasks in the
 * order they finish. Each step yields a done task; `await` it (or call `result()`)
 * for its value or error. With `timeout`, the iteration throws `TimeoutError` once
 * that many ms have passed.
 *
 * Leaving the loop early cancels the tasks `asCompleted` created itself from
 * functions or promises; tasks passed in run on.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   for await (const task of asCompleted([() => sleep(30, 'c'), () => sleep(10, 'a'), () => sleep(20, 'b')])) {
 *     console.log(await task);
 *   }
 * }, { clock: new VirtualClock() });
 * // => a
 * // => b
 * // => c
 * ```
 * @module
 */
import { checkDelay, checkOptions } from '../_internal/validate.js';
import { CancelledError, TimeoutError } from '../errors.js';
import { type TimerHandle, currentLoop } from '../core/loop.js';
import type { AwaitableOrFunction } from '../core/shield.js';
import { type Suspension, type WaitKind, park, suspend, throwIfCancelled, wake } from '../core/suspend.js';
import type { Task } from '../core/task.js';
import { toTasks } from './wait.js';

export interface AsCompletedOptions {
  /** Throw `TimeoutError` from the iteration once this many ms have passed. */
  readonly timeout?: number;
}

const NEXT: WaitKind = {
  abort(s) {
    (s.owner as { waiter: Suspension | null }).waiter = null;
    return true;
  },
};


/**
 * Yields each task as it finishes.
 *
 * **Cancellation:** each step is a cancellation point.
 *
 * @throws {TimeoutError} from the iteration when `timeout` passes first.
 */
export function asCompleted<T>(
  aws: Iterable<AwaitableOrFunction<T>>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<Task<T>> {
  checkOptions('asCompleted()', 'options', options);
  const ms = options?.timeout ?? Infinity;
  checkDelay('asCompleted()', 'options.timeout', ms);
  return new Completions(toTasks('asCompleted()', aws), ms);
}

// A hand-written iterator, not an async generator: `yield task` in an async
// generator would await the task (it is a thenable) and yield its value.
class Completions<T> implements AsyncIterableIterator<Task<T>> {
  readonly #tasks: Task<T>[];
  readonly #own: Set<Task<T>>;
  readonly #ms: number;
  readonly #finished: Task<T>[] = [];
  #yielded = 0;
  #closed = false;
  #expired = false;
  /** @internal The parked next(), if any. */
  waiter: Suspension | null = null;
  readonly #timer: TimerHandle | null;
  readonly #listener = (task: Task<T>): void => {
    this.#finished.push(task);
    this.#wakeWaiter();
  };

  constructor({ tasks, own }: { tasks: Task<T>[]; own: Set<Task<T>> }, ms: number) {
    this.#tasks = tasks;
    this.#own = own;
    this.#ms = ms;
    const loop = currentLoop();
    this.#timer =
      ms === Infinity
        ? null
        : loop._schedule(loop.time() + ms, () => {
            this.#expired = true;
            this.#wakeWaiter();
          }, null);
    for (const task of tasks) task._onDone(this.#listener);
  }

  #wakeWaiter(): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) wake(waiter, undefined);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Task<T>, undefined>> {
    if (this.#closed || this.#yielded === this.#tasks.length) {
      this.#close();
      return { done: true, value: undefined };
    }
    try {
      throwIfCancelled();
      while (this.#finished.length === 0) {
        if (this.#expired) {
          throw new TimeoutError(`asCompleted(): timed out after ${this.#ms} ms`, { ms: this.#ms });
        }
        const s = suspend<undefined>('asCompleted', this, NEXT);
        this.waiter = s;
        await park(s);
      }
    } catch (error) {
      this.#close();
      throw error;
    }
    this.#yielded++;
    return { done: false, value: this.#finished.shift() as Task<T> };
  }

  async return(): Promise<IteratorResult<Task<T>, undefined>> {
    this.#close();
    return { done: true, value: undefined };
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    for (const task of this.#tasks) {
      task._offDone(this.#listener);
      if (this.#own.has(task) && !task.done()) {
        task._cancelWith(new CancelledError('asCompleted() was left early', { source: 'parent' }));
      }
    }
  }
}
