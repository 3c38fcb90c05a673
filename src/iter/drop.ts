/**
 * `drop(n)`: skips the first `n` items of a source and yields the rest.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { drop, pipe, range, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   console.log(await toArray(pipe(range(0, 5), drop(2))));
 * });
 * // => [ 2, 3, 4 ]
 * ```
 * @module
 */
import { checkCount } from '../_internal/validate.js';
import { type Operator, type Source, asAsync } from './source.js';

/** Skips the first `n` items. */
export function drop<T>(n: number): Operator<T, T> {
  checkCount('drop()', 'n', n);
  return (source: Source<T>) => {
    const items = asAsync('drop()', source);
    return (async function* () {
      let seen = 0;
      for await (const item of items) if (seen++ >= n) yield item;
    })();
  };
}
