/**
 * `enumerate(start?)`: pairs each item with its index, as Python's `enumerate`.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { enumerate, pipe, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   console.log(await toArray(pipe(['a', 'b'], enumerate(1))));
 * });
 * // => [ [ 1, 'a' ], [ 2, 'b' ] ]
 * ```
 * @module
 */
import { checkNumber } from '../_internal/validate.js';
import { type Operator, type Source, asAsync } from './source.js';

/** Pairs each item with its index: `[index, item]`. */
export function enumerate<T>(start = 0): Operator<T, [number, T]> {
  checkNumber('enumerate()', 'start', start, -Infinity, true);
  return (source: Source<T>) => {
    const items = asAsync('enumerate()', source);
    return (async function* () {
      let i = start;
      for await (const item of items) yield [i++, item] as [number, T];
    })();
  };
}
