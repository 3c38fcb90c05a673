/**
 * Task groups (asyncio's `TaskGroup`, Trio's nursery): structured concurrency.
 * `taskGroup(body)` runs `body(tg)`, in which `tg.spawn(fn)` starts child tasks,
 * and returns only when every child has finished.
 *
 * When a child fails with anything but `CancelledError`, the group cancels its
 * other children and its body, waits for them, and throws an `ExceptionGroup` of
 * every real error, the body's included. When the enclosing task or scope is
 * cancelled, the children are cancelled and awaited, and `CancelledError`
 * propagates. `tg.cancel()` ends the group quietly.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   await taskGroup(async (tg) => {
 *     for (const [name, ms] of [['a', 20], ['b', 10]] as const) {
 *       tg.spawn(async () => { await sleep(ms); console.log(name, 'done'); });
 *     }
 *   });
 *   console.log('all done');
 * }, { clock: new VirtualClock() });
 * // => b done
 * // => a done
 * // => all done
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkFunction, checkOptions, checkString, optionNames } from '../_internal/validate.js';
import { CancelledError, ExceptionGroup, InvalidStateError, isCancellation } from '../errors.js';
import {
  Nursery,
  type Suspension,
  type WaitKind,
  fail,
  rejected,
  resumed,
  suspend,
  taskError,
  taskFailed,
  taskOutcome,
  throwIfCancelled,
  wake,
} from '../core/lowlevel.js';
import type { Task, TaskFunction } from '../core/task.js';

export interface SpawnOptions {
  /** The child task's name. */
  readonly name?: string;
}

const SPAWN_OPTIONS = optionNames<SpawnOptions>({ name: true });

/** Handed to a function run by `tg.start()`: it calls `started(value)` once ready. */
export interface TaskStatus<V> {
  /**
   * Reports that the child is ready: it moves into the group, and `tg.start()`
   * resolves with `value`. If the caller of `start()` was cancelled meanwhile,
   * it does nothing: the child stays in the caller's cancelled scope, and
   * `start()` throws the caller's `CancelledError` once the child has ended.
   *
   * @throws {InvalidStateError} if `started()` was already called, or the child
   * has already ended.
   */
  started(value: V): void;
}

const OPEN = 0;
const JOINING = 1;
const CLOSED = 2;

// A child of tg.start() that has not called started() yet: it is a helper of a
// nursery in the caller's scope, so a cancelled caller cancels it too, and its
// outcome goes to the start() caller, not to the group (Trio).
class Starting<V> implements TaskStatus<V> {
  // Let go once the child has moved into the group: the status the child keeps
  // must not keep the caller's scope and task alive for the child's lifetime.
  #group: TaskGroup | null;
  #waiter: Suspension<V> | null;
  // The nursery in the caller's scope the child lives in until started().
  #caller: Nursery | null;
  task: Task | null = null;
  #started = false;

  constructor(group: TaskGroup, waiter: Suspension<V>) {
    this.#group = group;
    this.#waiter = waiter;
    this.#caller = new Nursery({ onEnd: this.#ended });
  }

  /** The nursery in the caller's scope (read by start() before the child runs). */
  get caller(): Nursery {
    return this.#caller as Nursery;
  }

  started(value: V): void {
    if (this.#started) {
      throw new InvalidStateError('TaskStatus.started(): started() was already called');
    }
    const task = this.task as Task;
    // Moving an ended task into the group would have the group wait for it forever.
    if (task.done()) {
      throw new InvalidStateError(`TaskStatus.started(): ${task.name} has already ended`);
    }
    this.#started = true;
    // A caller cancelled meanwhile is not told, and the child is not moved:
    // moved, it would leave the cancellation that is ending it, and run on in
    // the group after start() threw (Trio quietly does nothing here too).
    if ((this.#caller as Nursery).cancelReason !== null) return;
    (this.#group as TaskGroup)._adopt(task);
    wake(this.#waiter as Suspension<V>, value);
    this.#group = this.#waiter = this.#caller = this.task = null;
  }

  // The child ended in the caller's scope: start() throws its error, the
  // caller's cancellation (it cut the child short, even if the child then
  // returned), or says why not.
  readonly #ended = (task: Task): void => {
    const waiter = this.#waiter;
    const caller = this.#caller;
    // Once moved into the group, the child is no longer the caller's helper.
    if (waiter === null || caller === null) return;
    const outcome = taskOutcome(task);
    if (outcome.state === 'error' || outcome.state === 'cancelled') {
      fail(waiter, outcome.error);
    } else if (caller.cancelReason !== null) {
      fail(waiter, caller.cancelReason);
    } else {
      fail(
        waiter,
        new InvalidStateError(
          `TaskGroup.start(): ${task.name} returned without calling status.started()`,
        ),
      );
    }
  };
}

// While start() waits, the child lives in the caller's scope, so a cancelled
// caller cancels it too; start() then waits for it to end. Once started() has
// moved the child into the group, start() returns its value even if the caller
// is cancelled before it resumes (the cancellation comes at its next
// checkpoint): thrown there, it would lose the value of a child that now runs
// on in the group.
const START_WAIT: WaitKind = { abort: () => false, committed: true };

/** The handle a `taskGroup` body receives. */
export class TaskGroup {
  // The group's helpers are its children; the body runs inside its node too.
  readonly #nursery: Nursery;
  #state = OPEN;
  #errors: unknown[] = [];
  readonly #childEnded = (task: Task): void => {
    if (taskFailed(task)) {
      const error = taskError(task);
      this.#errors.push(error);
      this.#abort(error);
    }
  };

  /** @internal Use taskGroup(). */
  static _open(): TaskGroup {
    return new TaskGroup();
  }

  // Private: a group is opened by taskGroup(), which also runs and joins it.
  private constructor() {
    this.#nursery = new Nursery({ onEnd: this.#childEnded });
  }

  /**
   * Starts `fn` as a child task of the group and returns it. The child starts on the
   * next microtask; its `CancelledError` is absorbed, any other error fails the group.
   * In a cancelled task or scope the child is still accepted, and ends cancelled
   * without running its function (Trio's `start_soon`): the cancellation, not an
   * error, is what the caller then sees.
   *
   * @throws {InvalidStateError} if the group has finished, or its own cancellation
   * (`cancel()`, a failed child or body) has begun.
   * @throws {TypeError} if `fn` is not a function.
   */
  spawn<T>(fn: TaskFunction<T>, options?: SpawnOptions): Task<T> {
    checkFunction('TaskGroup.spawn()', 'fn', fn);
    checkOptions('TaskGroup.spawn()', 'options', options, SPAWN_OPTIONS);
    checkString('TaskGroup.spawn()', 'options.name', options?.name);
    this.#checkOpen('spawn');
    return this.#nursery.spawn(fn, options);
  }

  /**
   * Starts `fn(status)` as a child and waits until it calls `status.started(value)`,
   * then returns `value` (Trio's `nursery.start`): for a server that must listen
   * before the caller goes on. Until then the child runs in the caller's scope and
   * its errors are thrown here, not by the group.
   *
   * **Cancellation:** always a cancellation point. A cancelled caller cancels the
   * child and waits for it to end before throwing its `CancelledError` (a
   * `started()` call in between changes nothing). Once `started()` has moved the
   * child into the group, `start()` returns its value even if the caller is
   * cancelled before it resumes; the cancellation comes at its next checkpoint.
   *
   * @throws {InvalidStateError} if the child returns without calling `started()`,
   * or if the group has finished or is being cancelled.
   */
  async start<V>(fn: (status: TaskStatus<V>) => unknown, options?: SpawnOptions): Promise<V> {
    checkFunction('TaskGroup.start()', 'fn', fn);
    checkOptions('TaskGroup.start()', 'options', options, SPAWN_OPTIONS);
    checkString('TaskGroup.start()', 'options.name', options?.name);
    throwIfCancelled();
    this.#checkOpen('start');
    const s = suspend<V>('TaskGroup.start', this, START_WAIT);
    const starting = new Starting<V>(this, s);
    const caller = starting.caller;
    starting.task = caller.spawn(() => fn(starting), options);
    try {
      await s.promise;
    } finally {
      caller.exit();
    }
    resumed(s);
    return s.value as V;
  }

  /** @internal Moves a started child from the caller's scope into the group. */
  _adopt(task: Task): void {
    this.#nursery.adopt(task);
  }

  /**
   * Cancels the body and every child; the group then ends quietly (no error),
   * once they have all finished. For first-result-wins patterns.
   */
  cancel(message?: string): void {
    checkString('TaskGroup.cancel()', 'message', message);
    this.#nursery.cancel(
      new CancelledError(message ?? 'TaskGroup.cancel() was called', { source: 'explicit' }),
    );
  }

  /** `true` once the group's own cancellation was asked (by `cancel()` or a failing child). */
  cancelCalled(): boolean {
    return this.#nursery.cancelCalled;
  }

  #checkOpen(method: string): void {
    if (this.#state === CLOSED) {
      throw new InvalidStateError(
        `TaskGroup.${method}(): the group has finished; ${method} from inside the taskGroup() body or from its children while it is open`,
      );
    }
    // Only the group's own cancellation (cancel(), a failed child or body) closes
    // it to newcomers. Under a cancellation from outside, a child is still
    // accepted and ends cancelled without running (Trio's rule), so spawning in a
    // cancelled task is a cancellation, never an InvalidStateError (#11).
    if (this.#nursery.cancelCalled) {
      throw new InvalidStateError(
        `TaskGroup.${method}(): the group is being cancelled; no new tasks may join it`,
      );
    }
  }

  #abort(cause: unknown): void {
    this.#nursery.cancel(
      new CancelledError('a task of the group failed', { source: 'group', cause }),
    );
  }

  /** @internal Runs the body, waits for the children, and decides the outcome. */
  async _run<T>(body: (tg: TaskGroup) => T | PromiseLike<T>): Promise<T | undefined> {
    let value: T | undefined;
    let bodyError: unknown;
    let bodyFailed = false;
    let ownCancel = false;
    try {
      value = await this.#nursery.enter(body, this);
    } catch (error) {
      bodyFailed = true;
      bodyError = error;
      // A CancelledError is the group's own (caught below) only if the group was
      // cancelled before the body threw it.
      ownCancel = isCancellation(error) && this.#nursery.cancelCalled;
      if (!isCancellation(error)) this.#errors.push(error);
      this.#abort(error);
    }
    // Not a cancellation point: a cancelled group still waits for its children,
    // which the cancellation reached through the tree.
    this.#state = JOINING;
    await this.#nursery.join('TaskGroup.join');
    this.#state = CLOSED;
    // A cancellation from outside propagates even if the body finished (#11).
    const outer = this.#nursery.exit();
    if (this.#errors.length > 0) {
      const n = this.#errors.length;
      throw new ExceptionGroup(
        this.#errors,
        `taskGroup(): ${n} error${n === 1 ? '' : 's'} in the group`,
      );
    }
    if (outer !== null) throw bodyFailed ? bodyError : outer;
    if (bodyFailed && !ownCancel) throw bodyError;
    return bodyFailed ? undefined : value;
  }

  [inspectSymbol](): string {
    const state = ['open', 'joining', 'closed'][this.#state] as string;
    const words = [state];
    if (this.#nursery.cancelCalled) words.push('cancelled');
    return show('TaskGroup', words, { children: this.#nursery.size });
  }
}

/**
 * Runs `body(tg)` and waits for every task it spawns. Returns the body's value, or
 * `undefined` if `tg.cancel()` cut the body short.
 *
 * **Cancellation:** a cancellation point on exit. When the enclosing task or scope
 * is cancelled, the body and every child are cancelled, awaited, and the
 * `CancelledError` propagates; if children also failed with real errors, their
 * `ExceptionGroup` is thrown instead (the owner stays cancelled).
 *
 * @throws {ExceptionGroup} holding every real error of the children and the body.
 * @throws {TypeError} if `body` is not a function.
 */
export function taskGroup<T>(body: (tg: TaskGroup) => T | PromiseLike<T>): Promise<T | undefined> {
  // Not async: the group's own run is the one async frame (an async wrapper
  // returning its promise cost a frame, a promise and two hops per group).
  // Bad input still rejects rather than throws.
  try {
    checkFunction('taskGroup()', 'body', body);
    return TaskGroup._open()._run(body);
  } catch (error) {
    return rejected(error);
  }
}
