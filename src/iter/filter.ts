/**
 * `filter(predicate)`: keeps the items for which the predicate (it may be async)
 * is truthy, pulling one item at a time; stopping early calls `return()` on the
 * source, so its `finally` blocks run.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { filter, pipe, range, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   console.log(await toArray(pipe(range(0, 10), filter((n) => n % 3 === 0))));
 * });
 * // => [ 0, 3, 6, 9 ]
 * ```
 * @module
 */
import { checkFunction, isThenable } from '../_internal/validate.js';
import { fusable } from './fused.js';
import { type Operator, type Source, asAsync } from './source.js';

/** Keeps the items for which `predicate(item, index)` is truthy (it may be async). */
export function filter<T, S extends T>(
  predicate: (item: T, index: number) => item is S,
): Operator<T, S>;
export function filter<T>(predicate: (item: T, index: number) => unknown): Operator<T, T>;
export function filter<T>(predicate: (item: T, index: number) => unknown): Operator<T, T> {
  checkFunction('filter()', 'predicate', predicate);
  return fusable(
    (source: Source<T>) => {
      const items = asAsync('filter()', source);
      return (async function* () {
        let i = 0;
        for await (const item of items) {
          // A synchronous predicate is not awaited: that would cost a microtask hop per item.
          const keep = predicate(item, i++);
          if (isThenable(keep) ? await keep : keep) yield item;
        }
      })();
    },
    { kind: 'filter', fn: predicate as (item: unknown, index: number) => unknown },
  );
}
