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
import { checkFunction, checkOptions, checkString } from '../_internal/validate.js';
import { CancelledError, ExceptionGroup, InvalidStateError, isCancellation } from '../errors.js';
import {
  CancelNode,
  attach,
  childTasks,
  cancelNode,
  detach,
  effectiveCancel,
  reparent,
} from '../core/cancel-node.js';
import { context, currentNode } from '../core/context.js';
import { type EventLoop, currentLoop } from '../core/loop.js';
import {
  type Suspension,
  UNABORTABLE,
  type WaitKind,
  fail,
  resumed,
  suspend,
  throwIfCancelled,
  wake,
} from '../core/suspend.js';
import { type Task, type TaskFunction, type TaskOwner, startTask } from '../core/task.js';

export interface SpawnOptions {
  /** The child task's name. */
  readonly name?: string;
}

/** Handed to a function run by `tg.start()`: it calls `started(value)` once ready. */
export interface TaskStatus<V> {
  /** Reports that the child is ready: `tg.start()` then resolves with `value`. */
  started(value: V): void;
}

const OPEN = 0;
const JOINING = 1;
const CLOSED = 2;

// A child of tg.start() that has not called started() yet: its outcome goes to the
// start() caller, not to the group (Trio).
class Starting<V> implements TaskOwner, TaskStatus<V> {
  readonly #group: TaskGroup;
  readonly #waiter: Suspension<V>;
  task: Task | null = null;
  #started = false;

  constructor(group: TaskGroup, waiter: Suspension<V>) {
    this.#group = group;
    this.#waiter = waiter;
  }

  started(value: V): void {
    if (this.#started) {
      throw new InvalidStateError('TaskStatus.started(): started() was already called');
    }
    this.#started = true;
    const task = this.task as Task;
    this.#group._adopt(task);
    wake(this.#waiter, value);
  }

  _childDone(task: Task): void {
    if (task.cancelled()) {
      fail(this.#waiter, task._error());
    } else if (task._failed()) {
      fail(this.#waiter, task._error());
    } else {
      fail(
        this.#waiter,
        new InvalidStateError(
          `TaskGroup.start(): ${task.name} returned without calling status.started()`,
        ),
      );
    }
  }
}

// While start() waits, the child lives in the caller's scope, so a cancelled
// caller cancels it too; start() then waits for it to end.
const START_WAIT: WaitKind = { abort: () => false };

// A group's join: not a cancellation point; its children end it.
const JOIN: WaitKind = {
  ...UNABORTABLE,
  waitingOn: (s) => childTasks((s.owner as TaskGroup)._node),
};

/** The handle a `taskGroup` body receives. */
export class TaskGroup {
  /** @internal The group's cancel node: parent of the body and the children. */
  readonly _node: CancelNode;
  readonly #loop: EventLoop;
  #state = OPEN;
  #children = 0;
  #errors: unknown[] = [];
  #joiner: Suspension<undefined> | null = null;

  /** @internal */
  constructor(loop: EventLoop, parent: CancelNode | null) {
    this.#loop = loop;
    this._node = new CancelNode(loop, parent === null ? null : parent.task, false);
    attach(this._node, parent);
  }

  /**
   * Starts `fn` as a child task of the group and returns it. The child starts on the
   * next microtask; its `CancelledError` is absorbed, any other error fails the group.
   *
   * @throws {InvalidStateError} if the group has finished or is being cancelled.
   * @throws {TypeError} if `fn` is not a function.
   */
  spawn<T>(fn: TaskFunction<T>, options?: SpawnOptions): Task<T> {
    checkFunction('TaskGroup.spawn()', 'fn', fn);
    checkOptions('TaskGroup.spawn()', 'options', options);
    checkString('TaskGroup.spawn()', 'options.name', options?.name);
    this.#checkOpen('spawn');
    const task = startTask(this.#loop, fn, options?.name, this._node);
    task._owner = this;
    this.#children++;
    return task;
  }

  /**
   * Starts `fn(status)` as a child and waits until it calls `status.started(value)`,
   * then returns `value` (Trio's `nursery.start`): for a server that must listen
   * before the caller goes on. Until then the child runs in the caller's scope and
   * its errors are thrown here, not by the group.
   *
   * **Cancellation:** always a cancellation point. A cancelled caller cancels the
   * child and waits for it to end before throwing.
   *
   * @throws {InvalidStateError} if the child returns without calling `started()`,
   * or if the group has finished or is being cancelled.
   */
  async start<V>(fn: (status: TaskStatus<V>) => unknown, options?: SpawnOptions): Promise<V> {
    checkFunction('TaskGroup.start()', 'fn', fn);
    checkOptions('TaskGroup.start()', 'options', options);
    checkString('TaskGroup.start()', 'options.name', options?.name);
    throwIfCancelled();
    this.#checkOpen('start');
    const s = suspend<V>('TaskGroup.start', this, START_WAIT);
    const starting = new Starting<V>(this, s);
    const task = startTask(this.#loop, () => fn(starting), options?.name, currentNode());
    starting.task = task;
    task._owner = starting;
    await s.promise;
    resumed(s);
    return s.value as V;
  }

  /** @internal Moves a started child from the caller's scope into the group. */
  _adopt(task: Task): void {
    task._owner = this;
    this.#children++;
    reparent(task, this._node);
  }

  /**
   * Cancels the body and every child; the group then ends quietly (no error),
   * once they have all finished. For first-result-wins patterns.
   */
  cancel(message?: string): void {
    checkString('TaskGroup.cancel()', 'message', message);
    cancelNode(
      this._node,
      new CancelledError(message ?? 'TaskGroup.cancel() was called', { source: 'explicit' }),
    );
  }

  /** `true` once the group's own cancellation was asked (by `cancel()` or a failing child). */
  cancelCalled(): boolean {
    return this._node.cancelReason !== null;
  }

  #checkOpen(method: string): void {
    if (this.#state === CLOSED) {
      throw new InvalidStateError(
        `TaskGroup.${method}(): the group has finished; ${method} from inside the taskGroup() body or from its children while it is open`,
      );
    }
    if (effectiveCancel(this._node) !== null) {
      throw new InvalidStateError(
        `TaskGroup.${method}(): the group is being cancelled; no new tasks may join it`,
      );
    }
  }

  /** @internal A child ended: collect its error, and join when it was the last. */
  _childDone(task: Task): void {
    this.#children--;
    if (task._failed()) {
      this.#errors.push(task._error());
      this.#abort(task._error());
    }
    if (this.#children === 0 && this.#joiner !== null) wake(this.#joiner, undefined);
  }

  #abort(cause: unknown): void {
    cancelNode(
      this._node,
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
      value = await context.run(this._node, body, this);
    } catch (error) {
      bodyFailed = true;
      bodyError = error;
      // A CancelledError is the group's own (caught below) only if the group was
      // cancelled before the body threw it.
      ownCancel = isCancellation(error) && this._node.cancelReason !== null;
      if (!isCancellation(error)) this.#errors.push(error);
      this.#abort(error);
    }
    if (this.#children > 0) {
      this.#state = JOINING;
      // Not a cancellation point: a cancelled group still waits for its children,
      // which the cancellation reached through the tree.
      const s = suspend<undefined>('TaskGroup.join', this, JOIN);
      this.#joiner = s;
      if (this.#children > 0) await s.promise;
      else wake(s, undefined);
    }
    this.#state = CLOSED;
    const node = this._node;
    detach(node);
    if (this.#errors.length > 0) {
      const n = this.#errors.length;
      throw new ExceptionGroup(
        this.#errors,
        `taskGroup(): ${n} error${n === 1 ? '' : 's'} in the group`,
      );
    }
    // A cancellation from outside the group propagates, even if the body finished.
    const outer = node.parent === null ? null : effectiveCancel(node.parent);
    if (outer !== null) throw bodyFailed ? bodyError : outer;
    if (bodyFailed && !ownCancel) throw bodyError;
    return bodyFailed ? undefined : value;
  }

  [inspectSymbol](): string {
    const state = ['open', 'joining', 'closed'][this.#state] as string;
    const words = [state];
    if (this._node.cancelReason !== null) words.push('cancelled');
    return show('TaskGroup', words, { children: this.#children });
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
export async function taskGroup<T>(
  body: (tg: TaskGroup) => T | PromiseLike<T>,
): Promise<T | undefined> {
  checkFunction('taskGroup()', 'body', body);
  const parent = currentNode();
  const group = new TaskGroup(parent === null ? currentLoop() : parent.loop, parent);
  return group._run(body);
}
