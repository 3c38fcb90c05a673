/**
 * Tasks: a function run concurrently by the loop, awaitable as a promise
 * (asyncio's `Task`). A task's promise settles only after its function has really
 * returned or thrown: nothing keeps running behind a settled task.
 *
 * Tasks start on the next microtask, in creation order, so a task cancelled before
 * it starts never runs its function; `eager: true` runs it at once, up to its first
 * `await`. The function receives its own task, so `({ signal }) => fetch(url, {
 * signal })` joins in cancellation.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from 'corio';
 *
 * await run(async () => {
 *   const task = createTask(async () => { await sleep(10); return 42; }, { name: 'answer' });
 *   console.log(String(task));
 *   console.log(await task, String(task));
 * });
 * // => Task<answer pending>
 * // => 42 Task<answer done>
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkBoolean,
  checkFunction,
  checkOptions,
  checkString,
  isThenable,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError, InvalidStateError, isCancellation } from '../errors.js';
import { CancelNode, attach, detach, effectiveCancel } from './cancel-node.js';
import { joinFrom } from './await-task.js';
import { cancelNode, reapOrphans } from './cancel.js';
import {
  type InContext,
  type Origin,
  captureOrigin,
  context,
  currentNode,
  runIn,
  startIn,
} from './context.js';
import { type EventLoop, currentLoop } from './loop.js';
import { type Suspension, fail, rejected, wake } from './suspend.js';

const PENDING = 0;
const RUNNING = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const CANCELLED = 4;

export interface TaskOptions {
  /** Shown in `Task<name …>`, traces and error reports; default `Task-N`. */
  readonly name?: string;
  /** Run the function synchronously, up to its first `await`, instead of on the next microtask. */
  readonly eager?: boolean;
}

const TASK_OPTIONS = optionNames<TaskOptions>({ name: true, eager: true });

/** The function a task runs; it receives its own task. */
export type TaskFunction<T> = (task: Task<T>) => T | PromiseLike<T>;

/**
 * What owns a task: its task group or nursery, told the moment the task ends,
 * before its awaiters resume. The owner calls `task._retrieve()` when it takes
 * the outcome; an error it does not take is tracked as any task's.
 * @internal
 */
export interface TaskOwner {
  _childDone(task: Task): void;
}

let taskCounter = 0;

type Callback = (task: never) => void;
type DoneCallback = InContext<Callback>;

// A native promise's reactions run in the context they were registered in, the
// task's own (runTask runs inside it): they find their task there, so one pair
// of functions serves every task. Any other thenable may call back from
// anywhere, and gets two closures.
const settleValue = (value: unknown): void => {
  (context.getStore() as Task)._settle(value, false);
};
const settleError = (error: unknown): void => {
  (context.getStore() as Task)._settle(error, true);
};

// Runs inside the task's context, so a thenable the function returns (another
// task, say) is awaited from the task itself, and without an async wrapper's
// frame and promise (bench W1).
function runTask<T>(task: Task<T>, fn: TaskFunction<T>): void {
  let result: T | PromiseLike<T>;
  try {
    result = fn(task);
  } catch (error) {
    task._settle(error, true);
    return;
  }
  if (result instanceof Promise) {
    result.then(settleValue, settleError);
  } else if (isThenable(result)) {
    result.then(
      (value) => {
        task._settle(value, false);
      },
      (error: unknown) => {
        task._settle(error, true);
      },
    );
  } else {
    task._settle(result, false);
  }
}

// A Task is a CancelNode (instanceof, `signal`: see the prototype link below
// the class, and the interface that gives TypeScript the same), but declares
// the node's fields itself instead of extending it: a derived class's
// `super()` is a call V8 never inlines where the task is made, and a task is
// made per spawn (#16). The fields are CancelNode's, in its order; its
// constructor does not run for a task, so what it does this one does too.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- merged with the class: its heritage, and T as the class's
export interface Task<T = unknown> extends CancelNode {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- every member CancelNode declares, Task declares too
export class Task<T = unknown> implements PromiseLike<T> {
  /** @internal */ parent: CancelNode | null = null;
  /** @internal */ firstChild: CancelNode | null = null;
  /** @internal */ lastChild: CancelNode | null = null;
  /** @internal */ prevSibling: CancelNode | null = null;
  /** @internal */ nextSibling: CancelNode | null = null;
  /** @internal */ firstWait: Suspension | null = null;
  /** @internal */ lastWait: Suspension | null = null;
  /** @internal */ cancelReason: CancelledError | null = null;
  /** @internal A task is never shielded: a scope inside it is. */ shielded = false;
  /** @internal */ controller: AbortController | null = null;
  /** @internal */ live = false;
  /** @internal */ loop: EventLoop;
  /** @internal Itself. */ task: Task | null;
  /** @internal */ inForce: { counted: boolean } | null = null;

  // The default name `Task-N` is formatted on first read: most tasks are never named.
  #name: string | number;
  // Stored loosely so that Task<T> is covariant in T (a Task<number> is a Task<unknown>).
  #fn: ((task: never) => unknown) | null;
  // The context of the code that made it, until it starts (context.ts).
  #origin: Origin | null;
  #state = PENDING;
  // The value when SUCCEEDED, the error (or CancelledError) when FAILED or
  // CANCELLED: one field, as the state says which (a Task's fields are many).
  #outcome: unknown = undefined;
  // Invariant: #unretrieved is non-null iff the task FAILED and its error was
  // neither awaited, nor read by result()/exception(), nor given to a callback.
  #unretrieved: WeakRef<Task> | null = null;
  #retrieved = false;
  // Callbacks and resolvers are typed loosely for covariance too (see #fn).
  // Done callbacks, each with the context it was added in, where it runs.
  #callbacks: DoneCallback[] | null = null;
  #deferred: {
    promise: Promise<T>;
    resolve: (v: never) => void;
    reject: (e: unknown) => void;
  } | null = null;
  /** @internal Tasks awaiting this one: a list linked through their waits (await-task.ts). */
  _firstAwaiter: Suspension | null = null;
  /** @internal */
  _lastAwaiter: Suspension | null = null;
  /** @internal Parked waits of this task (suspend.ts keeps it). */
  _waits = 0;
  /** @internal The group that receives this task's outcome. */
  _owner: TaskOwner | null = null;
  /**
   * @internal Loop time the task started, in whole ms (-1 until then), for task
   * trees. Whole ms: a small integer is kept in the object itself, a fraction
   * would be a boxed number per task. (Adding this field made W1 slower on
   * Node 24 until #value and #error became one #outcome: the Task's field count
   * is what matters, not this field.)
   */
  _startedAt = -1;
  /** @internal One-shot internal completion listeners (gather, wait, asCompleted). */
  _listeners: Callback[] | null = null;
  /** @internal */ _prevTask: Task | null = null;
  /** @internal */ _nextTask: Task | null = null;

  /** @internal Use createTask() or TaskGroup.spawn(). */
  static _create<T>(
    loop: EventLoop,
    fn: TaskFunction<T>,
    name: string | undefined,
    parent: CancelNode | null,
    origin: Origin | null,
  ): Task<T> {
    return new Task(loop, fn, name, parent, origin);
  }

  // Private: users make tasks with createTask() or TaskGroup.spawn(); a
  // constructor in the declarations would let them make one nothing runs.
  private constructor(
    loop: EventLoop,
    fn: TaskFunction<T>,
    name: string | undefined,
    parent: CancelNode | null,
    origin: Origin | null,
  ) {
    this.loop = loop;
    this.task = this;
    this.#name = name ?? ++taskCounter;
    this.#fn = fn;
    this.#origin = origin;
    loop._addTask(this);
    attach(this, parent);
    loop._instrument?.taskCreated?.(this, parent === null ? null : parent.task);
  }

  /** The task's name: `Task-N` unless one was given. */
  get name(): string {
    const name = this.#name;
    return typeof name === 'string' ? name : (this.#name = `Task-${name}`);
  }

  /** @internal Runs the task's function (the start queue, or eagerly). */
  _start(): void {
    if (this.#state !== PENDING) return;
    const fn = this.#fn as TaskFunction<T>;
    this.#fn = null;
    const reason = effectiveCancel(this);
    if (reason !== null) {
      this.#origin = null;
      this.#finish(CANCELLED, undefined, reason);
      return;
    }
    this.#state = RUNNING;
    this.loop._instrument?.taskStarted?.(this);
    const origin = this.#origin;
    if (origin === null) {
      runIn(this, runTask, this, fn);
    } else {
      this.#origin = null;
      startIn(origin, this, runTask, this, fn);
    }
  }

  /** @internal The function returned (`isError` false) or threw. */
  _settle(outcome: unknown, isError: boolean): void {
    if (!isError) {
      this.#finish(SUCCEEDED, outcome as T, undefined);
    } else if (
      outcome instanceof CancelledError ||
      (isCancellation(outcome) && effectiveCancel(this) !== null)
    ) {
      this.#finish(CANCELLED, undefined, outcome);
    } else {
      this.#finish(FAILED, undefined, outcome);
    }
  }

  #finish(state: number, value: T | undefined, error: unknown): void {
    this.#state = state;
    this.#outcome = state === SUCCEEDED ? value : error;
    if (this.firstChild !== null || this.firstWait !== null) reapOrphans(this);
    detach(this);
    this.loop._removeTask(this);
    this.loop._instrument?.taskFinished?.(this);
    // The owner hears first, before any awaiter resumes; it takes the outcome
    // (retrieves the error) only if it calls _retrieve().
    this._owner?._childDone(this);
    for (let s = this._firstAwaiter; s !== null; s = s.next) {
      if (state === SUCCEEDED) wake(s, value);
      else fail(s, error);
    }
    this._firstAwaiter = this._lastAwaiter = null;
    const listeners = this._listeners;
    if (listeners !== null) {
      this._listeners = null;
      for (const listener of listeners) (listener as (task: Task<T>) => void)(this);
    }
    const deferred = this.#deferred;
    if (deferred !== null) {
      if (state === SUCCEEDED) (deferred.resolve as (v: T) => void)(value as T);
      else deferred.reject(error);
    }
    if (this.#callbacks !== null) this.#scheduleCallbacks(this.#callbacks);
    if (state === FAILED && !this.#retrieved) this.#trackUnretrieved();
  }

  #trackUnretrieved(): void {
    this.#unretrieved = this.loop._unretrieved.track(this, this.#outcome);
  }

  #markRetrieved(): void {
    this.#retrieved = true;
    if (this.#unretrieved !== null) {
      this.loop._unretrieved.forget(this, this.#unretrieved);
      this.#unretrieved = null;
    }
  }

  /** @internal The loop closes with this task's error still unretrieved. */
  _reportUnretrieved(): void {
    if (this.#unretrieved === null) return;
    this.loop._unretrieved.forget(this, this.#unretrieved);
    this.#unretrieved = null;
    this.loop.callExceptionHandler({
      message: `Task ${this.name} failed and nobody retrieved its error`,
      error: this.#outcome,
      task: this,
    });
  }

  /**
   * Asks the task to stop: its next (or current) cancellation point throws
   * `CancelledError`, with `message`. Returns false if the task is already done.
   * Cancelling a task cancels every task and scope inside it.
   */
  cancel(message?: string): boolean {
    checkString('Task.cancel()', 'message', message);
    if (this.#state >= SUCCEEDED) return false;
    this._cancelWith(
      new CancelledError(message ?? `${this.name} was cancelled`, { source: 'explicit' }),
    );
    return true;
  }

  /** @internal */
  _cancelWith(reason: CancelledError): void {
    if (this.#state < SUCCEEDED && cancelNode(this, reason)) {
      this.loop._instrument?.taskCancelled?.(this, reason);
    }
  }

  /** `true` once the task has ended because it was cancelled. */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /** `true` once the task has ended: with a value, an error, or cancelled. */
  done(): boolean {
    return this.#state >= SUCCEEDED;
  }

  /**
   * The task's value. Throws its error if it failed, its `CancelledError` if it was
   * cancelled.
   *
   * @throws {InvalidStateError} if the task is not done.
   */
  result(): T {
    this.#checkDone('result');
    this.#markRetrieved();
    if (this.#state === SUCCEEDED) return this.#outcome as T;
    throw this.#outcome;
  }

  /**
   * The task's error, or `undefined` if it returned a value.
   *
   * @throws {CancelledError} if the task was cancelled.
   * @throws {InvalidStateError} if the task is not done.
   */
  exception(): unknown {
    this.#checkDone('exception');
    this.#markRetrieved();
    if (this.#state === CANCELLED) throw this.#outcome;
    return this.#state === FAILED ? this.#outcome : undefined;
  }

  #checkDone(method: string): void {
    if (this.#state < SUCCEEDED) {
      throw new InvalidStateError(
        `Task.${method}(): ${this.name} is not done yet; await the task or check done() first`,
      );
    }
  }

  /**
   * Calls `callback(task)` on the next turn once the task is done (at once if it
   * already is). A task with a done callback counts as having its error retrieved.
   */
  addDoneCallback(callback: (task: Task<T>) => void): void {
    checkFunction('Task.addDoneCallback()', 'callback', callback);
    this.#markRetrieved();
    // It runs in the context it was added in (asyncio's add_done_callback), not
    // in the one the task happens to finish in.
    const done: DoneCallback = { callback, origin: captureOrigin() };
    if (this.#state >= SUCCEEDED) this.#scheduleCallbacks([done]);
    else (this.#callbacks ??= []).push(done);
  }

  /** Removes every registration of `callback`; returns how many there were. */
  removeDoneCallback(callback: (task: Task<T>) => void): number {
    checkFunction('Task.removeDoneCallback()', 'callback', callback);
    const callbacks = this.#callbacks;
    if (callbacks === null) return 0;
    const kept = callbacks.filter((done) => done.callback !== callback);
    this.#callbacks = kept;
    return callbacks.length - kept.length;
  }

  #scheduleCallbacks(callbacks: readonly DoneCallback[]): void {
    this.#callbacks = null;
    for (const { callback, origin } of callbacks) {
      this.loop._callSoonIn(origin, () => {
        (callback as (task: Task<T>) => void)(this);
      });
    }
  }

  /**
   * Awaiting a task from another task is a cancellation point, and cancelling the
   * awaiting task cancels this one too (asyncio); `await shield(task)` does not.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this._join(true).then(onFulfilled, onRejected);
  }

  /** @internal Awaits the outcome; from another task, as a cancellation point. */
  _join(propagateCancel: boolean): Promise<T> {
    const node = currentNode();
    if (node !== null && node.task === (this as Task) && this.#state < SUCCEEDED) {
      return Promise.reject(
        new InvalidStateError(`${this.name} cannot await itself: it would wait forever`),
      );
    }
    if (node === null || node.task === null || node.task === (this as Task)) return this._outcome();
    return joinFrom(this, propagateCancel);
  }

  /** @internal The outcome as a plain promise: not a cancellation point. */
  _outcome(): Promise<T> {
    this.#markRetrieved();
    if (this.#state === SUCCEEDED) return Promise.resolve(this.#outcome as T);
    // A task rejects with whatever its function threw, Error or not.
    if (this.#state >= FAILED) return rejected(this.#outcome);
    if (this.#deferred === null) {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#deferred = { promise, resolve, reject };
    }
    return this.#deferred.promise;
  }

  /** @internal Registers an internal completion listener (does not retrieve the error). */
  _onDone(listener: (task: Task<T>) => void): void {
    if (this.#state >= SUCCEEDED) listener(this);
    else (this._listeners ??= []).push(listener);
  }

  /** @internal Removes a listener added by _onDone. */
  _offDone(listener: (task: Task<T>) => void): void {
    const listeners = this._listeners;
    if (listeners === null) return;
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  }

  /** @internal Marks the error as received by an internal consumer (gather). */
  _retrieve(): void {
    this.#markRetrieved();
  }

  /** @internal */
  _failed(): boolean {
    return this.#state === FAILED;
  }

  /** @internal The error or CancelledError the task ended with (undefined if it succeeded). */
  _error(): unknown {
    return this.#state === SUCCEEDED ? undefined : this.#outcome;
  }

  /** @internal */
  _value(): T | undefined {
    return this.#state === SUCCEEDED ? (this.#outcome as T) : undefined;
  }

  #stateWord(): string {
    return ['pending', 'pending', 'done', 'failed', 'cancelled'][this.#state] as string;
  }

  [inspectSymbol](): string {
    return show('Task', [this.name, this.#stateWord()]);
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}

// What `extends CancelNode` gave, without its constructor: `signal`, and
// `task instanceof CancelNode` (cancelReasonOf() in corio/lowlevel checks it).
Object.setPrototypeOf(Task.prototype, CancelNode.prototype);

/** @internal Creates a task in `loop` under `parent` and queues (or runs) its start. */
export function startTask<T>(
  loop: EventLoop,
  fn: TaskFunction<T>,
  name: string | undefined,
  parent: CancelNode | null,
  eager = false,
): Task<T> {
  // A task queued to start later starts in its maker's context; an eager one
  // starts now, in it.
  const task = Task._create<T>(loop, fn, name, parent, eager ? null : captureOrigin());
  if (eager) {
    task._startedAt = Math.floor(loop.time());
    task._start();
  } else loop._queueStart(task);
  return task;
}

/**
 * Runs `fn` as a new task of the current loop, not bound to any group: an
 * unstructured task (asyncio's `create_task`). `run()` still cancels and awaits it
 * when its main function ends.
 *
 * @throws {TypeError} if `fn` is not a function.
 * @throws {InvalidStateError} if the loop has closed.
 */
export function createTask<T>(fn: TaskFunction<T>, options?: TaskOptions): Task<T> {
  checkFunction('createTask()', 'fn', fn);
  checkOptions('createTask()', 'options', options, TASK_OPTIONS);
  checkString('createTask()', 'options.name', options?.name);
  checkBoolean('createTask()', 'options.eager', options?.eager);
  return startTask(currentLoop(), fn, options?.name, null, options?.eager === true);
}

/** The task the calling code runs in, or `undefined` outside every task. */
export function currentTask(): Task | undefined {
  return currentNode()?.task ?? undefined;
}

/** Every task of the current loop that is not done yet, in creation order. */
export function allTasks(): Set<Task> {
  return new Set(currentLoop()._livingTasks());
}
