/**
 * `corio/node`: asyncio's I/O for Node — subprocesses and worker threads that
 * stop when cancelled.
 *
 * @example
 * ```ts
 * import { isMainThread } from 'node:worker_threads';
 * import { run } from 'corio';
 * import { workerFunction } from 'corio/node';
 *
 * export const double = (n: number): number => n * 2;
 *
 * if (isMainThread) {
 *   const doubleInThread = workerFunction<typeof double>(import.meta.url, 'double');
 *   await run(async () => console.log(await doubleInThread(21)));
 * }
 * // => 42
 * ```
 * @module
 */
export {
  type CancelMode,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStatistics,
  type WorkerRunOptions,
} from './worker-pool.js';
export {
  type WorkerFunction,
  type WorkerFunctionOptions,
  workerFunction,
} from './worker-function.js';
