/**
 * `take(n)` and `takeWhile(predicate)`: the first items of a source. `take(n)`
 * pulls nothing past item `n`; both call `return()` on the source when they
 * stop, so its `finally` blocks run.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { count, pipe, take, takeWhile, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   console.log(await toArray(pipe(count(), take(3))));
 *   console.log(await toArray(pipe(count(), takeWhile((n) => n * n < 10))));
 * });
 * // => [ 0, 1, 2 ]
 * // => [ 0, 1, 2, 3 ]
 * ```
 * @module
 */
import { checkCount, checkFunction, isThenable } from '../_internal/validate.js';
import { type Operator, type Source, asAsync } from './source.js';

/** The first `n` items; pulls nothing past the `n`-th. */
export function take<T>(n: number): Operator<T, T> {
  if (n !== Infinity) checkCount('take()', 'n', n);
  return (source: Source<T>) => {
    const items = asAsync('take()', source);
    return (async function* () {
      if (n <= 0) return;
      let taken = 0;
      for await (const item of items) {
        yield item;
        if (++taken >= n) return;
      }
    })();
  };
}

/** Items while `predicate(item, index)` is truthy; stops at the first that fails it. */
export function takeWhile<T>(predicate: (item: T, index: number) => unknown): Operator<T, T> {
  checkFunction('takeWhile()', 'predicate', predicate);
  return (source: Source<T>) => {
    const items = asAsync('takeWhile()', source);
    return (async function* () {
      let i = 0;
      for await (const item of items) {
        const keep = predicate(item, i++);
        if (!(isThenable(keep) ? await keep : keep)) return;
        yield item;
      }
    })();
  };
}
