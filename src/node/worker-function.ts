/**
 * `workerFunction(module, exportName)`: asyncio's `to_thread` for Node. An
 * export of a module becomes an async function whose calls run in a worker
 * thread, on a shared default `WorkerPool` (or one you pass). A closure cannot
 * cross threads, so the function is named by its module and export, and a
 * type argument keeps the call site typed.
 *
 * @example
 * ```ts
 * import { isMainThread } from 'node:worker_threads';
 * import { run } from 'corio';
 * import { workerFunction } from 'corio/node';
 *
 * export function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
 * }
 *
 * if (isMainThread) {
 *   const fibInThread = workerFunction<typeof fib>(import.meta.url, 'fib');
 *   await run(async () => console.log(await fibInThread(25)));
 * }
 * // => 75025
 * ```
 * @module
 */
import { checkOptions, describe, optionNames } from '../_internal/validate.js';
import { checkMode, moduleUrl } from './_internal/checks.js';
import { type CancelMode, WorkerPool, sharedPool } from './worker-pool.js';

/** `F` called in a thread: the same arguments, its result as a promise. */
export type WorkerFunction<F extends (...args: never[]) => unknown> = (
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>;

export interface WorkerFunctionOptions {
  /** The pool to run in; default: one shared pool of `os.availableParallelism()` threads. */
  readonly pool?: WorkerPool;
  /** The cancel mode of its calls, instead of the pool's. */
  readonly cancel?: CancelMode;
}

/**
 * asyncio's `to_thread` for Node: the export `exportName` of `module`, as an
 * async function whose calls run in a worker thread. A closure cannot cross
 * threads, so the function is named by its module and export; the type
 * argument keeps the call site typed:
 * `workerFunction<typeof import('./hash.js').sha256>(new URL('./hash.js', import.meta.url), 'sha256')`.
 * Arguments and result are structured-cloned.
 *
 * **Cancellation:** each call is `pool.run()`'s: a cancellation point that
 * stops the job before it throws `CancelledError`.
 *
 * @throws {TypeError} for a module that is not an absolute path or `file:` URL
 * of an existing file, or an `exportName` that is not a string.
 */
const FUNCTION_OPTIONS = optionNames<WorkerFunctionOptions>({ pool: true, cancel: true });

export function workerFunction<F extends (...args: never[]) => unknown>(
  module: string | URL,
  exportName: string,
  options?: WorkerFunctionOptions,
): WorkerFunction<F> {
  const fn = 'workerFunction()';
  const href = moduleUrl(fn, 'module', module);
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(
      `${fn}: \`exportName\` must be a non-empty string, got ${describe(exportName)}`,
    );
  }
  checkOptions(fn, 'options', options, FUNCTION_OPTIONS);
  const pool = options?.pool;
  if (pool !== undefined && !(pool instanceof WorkerPool)) {
    throw new TypeError(`${fn}: \`options.pool\` must be a WorkerPool, got ${describe(pool)}`);
  }
  const mode =
    options?.cancel === undefined ? undefined : checkMode(fn, 'options.cancel', options.cancel);
  const call = `${exportName}() in a thread`;
  const inThread = async (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
    const target = pool ?? sharedPool();
    const value = await target._call(
      call,
      href,
      exportName,
      args,
      undefined,
      mode ?? target.cancelMode,
      undefined,
    );
    return value as Awaited<ReturnType<F>>;
  };
  return inThread;
}
