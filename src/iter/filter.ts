/**
 * The sequential operators: `filter`, `take`, `takeWhile`, `drop` and `enumerate`.
 * Each pulls one item at a time; `take(n)` pulls nothing past item `n`, and every
 * one of them calls `return()` on its source when it stops early, so the source's
 * `finally` blocks run.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { drop, enumerate, filter, pipe, range, take, takeWhile, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   console.log(await toArray(pipe(range(0, 100), filter((n) => n % 3 === 0), drop(1), take(3))));
 *   console.log(await toArray(pipe(['a', 'b', 'c'], enumerate(), takeWhile(([i]) => i < 2))));
 * });
 * // => [ 3, 6, 9 ]
 * // => [ [ 0, 'a' ], [ 1, 'b' ] ]
 * ```
 * @module
 */
import { checkCount, checkFunction, checkNumber, isThenable } from '../_internal/validate.js';
import { type Operator, type Source, asAsync } from './source.js';

/** Keeps the items for which `predicate(item, index)` is truthy (it may be async). */
export function filter<T, S extends T>(
  predicate: (item: T, index: number) => item is S,
): Operator<T, S>;
export function filter<T>(predicate: (item: T, index: number) => unknown): Operator<T, T>;
export function filter<T>(predicate: (item: T, index: number) => unknown): Operator<T, T> {
  checkFunction('filter()', 'predicate', predicate);
  return (source: Source<T>) => {
    const items = asAsync('filter()', source);
    return (async function* () {
      let i = 0;
      for await (const item of items) {
        // A synchronous predicate is not awaited: that would cost a microtask hop per item.
        const keep = predicate(item, i++);
        if (isThenable(keep) ? await keep : keep) yield item;
      }
    })();
  };
}

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
