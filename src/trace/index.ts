/**
 * `corio/trace`: seeing a concurrent program. The task tree of a live process,
 * debug mode's reports (see `run(main, { debug: true })`), and a tracer that
 * records a run and draws it: a Mermaid sequence diagram, Chrome trace JSON for
 * Perfetto, a self-contained HTML timeline.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from 'corio';
 * import { trace, toMermaid } from 'corio/trace';
 *
 * const { value, tracer } = await trace(async () => {
 *   await taskGroup((tg) => {
 *     tg.spawn(() => sleep(10), { name: 'nap' });
 *   });
 *   return 'done';
 * });
 * console.log(value, toMermaid(tracer).split('\n').length);
 * // => done 14
 * ```
 * @module corio/trace
 */
import { checkFunction, checkOptions, checkSize, optionNames } from '../_internal/validate.js';
import { type RunOptions, run } from '../core/run.js';
import type { TaskFunction } from '../core/task.js';
import { Tracer, type TracerOptions } from './tracer.js';

export {
  combineInstruments,
  type DebugOptions,
  type Instrument,
  type Wait,
  type WaitOutcome,
} from '../core/lowlevel.js';
export { type TaskInfo, type WaitInfo, taskTree } from './introspect.js';
export { type TraceEvent, type TraceEventKind, Tracer, type TracerOptions } from './tracer.js';
export { toMermaid } from './mermaid.js';
export { type Lane, type Span, toLanes } from './spans.js';
export { type ChromeTrace, type ChromeTraceEvent, toChromeTrace } from './chrome.js';
export { type HtmlOptions, toHTML } from './html.js';
export { dumpTaskTreeOn, formatTaskTree, printTaskTree, type TreeOptions } from './tree.js';

const TRACE_OPTIONS = optionNames<Omit<RunOptions, 'trace'> & TracerOptions>({
  clock: true,
  name: true,
  signal: true,
  debug: true,
  limit: true,
});

/**
 * Runs `main` as `run()` does, recording it: resolves with its value and the
 * tracer. If `main` fails, the error is thrown with the tracer attached as
 * `error.tracer` when the error is an object.
 *
 * **Cancellation:** as `run()`: `options.signal` cancels the main task.
 */
export async function trace<T>(
  main: TaskFunction<T>,
  options?: Omit<RunOptions, 'trace'> & TracerOptions,
): Promise<{ value: T; tracer: Tracer }> {
  checkFunction('trace()', 'main', main);
  checkOptions('trace()', 'options', options, TRACE_OPTIONS);
  if (options?.limit !== undefined) checkSize('trace()', 'options.limit', options.limit, 1);
  const { limit, ...runOptions } = options ?? {};
  const tracer = new Tracer(limit === undefined ? {} : { limit });
  try {
    const value = await run(main, { ...runOptions, trace: tracer });
    return { value, tracer };
  } catch (error) {
    if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
      Object.defineProperty(error, 'tracer', { value: tracer, configurable: true });
    }
    throw error;
  }
}
