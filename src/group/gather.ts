/**
 * `gather()` (asyncio's `gather`): run several things concurrently and collect
 * their values in order. A function is started as a task; a task or promise is
 * awaited as it is.
 *
 * Without `returnExceptions`, the first error rejects `gather` and the others are
 * left running (asyncio; `taskGroup` is the structured form, which cancels them).
 * With it, errors take their place among the results.
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const [a, b] = await gather(() => sleep(20, 'A'), () => sleep(10, 'B'));
 *   console.log(a, b);
 *   const [ok, err] = await gather(
 *     () => sleep(1, 1),
 *     async () => { throw new Error('boom'); },
 *     { returnExceptions: true },
 *   );
 *   console.log(ok, (err as Error).message);
 * }, { clock: new VirtualClock() });
 * // => A B
 * // => 1 boom
 * ```
 * @module
 */
import {
  checkBoolean,
  checkOptions,
  describe,
  isThenable,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError } from '../errors.js';
import {
  type Suspension,
  type WaitKind,
  cancelTask,
  fail,
  resumed,
  retrieveOutcome,
  suspend,
  taskError,
  taskFailed,
  throwIfCancelled,
  wake,
  watchTask,
} from '../core/lowlevel.js';
import { Task, type TaskFunction, createTask } from '../core/task.js';

/** One thing to gather: a task, a promise, or a function started as a task. */
export type GatherInput = PromiseLike<unknown> | ((task: Task) => unknown);

/** The value a gather input produces. */
export type GatherValue<X> = X extends (task: Task) => infer R ? Awaited<R> : Awaited<X>;

export type GatherValues<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: GatherValue<A[K]>;
};

export interface GatherOptions {
  /** Deliver errors (and `CancelledError`s) as results instead of rejecting. */
  readonly returnExceptions?: boolean;
}

const GATHER_OPTIONS = optionNames<GatherOptions>({ returnExceptions: true });

interface Gathering {
  readonly results: unknown[];
  readonly tasks: Task[];
  readonly returnExceptions: boolean;
  remaining: number;
  // Set when the caller was cancelled while tasks were still running.
  aborting: boolean;
  readonly s: Suspension<unknown[]>;
}

// The caller was cancelled: cancel every task, then wait for them to finish
// (asyncio); with only promises left there is nothing to wait for.
const GATHER: WaitKind = {
  abort(s) {
    const g = s.owner as Gathering;
    for (const task of g.tasks) {
      if (!task.done()) {
        g.aborting = true;
        cancelTask(task, new CancelledError('gather() was cancelled', { source: 'parent' }));
      }
    }
    return !g.aborting;
  },
  waitingOn(s) {
    const g = s.owner as Gathering;
    // A promise among the inputs is settled from outside the loop's tasks.
    return g.tasks.length < g.results.length ? null : g.tasks.filter((t) => !t.done());
  },
};

/**
 * Runs or awaits every input concurrently and resolves with their values, in order.
 *
 * **Cancellation:** always a cancellation point. A cancelled caller cancels every
 * task of the gather and waits for them to finish before throwing.
 *
 * @throws the first error of an input, unless `returnExceptions` is set.
 * @throws {TypeError} if an input is not a task, promise or function.
 */
export function gather<const A extends readonly GatherInput[]>(
  ...inputs: A
): Promise<GatherValues<A>>;
export function gather<const A extends readonly GatherInput[]>(
  ...args: [...A, GatherOptions & { readonly returnExceptions: true }]
): Promise<{ -readonly [K in keyof A]: GatherValue<A[K]> | Error }>;
export function gather<const A extends readonly GatherInput[]>(
  ...args: [...A, GatherOptions]
): Promise<GatherValues<A>>;
export async function gather(...args: unknown[]): Promise<unknown[]> {
  let returnExceptions = false;
  const last = args[args.length - 1];
  if (typeof last === 'object' && last !== null && !isThenable(last)) {
    args.pop();
    checkOptions('gather()', 'options', last, GATHER_OPTIONS);
    checkBoolean('gather()', 'options.returnExceptions', (last as GatherOptions).returnExceptions);
    returnExceptions = (last as GatherOptions).returnExceptions === true;
  }
  args.forEach((input, i) => {
    if (typeof input !== 'function' && !isThenable(input)) {
      throw new TypeError(
        `gather(): argument ${i} must be a task, a promise or a function, got ${describe(input)}`,
      );
    }
  });
  throwIfCancelled();
  if (args.length === 0) return [];
  const s = suspend<unknown[]>('gather', null, GATHER);
  const g: Gathering = {
    results: new Array(args.length),
    tasks: [],
    returnExceptions,
    remaining: args.length,
    aborting: false,
    s,
  };
  s.owner = g;
  args.forEach((input, i) => {
    if (typeof input === 'function') watchInput(g, i, createTask(input as TaskFunction<unknown>));
    else if (input instanceof Task) watchInput(g, i, input);
    else {
      (input as PromiseLike<unknown>).then(
        (value) => {
          settle(g, i, null, value, false);
        },
        (error: unknown) => {
          settle(g, i, null, error, true);
        },
      );
    }
  });
  await s.promise;
  resumed(s);
  return s.value as unknown[];
}

function watchInput(g: Gathering, i: number, task: Task): void {
  g.tasks.push(task);
  watchTask(task, (t) => {
    if (t.cancelled() || taskFailed(t)) settle(g, i, t, taskError(t), true);
    else settle(g, i, t, t.result(), false);
  });
}

function settle(
  g: Gathering,
  i: number,
  task: Task | null,
  outcome: unknown,
  isError: boolean,
): void {
  g.remaining--;
  if (g.aborting) {
    // The caller gets its CancelledError once every task has ended.
    if (g.tasks.every((t) => t.done())) wake(g.s, g.results);
    return;
  }
  if (isError && !g.returnExceptions) {
    // The first error rejects gather; later ones stay with their tasks, and are
    // reported if nobody retrieves them.
    if (g.s.parked) {
      if (task !== null) retrieveOutcome(task);
      fail(g.s, outcome);
    }
    return;
  }
  if (task !== null) retrieveOutcome(task);
  g.results[i] = outcome;
  if (g.remaining === 0) wake(g.s, g.results);
}
