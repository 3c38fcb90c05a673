/**
 * `corio/lowlevel` (Trio's `trio.lowlevel`): the kernel's one public face. Every
 * layer above the kernel — corio's own primitives, queues, iterators, I/O — and
 * a third-party library build on these names alone; everything else in the
 * kernel is private to it and may change.
 *
 * - **Waiting.** `ParkingLot` (park, wake one, wake all, hand-on when a woken
 *   waiter is cancelled); for a wait of your own, `suspend()` a `Suspension`
 *   with a `WaitKind` (its abort / unclaimed / committed hooks and a description
 *   for task trees), end it with `wake()`/`fail()`, and finish the waiting method
 *   with `parkThen()` (the level-triggered `resumed()` check first);
 *   `awaitPromise()` waits for a host promise as a cancellation point.
 * - **Checkpoints.** `throwIfCancelled()` (every waiting method starts with it),
 *   `checkpoint()`, `cancelShieldedCheckpoint()`.
 * - **Where the code runs.** `currentCancelNode()` (the innermost task or scope,
 *   with its `signal`), `cancelReasonOf(node)`, `currentLoop()`.
 * - **Time.** `setTimer(when, fn, arg)`: a callback at a loop time, on the
 *   loop's clock, without a closure.
 * - **Helper tasks.** `Nursery`: tasks owned by the code that opened it;
 *   `close()` cancels and joins them.
 * - **Task outcomes** for combinators: `watchTask`/`unwatchTask`,
 *   `taskOutcome`, `retrieveOutcome`, `cancelTask`.
 * - **Scheduling.** `setScheduler()`: a tool (`explore()` in `corio/testing`)
 *   decides the order of task starts, resumptions and due timers.
 *
 * The rule every waiting method follows: it is a plain function (not `async`)
 * that checks its input and `throwIfCancelled()` first, returns a settled
 * promise when it need not wait, and otherwise ends in `parkThen(s, reaction)`
 * with one shared reaction: no frame, no closure per wait.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from 'corio';
 * import { ParkingLot, throwIfCancelled } from 'corio/lowlevel';
 * import { VirtualClock } from 'corio/testing';
 *
 * // A one-shot Future, cancel-safe on the kernel's face alone.
 * class Future<T> {
 *   #done = false;
 *   #value: T | undefined;
 *   readonly #waiters = new ParkingLot();
 *   setResult(value: T): void {
 *     this.#done = true;
 *     this.#value = value;
 *     this.#waiters.wakeAll(undefined);
 *   }
 *   async result(): Promise<T> {
 *     throwIfCancelled();
 *     if (!this.#done) await this.#waiters.park('Future.result');
 *     return this.#value as T;
 *   }
 * }
 *
 * await run(async () => {
 *   const answer = new Future<number>();
 *   await taskGroup((tg) => {
 *     tg.spawn(async () => console.log('got', await answer.result()));
 *     tg.spawn(async () => { await sleep(10); answer.setResult(42); });
 *   });
 * }, { clock: new VirtualClock() });
 * // => got 42
 * ```
 * @module corio/lowlevel
 */
import { describe } from '../_internal/validate.js';
import { cancelAndJoin as joinCancelled } from './await-task.js';
import { CancelNode, effectiveCancel, isTaskNode, walkOwn } from './cancel-node.js';
import { currentNode } from './context.js';
import type { CancelledError } from '../errors.js';
import { type EventLoop, currentLoop, getRunningLoop } from './loop.js';
import type { Scheduler } from './scheduler.js';
import type { TimerHandle } from './timers.js';
import type { Suspension } from './suspend.js';
import type { Task } from './task.js';

export { hostOf, ParkingLot, type ParkingLotOptions } from './parking-lot.js';
export {
  awaitPromise,
  CLEAR_ON_ABORT,
  fail,
  park,
  parkThen,
  PROMISE_WAIT,
  rejected,
  RESOLVED,
  resumed,
  enterWait,
  type SignalOptions,
  Suspension,
  suspend,
  throwIfCancelled,
  UNABORTABLE,
  type WaitKind,
  wake,
} from './suspend.js';
export { cancelShieldedCheckpoint, checkpoint } from './sleep.js';
export { Nursery, type NurseryOptions, type NurserySpawnOptions } from './nursery.js';
export { currentLoop } from './loop.js';
export { waitAllTasksBlocked } from './wait-all-tasks-blocked.js';
export { setDefaultClock } from './default-clock.js';
export {
  combineInstruments,
  type Instrument,
  type Wait,
  type WaitOutcome,
} from './instrument.js';
export { type DebugMode, type DebugOptions, type DebugSession, setDebugMode } from './run.js';
export { CancelNode } from './cancel-node.js';
export {
  type ResumeOutcome,
  ScheduledStep,
  type Scheduler,
  type StepKind,
} from './scheduler.js';

/**
 * The innermost live cancel node the calling code runs in: its task, or a
 * cancel scope, task group or nursery inside it; `null` outside every task and
 * scope. Its `signal` aborts when the code is cancelled; `cancelReasonOf(node)`
 * says whether it already is.
 *
 * @example
 * ```ts
 * import { cancelScope, run } from 'corio';
 * import { cancelReasonOf, currentCancelNode } from 'corio/lowlevel';
 *
 * await run(() => cancelScope((scope) => {
 *   const node = currentCancelNode();
 *   console.log(node === scope, cancelReasonOf(node!) === null);
 *   scope.cancel('stop');
 *   console.log(cancelReasonOf(node!)?.message);
 * }));
 * // => true true
 * // => stop
 * ```
 */
export function currentCancelNode(): CancelNode | null {
  return currentNode();
}

/**
 * The `CancelledError` in force at `node` (its own cancellation, or an
 * ancestor's reached without crossing a shield), or `null`.
 */
export function cancelReasonOf(node: CancelNode): CancelledError | null {
  if (!(node instanceof CancelNode)) {
    throw new TypeError('cancelReasonOf(): `node` must be a CancelNode (a task or a scope)');
  }
  return effectiveCancel(node);
}

/**
 * Calls `fn(arg)` once the current loop's time reaches `when` (ms of loop time,
 * on its clock: virtual under a `VirtualClock`). For primitives: one shared
 * `fn` and its state in `arg` make no closure per timer. `fn` runs where the
 * loop's alarm fires, in no context of its own (unlike `callLater()`, it does not
 * see the context it was set in: a primitive's `fn` wakes a wait, whose task
 * resumes in its own), and must not throw; `cancel()` the handle to remove it
 * at once.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep } from 'corio';
 * import { setTimer } from 'corio/lowlevel';
 * import { VirtualClock } from 'corio/testing';
 *
 * const ring = (name: unknown): void => console.log(name, 'at', getRunningLoop().time());
 * await run(async () => {
 *   setTimer(getRunningLoop().time() + 50, ring, 'alarm');
 *   await sleep(100);
 * }, { clock: new VirtualClock() });
 * // => alarm at 50
 * ```
 */
export function setTimer<A>(when: number, fn: (arg: A) => void, arg: A): TimerHandle {
  if (typeof when !== 'number' || Number.isNaN(when)) {
    throw new RangeError('setTimer(): `when` must be a loop time in ms');
  }
  if (typeof fn !== 'function') throw new TypeError('setTimer(): `fn` must be a function');
  return currentLoop()._schedule(when, fn as (arg: unknown) => void, arg);
}

/**
 * Calls `listener(task)` the moment `task` ends (at once if it has), after its
 * owner and before its awaiters resume, without retrieving its error: what
 * `gather`, `wait` and `asCompleted` watch tasks with.
 */
export function watchTask<T>(task: Task<T>, listener: (task: Task<T>) => void): void {
  task._onDone(listener);
}

/** Removes a listener added by `watchTask`. */
export function unwatchTask<T>(task: Task<T>, listener: (task: Task<T>) => void): void {
  task._offDone(listener);
}

/** How a task ended, read without retrieving its error (see `retrieveOutcome`). */
export type TaskOutcome<T> =
  | { readonly state: 'pending' }
  | { readonly state: 'value'; readonly value: T }
  | { readonly state: 'error'; readonly error: unknown }
  | { readonly state: 'cancelled'; readonly error: CancelledError };

/**
 * The task's outcome. Unlike `result()`/`exception()`, it does not count as
 * receiving the error: call `retrieveOutcome(task)` once the caller has taken
 * responsibility for it, or it is reported as never retrieved.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from 'corio';
 * import { retrieveOutcome, taskOutcome } from 'corio/lowlevel';
 *
 * await run(async () => {
 *   const task = createTask(async () => { throw new RangeError('bad'); });
 *   await sleep(0);
 *   const outcome = taskOutcome(task);
 *   console.log(outcome.state, outcome.state === 'error' && (outcome.error as Error).message);
 *   retrieveOutcome(task); // handled here: not reported when run() ends
 * });
 * // => error bad
 * ```
 */
export function taskOutcome<T>(task: Task<T>): TaskOutcome<T> {
  if (!task.done()) return { state: 'pending' };
  if (task.cancelled()) return { state: 'cancelled', error: task._error() as CancelledError };
  if (task._failed()) return { state: 'error', error: task._error() };
  return { state: 'value', value: task._value() as T };
}

/**
 * Whether `task` ended with an error (not a cancellation), read without retrieving
 * it and without allocating: the check a group makes for every child that ends.
 */
export function taskFailed(task: Task): boolean {
  return task._failed();
}

/**
 * The error (or `CancelledError`) `task` ended with, read without retrieving it;
 * `undefined` while it runs or once it returned a value.
 */
export function taskError(task: Task): unknown {
  return task._error();
}

/** Marks the task's error as received: it will not be reported as never retrieved. */
export function retrieveOutcome(task: Task): void {
  task._retrieve();
}

/**
 * Cancels `task` with `reason` (a `CancelledError` whose `source` says why, as
 * `'parent'` for work a combinator started): `task.cancel()` with the error
 * chosen by the caller. No effect on a finished task.
 */
export function cancelTask(task: Task, reason: CancelledError): void {
  task._cancelWith(reason);
}

/**
 * What a waiting method does when its caller, already cancelled with `reason`,
 * asks to wait for `task`: cancel the task (as the cancellation of a task
 * awaiting it would), wait until it has ended, then throw `reason` (asyncio).
 *
 * **Cancellation:** not a cancellation point: it waits for the task to end, as
 * `await task` does for a caller cancelled while it waits; it always throws
 * `reason`.
 */
export function cancelAndJoin(task: Task, reason: CancelledError): Promise<never> {
  return joinCancelled(task, reason);
}

// Introspection: what task trees, debug mode and a debugger of your own read.

/** The living tasks of `loop` (default: the current one), in creation order. */
export function tasksOf(loop: EventLoop = currentLoop()): Task[] {
  return loop._livingTasks();
}

/** The parked waits of `task`: in its own node and its scopes, not its children's. */
export function waitsOf(task: Task): Suspension[] {
  const waits: Suspension[] = [];
  walkOwn(
    task,
    (node) => {
      for (let s = node.firstWait; s !== null; s = s.nextWait) waits.push(s);
    },
    null,
  );
  return waits;
}

/** The task whose tree `task` hangs in (its group's or scope's task), or null for a top-level one. */
export function parentTaskOf(task: Task): Task | null {
  for (let n = task.parent; n !== null; n = n.parent) if (isTaskNode(n)) return n;
  return null;
}

/** The loop time `task` started at, in whole ms, or -1 while it waits to start. */
export function taskStartTime(task: Task): number {
  return task._startedAt;
}

/**
 * Makes `scheduler` decide the order of the running loop's steps from now on —
 * task starts, resumptions of ended waits, callbacks of due timers — until the
 * loop closes or `setScheduler(null)` hands the order back to the loop. Steps
 * already held stay with the scheduler that holds them. For testing tools:
 * `explore()` in `corio/testing` is built on it (see `Scheduler` for an example).
 *
 * @throws {InvalidStateError} outside `run()`.
 * @throws {TypeError} if `scheduler` has no `hold` and `busy` methods.
 */
export function setScheduler(scheduler: Scheduler | null): void {
  if (
    scheduler !== null &&
    (typeof scheduler !== 'object' ||
      typeof scheduler.hold !== 'function' ||
      typeof scheduler.busy !== 'function')
  ) {
    throw new TypeError(
      `setScheduler(): \`scheduler\` must be a Scheduler (an object with hold() and busy()) or null, got ${describe(scheduler)}`,
    );
  }
  getRunningLoop()._scheduler = scheduler;
}
