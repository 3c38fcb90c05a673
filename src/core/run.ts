/**
 * `run()` (asyncio's `asyncio.run`): runs `main` as the root task of a new loop,
 * then cancels and awaits every task still pending, reports errors nobody
 * retrieved, closes the loop, and returns `main`'s value or throws its error.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from 'corio';
 *
 * const value = await run(async () => {
 *   createTask(async () => {
 *     try { await sleep(Infinity); } finally { console.log('background task cleaned up'); }
 *   });
 *   await sleep(10);
 *   return 'main done';
 * });
 * console.log(value);
 * // => background task cleaned up
 * // => main done
 * ```
 * @module
 */
import {
  checkClock,
  checkDelay,
  checkFunction,
  checkOptions,
  checkSignal,
  checkString,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError } from '../errors.js';
import type { Clock } from './clock.js';
import { type Instrument, checkInstrument, combineInstruments } from './instrument.js';
import { EventLoop } from './loop.js';
import { type Task, type TaskFunction, startTask } from './task.js';

// The clock of a run() given none: the system clock, unless a test replaced it
// through corio/testing's setDefaultClock().
let defaultClock: (() => Clock) | null = null;

/** Debug mode's settings (`run(main, { debug: { … } })`). */
export interface DebugOptions {
  /** Report a loop callback that blocks longer than this many ms (real time). Default 100. */
  readonly slowCallbackMs?: number;
}

/**
 * What debug mode attaches to a loop: an instrument, and a promise that
 * rejects with a `DeadlockError` if the program deadlocks (it ends `run()`).
 */
export interface DebugSession {
  readonly instrument: Instrument;
  readonly deadlocked: Promise<never>;
}

/** Makes debug mode's session for a loop (`corio/trace` provides it). */
export type DebugMode = (loop: EventLoop, options: DebugOptions) => DebugSession;

// Debug mode lives in corio/trace, above the kernel: it registers itself here,
// and the kernel never imports it (the package root installs it).
let debugMode: DebugMode | null = null;

/**
 * Sets what `run(main, { debug })` attaches to its loop: `corio/trace`'s debug
 * mode (the package root installs it), or a monitor of your own.
 */
export function setDebugMode(mode: DebugMode | null): void {
  if (mode !== null) checkFunction('setDebugMode()', 'mode', mode);
  debugMode = mode;
}

/** @internal Used by corio/testing's setDefaultClock(). */
export function _setDefaultClock(factory: (() => Clock) | null): void {
  defaultClock = factory;
}

export interface RunOptions {
  /** The loop's clock: a `VirtualClock` runs the program in virtual time. */
  readonly clock?: Clock;
  /** The main task's name; default `'main'`. */
  readonly name?: string;
  /** Cancel the main task when this signal aborts (wire it to SIGINT, say). */
  readonly signal?: AbortSignal;
  /**
   * Debug mode: creation stacks, slow-callback warnings, tasks left at exit, and
   * deadlock detection (`run()` throws `DeadlockError`). See `corio/trace`.
   */
  readonly debug?: boolean | DebugOptions;
  /**
   * Instruments to observe the kernel: a `Tracer` from `corio/trace`, or any
   * object with some of the `Instrument` hooks.
   */
  readonly trace?: Instrument | readonly Instrument[];
}

const RUN_OPTIONS = optionNames<RunOptions>({
  clock: true,
  name: true,
  signal: true,
  debug: true,
  trace: true,
});
const DEBUG_OPTIONS = optionNames<DebugOptions>({ slowCallbackMs: true });

/**
 * Runs `main` in a new loop until it completes; then cancels every task left
 * pending and waits for them before returning.
 *
 * **Cancellation:** `options.signal` cancels the main task; `run` then throws its
 * `CancelledError` (unless `main` handles it).
 *
 * @throws {TypeError} if `main` is not a function or `options.clock` is not a clock.
 */
export async function run<T>(main: TaskFunction<T>, options?: RunOptions): Promise<T> {
  checkFunction('run()', 'main', main);
  checkOptions('run()', 'options', options, RUN_OPTIONS);
  checkString('run()', 'options.name', options?.name);
  checkSignal('run()', options?.signal);
  const clock = options?.clock;
  if (clock !== undefined) checkClock('run()', 'options.clock', clock);
  const debugOption = options?.debug;
  if (debugOption !== undefined && typeof debugOption !== 'boolean') {
    checkOptions('run()', 'options.debug', debugOption, DEBUG_OPTIONS);
    const ms = debugOption.slowCallbackMs;
    if (ms !== undefined) checkDelay('run()', 'options.debug.slowCallbackMs', ms);
  }
  const instruments = checkInstruments(options?.trace);
  let loopClock = clock;
  if (loopClock === undefined && defaultClock !== null) {
    loopClock = defaultClock();
    checkClock('setDefaultClock()', 'factory()', loopClock);
  }
  const loop = new EventLoop(loopClock);
  let debug: DebugSession | null = null;
  if (debugOption !== undefined && debugOption !== false) {
    if (debugMode === null) {
      throw new TypeError('run(): `options.debug` needs debug mode, which corio/trace provides');
    }
    debug = debugMode(loop, debugOption === true ? {} : debugOption);
    // Handled by the race below; never reported as unhandled if no deadlock comes.
    debug.deadlocked.catch(() => {});
  }
  loop._instrument = combineInstruments(
    debug === null ? instruments : [debug.instrument, ...instruments],
  );
  const deadlocked = debug?.deadlocked ?? null;
  const task = startTask(loop, main, options?.name ?? 'main', null);
  const signal = options?.signal;
  const onAbort = (): void => {
    task._cancelWith(
      new CancelledError('run() was aborted by its signal', {
        source: 'signal',
        cause: signal?.reason,
      }),
    );
  };
  if (signal !== undefined) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  try {
    return await (deadlocked === null
      ? task._outcome()
      : Promise.race([task._outcome(), deadlocked]));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    loop._instrument?.mainEnded?.(task);
    await shutdown(loop);
    loop._instrument?.loopClosed?.();
    loop._instrument = null;
  }
}

function checkInstruments(trace: RunOptions['trace']): Instrument[] {
  if (trace === undefined) return [];
  const list = Array.isArray(trace) ? (trace as readonly unknown[]) : [trace];
  return list.map((ins, i) => {
    const where = Array.isArray(trace) ? `options.trace[${i}]` : 'options.trace';
    checkInstrument('run()', where, ins);
    return ins as Instrument;
  });
}

// Cancels the tasks left behind, in creation order, and waits until every one has
// ended (their cleanup may itself start or await tasks).
async function shutdown(loop: EventLoop): Promise<void> {
  for (;;) {
    const living = loop._livingTasks();
    if (living.length === 0) break;
    for (const task of living) {
      task._cancelWith(
        new CancelledError(
          `${task.name} was cancelled because run() ended (its main task had finished) while it was still running`,
          { source: 'shutdown' },
        ),
      );
    }
    await Promise.all(living.map((task: Task) => settled(task)));
  }
  loop._close();
}

const settled = (task: Task): Promise<void> =>
  new Promise((resolve) => {
    task._onDone(() => {
      resolve();
    });
  });
