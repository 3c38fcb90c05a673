/**
 * `shield()` (asyncio's `shield`): protect work from the caller's cancellation.
 * The shielded work runs on as a task of its own; a cancelled caller stops
 * waiting for it at once and sees `CancelledError`. Cleanup that must finish
 * before the caller goes on uses a shielded scope instead:
 * `cancelScope(fn, { shield: true })`.
 *
 * @example
 * ```ts
 * import { createTask, run, shield, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const save = createTask(async () => { await sleep(50); console.log('saved'); });
 *   const caller = createTask(() => shield(save));
 *   await sleep(10);
 *   caller.cancel();
 *   await sleep(100);
 *   console.log(caller.cancelled(), save.done());
 * }, { clock: new VirtualClock() });
 * // => saved
 * // => true true
 * ```
 * @module
 */
import { describe, isThenable } from '../_internal/validate.js';
import { awaitPromise, throwIfCancelled } from './suspend.js';
import { Task, type TaskFunction, createTask } from './task.js';

/** What `shield`, `waitFor` and the group functions accept: a task, a promise, or a function to run as a task. */
export type AwaitableOrFunction<T> = PromiseLike<T> | TaskFunction<T>;

/**
 * Awaits `work` without letting the caller's cancellation reach it. A function is
 * started as a new task; a task or promise is awaited as it is.
 *
 * **Cancellation:** always a cancellation point for the caller, which throws
 * `CancelledError` at once when cancelled; the shielded work goes on, and an
 * error it ends with later is reported if nobody retrieves it.
 */
export async function shield<T>(work: AwaitableOrFunction<T>): Promise<T> {
  throwIfCancelled();
  if (typeof work === 'function') return createTask(work)._join(false);
  if (work instanceof Task) return (work as Task<T>)._join(false);
  if (!isThenable(work)) {
    throw new TypeError(
      `shield(): \`work\` must be a task, a promise or a function, got ${describe(work)}`,
    );
  }
  return awaitPromise(work, 'shield');
}
