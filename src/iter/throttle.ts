/**
 * `throttle({ limit, interval })`: lets at most `limit` items through per
 * `interval` ms, delaying the rest, on a `RateLimiter` (so its timer leaves with
 * the iteration).
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from 'corio';
 * import { pipe, range, throttle } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   for await (const n of pipe(range(0, 4), throttle({ limit: 2, interval: 1000 }))) {
 *     console.log(n, 'at', getRunningLoop().time());
 *   }
 * }, { clock: new VirtualClock() });
 * // => 0 at 0
 * // => 1 at 0
 * // => 2 at 1000
 * // => 3 at 1000
 * ```
 * @module
 */
import { RateLimiter, type RateLimiterOptions, checkRateOptions } from './rate-limiter.js';
import { type Operator, type Source, asAsync } from './source.js';

/**
 * Passes at most `limit` items per `interval` ms, delaying the rest.
 *
 * **Cancellation:** the waits are cancellation points.
 */
export function throttle<T>(options: RateLimiterOptions): Operator<T, T> {
  checkRateOptions('throttle()', options);
  const limiter = new RateLimiter(options);
  return (source: Source<T>) => {
    const items = asAsync('throttle()', source);
    return (async function* () {
      for await (const item of items) {
        await limiter.acquire();
        yield item;
      }
    })();
  };
}
