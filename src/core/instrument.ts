/**
 * Kernel instrumentation: the hook points a tracer, debug mode or a user's own
 * monitor observes. A loop has at most one instrument (`run()` composes several
 * into one); with none, each hook point costs one field read and a null check,
 * and the kernel never imports what observes it.
 *
 * Hooks run synchronously inside the kernel, so they must be quick and must not
 * call back into corio (no waits, no cancels): record, then render later.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from 'corio';
 * import type { Instrument } from 'corio/trace';
 *
 * const log: string[] = [];
 * const instrument: Instrument = {
 *   taskStarted: (task) => log.push(`start ${task.name}`),
 *   taskSuspended: (task, wait) => log.push(`${task.name} awaits ${wait.description}`),
 *   taskFinished: (task) => log.push(`end ${task.name}`),
 * };
 * await run(
 *   () => taskGroup((tg) => {
 *     tg.spawn(() => sleep(10), { name: 'nap' });
 *   }),
 *   { trace: instrument },
 * );
 * console.log(log.join('; '));
 * // => start main; start nap; nap awaits sleep(10); main awaits TaskGroup.join; end nap; end main
 * ```
 * @module
 */
import { checkObject, describe } from '../_internal/validate.js';
import type { CancelledError } from '../errors.js';
import type { CancelScope } from './cancel-scope.js';
import type { TimerHandle } from './timers.js';
import type { Task } from './task.js';

/** A wait as an instrument sees it. */
export interface Wait {
  /** What is awaited, for humans: `sleep(500)`, `Lock.acquire`, `await Task-3`. */
  readonly description: string;
  /** The waiting primitive (a lock's waiter list, an awaited task, a group…). */
  readonly owner: unknown;
}

/** How a wait ended: handed a value, handed an error, or withdrawn by a cancellation. */
export type WaitOutcome = 'value' | 'error' | 'cancelled';

/**
 * What the kernel reports. Every method is optional; all run synchronously at
 * the moment they describe, with the loop's clock at that moment.
 */
export interface Instrument {
  /** A task was created (by `parent`, or by `run()` when null). */
  taskCreated?(task: Task, parent: Task | null): void;
  /** A task's function began to run. */
  taskStarted?(task: Task): void;
  /** A task parked in a corio wait. */
  taskSuspended?(task: Task, wait: Wait): void;
  /** A parked wait ended: the loop will resume the task. */
  taskWoken?(task: Task, wait: Wait, outcome: WaitOutcome): void;
  /** `cancel()` reached a task directly (its scope's cancellation is `scopeCancelled`). */
  taskCancelled?(task: Task, reason: CancelledError): void;
  /** A task ended; its state (`done()`, `cancelled()`, `exception()`) is final. */
  taskFinished?(task: Task): void;
  /** A cancel scope was entered, in `task` (null outside every task). */
  scopeEntered?(scope: CancelScope, task: Task | null): void;
  /** A cancel scope was cancelled (explicitly, or by its deadline). */
  scopeCancelled?(scope: CancelScope, reason: CancelledError): void;
  /** A cancel scope was exited. */
  scopeExited?(scope: CancelScope): void;
  /** A timer was set on the loop's heap. */
  timerSet?(timer: TimerHandle): void;
  /** A timer fired (its callback runs next). */
  timerFired?(timer: TimerHandle): void;
  /**
   * The loop stalled: no task is runnable, no callback is queued and no timer is
   * set (checked after the microtask queue drained), so only host I/O can make
   * progress now. Debug mode looks for a deadlock here.
   */
  loopStalled?(): void;
  /**
   * Where `wait` was made, if the instrument knows (debug mode records a stack
   * per wait): asked when a wait its task left behind is reported.
   */
  callSiteOf?(wait: Wait): string | undefined;
  /** The main task of `run()` ended; what is still living is cancelled next. */
  mainEnded?(main: Task): void;
  /** `run()` closed the loop: nothing more happens on it. */
  loopClosed?(): void;
}

const HOOKS = [
  'taskCreated',
  'taskStarted',
  'taskSuspended',
  'taskWoken',
  'taskCancelled',
  'taskFinished',
  'scopeEntered',
  'scopeCancelled',
  'scopeExited',
  'timerSet',
  'timerFired',
  'loopStalled',
  'mainEnded',
  'loopClosed',
] as const satisfies readonly (keyof Instrument)[];

/**
 * @internal An instrument: an object (a `Tracer`, or a literal) whose hooks, where
 * present, are functions. Other keys are its own business (state, helpers).
 */
export function checkInstrument(fn: string, arg: string, value: unknown): void {
  checkObject(fn, arg, value, 'an Instrument (a Tracer)');
  for (const hook of [...HOOKS, 'callSiteOf' as const]) {
    const f = (value as Record<string, unknown>)[hook];
    if (f !== undefined && typeof f !== 'function') {
      throw new TypeError(`${fn}: \`${arg}.${hook}\` must be a function, got ${describe(f)}`);
    }
  }
}

/**
 * One instrument that calls each of `instruments` in order. A hook none of them
 * implements stays undefined, so the kernel skips it.
 *
 * @throws {TypeError} if `instruments` is not an array of instruments.
 */
export function combineInstruments(instruments: readonly Instrument[]): Instrument | null {
  const given: unknown = instruments;
  if (!Array.isArray(given)) {
    throw new TypeError(
      `combineInstruments(): \`instruments\` must be an array of Instruments, got ${describe(given)}`,
    );
  }
  instruments.forEach((ins, i) => {
    checkInstrument('combineInstruments()', `instruments[${i}]`, ins);
  });
  if (instruments.length === 0) return null;
  if (instruments.length === 1) return instruments[0] as Instrument;
  const combined: Record<string, (...args: never[]) => void> = {};
  for (const hook of HOOKS) {
    const fns = instruments
      .map((ins) => ins[hook]?.bind(ins) as ((...args: unknown[]) => void) | undefined)
      .filter((fn) => fn !== undefined);
    if (fns.length === 0) continue;
    combined[hook] = (...args: unknown[]) => {
      for (const fn of fns) fn(...args);
    };
  }
  // The one query: the first instrument that knows the answer gives it.
  const askers = instruments.filter((ins) => ins.callSiteOf !== undefined);
  if (askers.length === 0) return combined;
  const result = combined as Instrument;
  const callSiteOf = (wait: Wait): string | undefined => {
    for (const ins of askers) {
      const where = ins.callSiteOf?.(wait);
      if (where !== undefined) return where;
    }
    return undefined;
  };
  return { ...result, callSiteOf };
}
