/**
 * `wait()` (asyncio's `wait`): wait until some or all of a set of tasks are done,
 * or a timeout passes, and get back `{ done, pending }` as sets of tasks. Nothing
 * is cancelled on return: the pending tasks run on.
 *
 * A function is started as a task and a promise wrapped in one, so every input
 * appears in the result as a task.
 *
 * @example
 * ```ts
 * import { FIRST_COMPLETED, run, sleep, wait } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const { done, pending } = await wait([() => sleep(10, 'fast'), () => sleep(99, 'slow')], {
 *     returnWhen: FIRST_COMPLETED,
 *   });
 *   console.log([...done].map((t) => t.result()), pending.size);
 *   for (const t of pending) t.cancel();
 * }, { clock: new VirtualClock() });
 * // => [ 'fast' ] 1
 * ```
 * @module
 */
import {
  checkChoice,
  checkDelay,
  checkOptions,
  describe,
  isIterable,
  isThenable,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError } from '../errors.js';
import type { AwaitableOrFunction } from '../core/shield.js';
import {
  awaitPromise,
  type Suspension,
  type WaitKind,
  cancelTask,
  currentLoop,
  resumed,
  setTimer,
  suspend,
  taskFailed,
  throwIfCancelled,
  unwatchTask,
  wake,
  watchTask,
} from '../core/lowlevel.js';
import { Task, type TaskFunction, createTask } from '../core/task.js';

export const FIRST_COMPLETED = 'FIRST_COMPLETED';
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
export const ALL_COMPLETED = 'ALL_COMPLETED';
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

export interface WaitOptions {
  /** Return after this many ms even if the condition is not met. */
  readonly timeout?: number;
  /** When to return; default `ALL_COMPLETED`. */
  readonly returnWhen?: ReturnWhen;
}

const WAIT_OPTIONS = optionNames<WaitOptions>({ timeout: true, returnWhen: true });

export interface WaitResult<T> {
  readonly done: Set<Task<T>>;
  readonly pending: Set<Task<T>>;
}

/**
 * Turns inputs into tasks: a function is started as a task, a promise is wrapped in
 * one, a task is kept. Returns the tasks and those it created itself. A task or a
 * promise given twice counts once (asyncio folds its futures into a set); a
 * function given twice runs twice, as two calls are two pieces of work. Every
 * input is checked before any task is started, so bad input starts nothing.
 * @internal
 */
export function toTasks<T>(
  fn: string,
  inputs: Iterable<AwaitableOrFunction<T>>,
  start: (fn: TaskFunction<T>) => Task<T> = createTask,
): { tasks: Task<T>[]; own: Set<Task<T>> } {
  if (!isIterable(inputs as unknown)) {
    throw new TypeError(
      `${fn}: \`aws\` must be an iterable of tasks, promises or functions, got ${describe(inputs)}`,
    );
  }
  const list = [...inputs];
  for (const input of list) {
    if (!(input instanceof Task) && typeof input !== 'function' && !isThenable(input)) {
      throw new TypeError(
        `${fn}: each of \`aws\` must be a task, a promise or a function, got ${describe(input)}`,
      );
    }
  }
  const tasks: Task<T>[] = [];
  const own = new Set<Task<T>>();
  // #11: asCompleted yielded a task passed twice twice.
  const seen = new Map<unknown, Task<T>>();
  for (const input of list) {
    if (input instanceof Task) {
      if (seen.has(input)) continue;
      seen.set(input, input as Task<T>);
      tasks.push(input as Task<T>);
    } else if (typeof input === 'function') {
      const task = start(input);
      tasks.push(task);
      own.add(task);
    } else if (!seen.has(input)) {
      // Awaited as a corio wait, so the wrapper task is parked, not runnable, and a
      // virtual clock moves while the promise waits on corio timers.
      const task = start(() => awaitPromise(input, 'await promise'));
      seen.set(input, task);
      tasks.push(task);
      own.add(task);
    }
  }
  return { tasks, own };
}

interface Waiting {
  readonly tasks: Task[];
  readonly own: Set<Task>;
  readonly returnWhen: ReturnWhen;
  readonly s: Suspension<undefined>;
  readonly listener: (task: Task) => void;
}

const failed = (task: Task): boolean => taskFailed(task);

// The caller was cancelled: stop waiting; the tasks it created itself are
// cancelled (nobody else could reach them), the others run on.
const WAIT: WaitKind = {
  abort(s) {
    for (const task of (s.owner as Waiting).own) {
      cancelTask(task, new CancelledError('wait() was cancelled', { source: 'parent' }));
    }
    return true;
  },
};

function satisfied(w: Waiting, task: Task | null): boolean {
  if (w.tasks.every((t) => t.done())) return true;
  if (task === null) {
    return w.tasks.some(
      (t) =>
        t.done() &&
        (w.returnWhen === FIRST_COMPLETED || (w.returnWhen === FIRST_EXCEPTION && failed(t))),
    );
  }
  return w.returnWhen === FIRST_COMPLETED || (w.returnWhen === FIRST_EXCEPTION && failed(task));
}

/**
 * Waits for the tasks (asyncio's `wait`) and returns `{ done, pending }`.
 *
 * **Cancellation:** always a cancellation point. A cancelled caller stops waiting;
 * the tasks `wait` created from functions or promises are cancelled, the tasks
 * passed in are not.
 *
 * @throws {RangeError} if `aws` is empty or `timeout` is negative.
 */
export async function wait<T>(
  aws: Iterable<AwaitableOrFunction<T>>,
  options?: WaitOptions,
): Promise<WaitResult<T>> {
  checkOptions('wait()', 'options', options, WAIT_OPTIONS);
  const ms = options?.timeout ?? Infinity;
  checkDelay('wait()', 'options.timeout', ms);
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  checkChoice(
    'wait()',
    'options.returnWhen',
    returnWhen,
    [FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED],
    'FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED',
  );
  throwIfCancelled();
  const { tasks, own } = toTasks('wait()', aws);
  if (tasks.length === 0) throw new RangeError('wait(): `aws` must not be empty');
  const s = suspend<undefined>('wait', null, WAIT);
  const w: Waiting = {
    tasks: tasks,
    own: own,
    returnWhen,
    s,
    listener: (task) => {
      if (satisfied(w, task)) wake(s, undefined);
    },
  };
  s.owner = w;
  const timer =
    ms === Infinity
      ? null
      : setTimer(currentLoop().time() + ms, (wait) => wake(wait, undefined), s);
  if (satisfied(w, null)) wake(s, undefined);
  else for (const task of w.tasks) watchTask(task, w.listener);
  try {
    await s.promise;
    resumed(s);
  } finally {
    timer?.cancel();
    for (const task of w.tasks) unwatchTask(task, w.listener);
  }
  const done = new Set<Task<T>>();
  const pending = new Set<Task<T>>();
  for (const task of tasks) (task.done() ? done : pending).add(task);
  return { done, pending };
}
