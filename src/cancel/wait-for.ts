/**
 * `waitFor()` (asyncio's `wait_for`, 3.12 semantics): wait for work with a
 * timeout; on timeout cancel the work, wait until it has really finished, then
 * throw `TimeoutError` whose `cause` is the `CancelledError`. If the work
 * swallows the cancellation and returns a value, `waitFor` returns that value.
 *
 * A function runs inline, inside a timeout scope it receives; a task is cancelled and
 * awaited; a plain promise cannot be cancelled, so on timeout it is abandoned.
 *
 * @example
 * ```ts
 * import { TimeoutError, run, sleep, waitFor } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   try {
 *     await waitFor(async () => {
 *       try { await sleep(1000); } finally { await sleep(50).catch(() => {}); }
 *     }, 100);
 *   } catch (err) {
 *     console.log(err instanceof TimeoutError);
 *   }
 * }, { clock: new VirtualClock() });
 * // => true
 * ```
 * @module
 */
import { checkDelay, describe, isThenable } from '../_internal/validate.js';
import { CancelledError, TimeoutError } from '../errors.js';
import type { CancelScope } from '../core/cancel-scope.js';
import {
  PROMISE_WAIT,
  type WaitKind,
  cancelAndJoin,
  cancelReasonOf,
  cancelTask,
  currentCancelNode,
  currentLoop,
  fail,
  park,
  resumed,
  retrieveOutcome,
  setTimer,
  suspend,
  taskOutcome,
  wake,
  watchTask,
} from '../core/lowlevel.js';
import { Task } from '../core/task.js';
import { timeout } from '../core/timeout.js';

interface TaskWait {
  readonly task: Task;
  timedOut: boolean;
}

// The caller was cancelled: cancel the task too, and keep waiting for it (asyncio).
const WAIT_TASK: WaitKind = {
  abort(s) {
    cancelTask(
      (s.owner as TaskWait).task,
      new CancelledError('waitFor(): the caller was cancelled', { source: 'parent' }),
    );
    return false;
  },
};

/**
 * Awaits `work` for at most `ms`.
 *
 * **Cancellation:** always a cancellation point. A cancelled caller cancels a task
 * or function it waits for, and waits for it to finish before throwing.
 *
 * @throws {TimeoutError} when `ms` passed first, with `cause` the work's `CancelledError`.
 * @throws {RangeError} if `ms` is negative or NaN.
 */
export async function waitFor<T>(
  work: PromiseLike<T> | ((scope: CancelScope) => T | PromiseLike<T>),
  ms: number,
): Promise<T> {
  checkDelay('waitFor()', 'ms', ms);
  if (typeof work === 'function') {
    return timeout(ms, work);
  }
  if (work instanceof Task) return waitForTask(work as Task<T>, ms);
  if (!isThenable(work)) {
    throw new TypeError(
      `waitFor(): \`work\` must be a task, a promise or a function, got ${describe(work)}`,
    );
  }
  return waitForPromise(work, ms);
}

async function waitForTask<T>(task: Task<T>, ms: number): Promise<T> {
  // Already cancelled: cancel the task too and wait for it, as a cancellation
  // that comes while waiting does (#11: it threw at once, leaving the task running).
  const node = currentCancelNode();
  const reason = node === null ? null : cancelReasonOf(node);
  if (reason !== null && !task.done()) return cancelAndJoin(task, reason);
  const state: TaskWait = { task: task, timedOut: false };
  const s = suspend<undefined>(`waitFor(${task.name}, ${ms})`, state, WAIT_TASK);
  const timer =
    ms === Infinity
      ? null
      : setTimer(
          currentLoop().time() + ms,
          (st) => {
            st.timedOut = true;
            cancelTask(
              st.task,
              new CancelledError(`waitFor(): ${ms} ms passed`, { source: 'deadline' }),
            );
          },
          state,
        );
  watchTask(task, () => {
    timer?.cancel();
    wake(s, undefined);
  });
  await s.promise;
  resumed(s);
  const outcome = taskOutcome(task);
  if (state.timedOut && outcome.state === 'cancelled') {
    retrieveOutcome(task);
    throw new TimeoutError(`waitFor(): timed out after ${ms} ms`, { ms, cause: outcome.error });
  }
  return task.result();
}

async function waitForPromise<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  const s = suspend<T>(`waitFor(promise, ${ms})`, promise, PROMISE_WAIT);
  const timer =
    ms === Infinity
      ? null
      : setTimer(
          currentLoop().time() + ms,
          (wait) => {
            fail(wait, new TimeoutError(`waitFor(): timed out after ${ms} ms`, { ms }));
          },
          s,
        );
  promise.then(
    (value) => {
      timer?.cancel();
      wake(s, value);
    },
    (error: unknown) => {
      timer?.cancel();
      fail(s, error);
    },
  );
  try {
    return await park(s);
  } finally {
    timer?.cancel();
  }
}
