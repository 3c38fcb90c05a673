/**
 * `corio/iter`: async-iterator pipelines with structured concurrency. Operators
 * take and return `AsyncIterable`s (plain iterables are accepted as sources) and
 * compose with `pipe`; leaving a `for await` early cancels in-flight work, waits
 * for it, and calls `return()` upstream.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { chunk, filter, map, pipe, range } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const lookups = pipe(
 *     range(0, 10),
 *     map(async (id) => { await sleep(10); return { id, ok: id % 4 !== 0 }; }, { concurrency: 4 }),
 *     filter((user) => user.ok),
 *     chunk(3),
 *   );
 *   for await (const batch of lookups) console.log(batch.map((u) => u.id));
 * }, { clock: new VirtualClock() });
 * // => [ 1, 2, 3 ]
 * // => [ 5, 6, 7 ]
 * // => [ 9 ]
 * ```
 * @module corio/iter
 */
export { type ChunkOptions, chunk } from './chunk.js';
export { buffer, type Items, merge, zip } from './combine.js';
export { forEach, reduce, toArray } from './consume.js';
export {
  AsyncExitStack,
  asyncContextManager,
  ContextManagerHandle,
  SuppressedError,
  type SuppressedErrorConstructor,
  type SuppressedErrorLike,
} from './exit-stack.js';
export { drop } from './drop.js';
export { enumerate } from './enumerate.js';
export { filter } from './filter.js';
export { take, takeWhile } from './take.js';
export { type EmitterLike, type FromEventOptions, fromEvent } from './events.js';
export { type FlatMapOptions, flatMap } from './flat-map.js';
export { type MapOptions, map } from './map.js';
export { pipe } from './pipe.js';
export { Pool, PoolLease, type PoolOptions, type PoolStatistics } from './pool.js';
export {
  RateLimiter,
  type RateLimiterOptions,
  type RateLimiterStatistics,
} from './rate-limiter.js';
export {
  type Backoff,
  type BackoffOptions,
  exponentialBackoff,
  type RetryOptions,
  retry,
} from './retry.js';
export { count, type IntervalOptions, type Operator, range, type Source } from './source.js';
export { tee } from './tee.js';
export { throttle } from './throttle.js';
