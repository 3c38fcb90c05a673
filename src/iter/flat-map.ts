/**
 * `flatMap(fn, { concurrency })`: map each item to an iterable and yield all of
 * their items. With `concurrency > 1`, up to that many inner iterables are pulled
 * at once (each by a child task) and their items interleave as they arrive; the
 * same structured rules as `map` apply when the consumer leaves or a source fails.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { flatMap, pipe, range, toArray } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * async function* pages(site: string) {
 *   for (let p = 1; p <= 2; p++) {
 *     await sleep(site === 'slow' ? 30 : 10);
 *     yield `${site} page ${p}`;
 *   }
 * }
 *
 * await run(async () => {
 *   console.log(await toArray(pipe(range(1, 4), flatMap((n) => Array(n).fill(n)))));
 *   console.log(await toArray(pipe(['slow', 'fast'], flatMap(pages, { concurrency: 2 }))));
 * }, { clock: new VirtualClock() });
 * // => [ 1, 2, 2, 3, 3, 3 ]
 * // => [ 'fast page 1', 'fast page 2', 'slow page 1', 'slow page 2' ]
 * ```
 * @module
 */
import { checkFunction, checkOptions, checkSize, optionNames } from '../_internal/validate.js';
import { Pumped } from './pumped.js';
import { type Operator, type Source, asAsync } from './source.js';

export interface FlatMapOptions {
  /** How many inner iterables are pulled at once; default 1 (one after another). */
  readonly concurrency?: number;
}

const FLAT_MAP_OPTIONS = optionNames<FlatMapOptions>({ concurrency: true });

/**
 * Yields the items of `fn(item, index)` for each item.
 *
 * **Cancellation:** each step is a cancellation point; leaving early closes the
 * inner iterables and the source.
 *
 * @throws {RangeError} if `concurrency` is not an integer >= 1 or `Infinity`.
 */
export function flatMap<T, R>(
  fn: (item: T, index: number) => Source<R>,
  options?: FlatMapOptions,
): Operator<T, R> {
  checkFunction('flatMap()', 'fn', fn);
  checkOptions('flatMap()', 'options', options, FLAT_MAP_OPTIONS);
  const concurrency = checkSize('flatMap()', 'options.concurrency', options?.concurrency ?? 1, 1);
  return (source: Source<T>) => {
    const items = asAsync('flatMap()', source);
    const expand = (item: unknown, index: number) => asAsync('flatMap()', fn(item as T, index));
    if (concurrency === 1) {
      return (async function* () {
        let i = 0;
        for await (const item of items) yield* expand(item, i++);
      })();
    }
    return {
      [Symbol.asyncIterator]: () =>
        new Pumped<R>(
          'flatMap()',
          [items as AsyncIterable<unknown> as AsyncIterable<R>],
          concurrency,
          {
            expand,
            concurrency,
          },
        ),
    };
  };
}
