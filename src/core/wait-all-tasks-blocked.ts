/**
 * `waitAllTasksBlocked()` (Trio's `wait_all_tasks_blocked`): resolves once every
 * other task of the loop is parked in a corio wait, so a test can look at state
 * "after everything has settled" without sleeping. Under a `VirtualClock` it
 * returns before the clock autojumps.
 *
 * @example
 * ```ts
 * import { Event, createTask, run } from 'corio';
 * import { VirtualClock, waitAllTasksBlocked } from 'corio/testing';
 *
 * await run(async () => {
 *   const event = new Event();
 *   const waiter = createTask(() => event.wait());
 *   await waitAllTasksBlocked();
 *   console.log(event.statistics().tasksWaiting);
 *   event.set();
 *   await waiter;
 * }, { clock: new VirtualClock() });
 * // => 1
 * ```
 * @module
 */
import { getRunningLoop } from './loop.js';
import { type WaitKind, park, suspend } from './suspend.js';
import type { EventLoop } from './loop.js';

const BLOCKED: WaitKind = {
  abort(s) {
    const waiters = (s.owner as EventLoop)._blockedWaiters;
    const i = waiters.indexOf(s);
    if (i >= 0) waiters.splice(i, 1);
    return true;
  },
};

/**
 * Waits until no other task of the running loop can make progress.
 *
 * **Cancellation:** always a cancellation point.
 *
 * @throws {InvalidStateError} outside `run()`.
 */
export async function waitAllTasksBlocked(): Promise<void> {
  const loop = getRunningLoop();
  const s = suspend<undefined>('waitAllTasksBlocked', loop, BLOCKED);
  loop._blockedWaiters.push(s);
  loop._scheduleIdleCheck();
  await park(s);
}
