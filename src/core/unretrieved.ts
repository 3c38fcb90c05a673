/**
 * Errors nobody retrieved: a task that failed, whose error was neither awaited,
 * nor read by `result()`/`exception()`, nor given to a done callback or an owner,
 * is reported once through its loop's exception handler — when the task is
 * garbage-collected (a `FinalizationRegistry`), or when `run()` ends (asyncio's
 * "Task exception was never retrieved").
 *
 * @example
 * ```ts
 * import { createTask, getRunningLoop, run, sleep } from 'corio';
 *
 * await run(async () => {
 *   getRunningLoop().setExceptionHandler((ctx) => console.log(ctx.message));
 *   createTask(async () => { throw new Error('lost'); }, { name: 'forgotten' });
 *   await sleep(1);
 * });
 * // => Task forgotten failed and nobody retrieved its error
 * ```
 * @module
 */
import type { EventLoop } from './loop.js';
import type { Task } from './task.js';

interface Held {
  readonly errors: UnretrievedErrors;
  readonly ref: WeakRef<Task>;
  readonly name: string;
  readonly error: unknown;
}

const collected = new FinalizationRegistry<Held>((held) => {
  held.errors.collected(held);
});

/** @internal One loop's failed tasks whose error nobody retrieved yet. */
export class UnretrievedErrors {
  readonly #loop: EventLoop;
  readonly #tracked = new Set<WeakRef<Task>>();

  constructor(loop: EventLoop) {
    this.#loop = loop;
  }

  /** Remembers `task`, which failed with `error`, until it is retrieved. */
  track(task: Task, error: unknown): WeakRef<Task> {
    const ref = new WeakRef(task);
    this.#tracked.add(ref);
    collected.register(task, { errors: this, ref, name: task.name, error }, task);
    return ref;
  }

  /** Its error was retrieved (or reported): forget it. */
  forget(task: Task, ref: WeakRef<Task>): void {
    this.#tracked.delete(ref);
    collected.unregister(task);
  }

  // The task was collected with its error still unretrieved.
  collected(held: Held): void {
    if (!this.#tracked.delete(held.ref)) return;
    this.#loop.callExceptionHandler({
      message: `Task ${held.name} failed and nobody retrieved its error`,
      error: held.error,
    });
  }

  /** The loop closes: every error still unretrieved is reported now. */
  reportAll(): void {
    for (const ref of this.#tracked) ref.deref()?._reportUnretrieved();
    this.#tracked.clear();
  }
}
