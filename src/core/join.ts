/**
 * `joinEnded(tasks)`: wait until every one of some tasks has ended, as a corio
 * wait, not as a cancellation point. What a combinator's close does after
 * cancelling the tasks it started: the waiting task is parked, so a virtual clock
 * moves while the tasks' cleanup sleeps (#11: a raw `Promise.all` here counted the
 * waiting task as runnable, and virtual time stood still forever).
 *
 * @example
 * ```ts
 * import { asCompleted, cancelScope, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const slow = async () => {
 *     try {
 *       await sleep(100);
 *     } finally {
 *       await cancelScope(() => sleep(5), { shield: true }); // cleanup that takes time
 *       console.log('cleaned up');
 *     }
 *   };
 *   // Leaving asCompleted early cancels what it started and waits for it (joinEnded).
 *   for await (const v of asCompleted([() => sleep(10, 'first'), slow])) {
 *     console.log(v);
 *     break;
 *   }
 * }, { clock: new VirtualClock() });
 * // => first
 * // => cleaned up
 * ```
 * @module
 */
import {
  RESOLVED,
  type Suspension,
  UNABORTABLE,
  type WaitKind,
  park,
  suspend,
  wake,
} from './suspend.js';
import type { Task } from './task.js';

interface Joining {
  readonly tasks: readonly Task[];
  left: number;
  s: Suspension<undefined> | null;
}

const JOIN_ENDED: WaitKind = {
  ...UNABORTABLE,
  waitingOn: (s) => (s.owner as Joining).tasks.filter((t) => !t.done()),
};

/**
 * @internal Resolves once every task in `tasks` has ended (at once if all have).
 * Not a cancellation point: a cancelled caller still waits.
 */
export function joinEnded(tasks: readonly Task[], description: string): Promise<void> {
  const joining: Joining = { tasks, left: 0, s: null };
  const onEnd = (): void => {
    if (--joining.left === 0 && joining.s !== null) wake(joining.s, undefined);
  };
  for (const task of tasks) {
    if (task.done()) continue;
    joining.left++;
    task._onDone(onEnd);
  }
  if (joining.left === 0) return RESOLVED;
  joining.s = suspend<undefined>(description, joining, JOIN_ENDED);
  return park(joining.s);
}
