/**
 * `await task` from another task, as a wait: its kinds (asyncio's "cancelling the
 * awaiting task cancels the awaited one"; a shielded await; the wait of a caller
 * already cancelled), the awaiter list each task keeps, and the check that
 * breaks a cycle of tasks awaiting each other.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const worker = createTask(async () => { await sleep(10); return 'done'; }, { name: 'worker' });
 *   const boss = createTask(() => worker, { name: 'boss' }); // awaits worker (AWAIT_TASK)
 *   await sleep(1);
 *   boss.cancel(); // reaches worker too; boss waits until worker has ended
 *   await Promise.resolve(boss).catch(() => {});
 *   console.log(String(worker), String(boss));
 * }, { clock: new VirtualClock() });
 * // => Task<worker cancelled> Task<boss cancelled>
 * ```
 * @module
 */
import { CancelledError } from '../errors.js';
import { effectiveCancel, walkOwn } from './cancel-node.js';
import { currentNode } from './context.js';
import {
  type Suspension,
  type WaitKind,
  afterWait,
  parkThen,
  rejected,
  resumed,
  suspend,
  throwIfCancelled,
} from './suspend.js';
import type { Task } from './task.js';

const describeAwait = (s: Suspension): string => `await ${(s.owner as Task).name}`;
const awaitedTask = (s: Suspension): readonly Task[] => [s.owner as Task];

// `await task` from another task: cancelling the awaiting task cancels the
// awaited one, and the wait goes on until it has really finished (asyncio).
// Unless the awaited task itself awaits the awaiting one, directly or through
// others: such a cycle never ends by waiting (#11: run() hung in its shutdown),
// so this wait is withdrawn, and the rest of the cycle unwinds behind it.
export const AWAIT_TASK: WaitKind = {
  abort(s) {
    const task = s.owner as Task;
    const reason = s.node === null ? null : effectiveCancel(s.node);
    task._cancelWith(
      new CancelledError(`${task.name} was cancelled because the task awaiting it was`, {
        source: 'parent',
        cause: reason,
      }),
    );
    return s.task !== null && awaitsTransitively(task, s.task);
  },
  describe: describeAwait,
  waitingOn: awaitedTask,
};

// `await task` from a task that was already cancelled: the awaited task is
// cancelled, and the wait lasts until it has ended (asyncio cancels the new
// waiter at once and still waits for it). Not a cancellation point itself: the
// caller's CancelledError is thrown when it ends (#11: it was thrown at once and
// left the awaited task running).
export const AWAIT_ENDING: WaitKind = {
  abort: () => false,
  uncancellable: true,
  describe: describeAwait,
  waitingOn: awaitedTask,
};

// Whether `from` awaits `target` through a chain of parked `await task` waits.
function awaitsTransitively(from: Task, target: Task): boolean {
  const seen = new Set<Task>();
  const stack = [from];
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    if (seen.has(t)) continue;
    seen.add(t);
    walkOwn(
      t,
      (node) => {
        for (let w = node.firstWait; w !== null; w = w.nextWait) {
          if (w.kind === AWAIT_TASK || w.kind === AWAIT_ENDING) stack.push(w.owner as Task);
        }
      },
      null,
    );
    if (stack.includes(target)) return true;
  }
  return false;
}

// `await shield(task)`: the awaiting task stops waiting; the awaited one runs on.
export const AWAIT_SHIELDED: WaitKind = {
  abort(s) {
    unlinkAwaiter(s.owner as Task, s);
    return true;
  },
  describe: describeAwait,
  waitingOn: awaitedTask,
};

/** Adds `s` at the end of the list of waits awaiting `task`. */
export function linkAwaiter(task: Task, s: Suspension): void {
  s.prev = task._lastAwaiter;
  if (task._lastAwaiter === null) task._firstAwaiter = s;
  else task._lastAwaiter.next = s;
  task._lastAwaiter = s;
}

/** Removes `s` from the list of waits awaiting `task`. */
export function unlinkAwaiter(task: Task, s: Suspension): void {
  if (s.prev === null) task._firstAwaiter = s.next;
  else s.prev.next = s.next;
  if (s.next === null) task._lastAwaiter = s.prev;
  else s.next.prev = s.prev;
  s.prev = s.next = null;
}

const ignore = (): void => {};

/**
 * `await task` from another task: a cancellation point that forwards the
 * caller's cancellation to the task (asyncio), or, `propagateCancel` false
 * (`shield(task)`), only stops waiting. Not async (see `parkThen`): no frame
 * and no promise of its own per await.
 */
export function joinFrom<T>(task: Task<T>, propagateCancel: boolean): Promise<T> {
  try {
    if (task.done()) {
      throwIfCancelled();
      return Promise.resolve(task.result());
    }
    if (propagateCancel) {
      const node = currentNode();
      const reason = node === null ? null : effectiveCancel(node);
      if (reason !== null) return cancelAndJoin(task, reason);
    }
    const s = suspend<T>('await', task, propagateCancel ? AWAIT_TASK : AWAIT_SHIELDED);
    linkAwaiter(task, s);
    return parkThen(s, afterWait, joinFailed) as Promise<T>;
  } catch (error) {
    return rejected(error);
  }
}

// The awaited task failed or was cancelled: its error, now retrieved, unless
// the awaiting task was cancelled meanwhile. A wait withdrawn by a cancellation
// rejects without coming here.
const joinFailed = (error: unknown, s: Suspension): never => {
  resumed(s);
  (s.owner as Task)._retrieve();
  throw error;
};

/**
 * The caller is already cancelled with `reason`: cancel `task` as the
 * cancellation of a task awaiting it would, wait until it has ended, and throw
 * `reason` (asyncio; see AWAIT_ENDING).
 */
export async function cancelAndJoin(task: Task, reason: CancelledError): Promise<never> {
  task._cancelWith(
    new CancelledError(`${task.name} was cancelled because the task awaiting it was`, {
      source: 'parent',
      cause: reason,
    }),
  );
  if (!task.done()) {
    const s = suspend('await', task, AWAIT_ENDING);
    linkAwaiter(task, s);
    await s.promise.then(undefined, ignore);
  }
  task._retrieve();
  throw reason;
}
