/**
 * Consumers that end a pipeline: `toArray`, `reduce`, and `forEach` (optionally
 * concurrent, with `concurrency`).
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { forEach, range, reduce, toArray } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   console.log(await reduce(range(1, 5), (sum, n) => sum + n, 0));
 *   await forEach(['a', 'b', 'c'], async (item) => {
 *     await sleep(item === 'a' ? 20 : 10);
 *     console.log(item);
 *   }, { concurrency: 2 });
 *   console.log(await toArray(new Set([1, 2])));
 * }, { clock: new VirtualClock() });
 * // => 10
 * // => b
 * // => a
 * // => c
 * // => [ 1, 2 ]
 * ```
 * @module
 */
import { checkFunction, checkOptions } from '../_internal/validate.js';
import { type MapOptions, map } from './map.js';
import { type Source, asAsync } from './source.js';

/** Collects every item. */
export async function toArray<T>(source: Source<T>): Promise<T[]> {
  const items = asAsync('toArray()', source);
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Folds the items into one value with `reducer(accumulator, item, index)` (it may be async). */
export async function reduce<T, A>(
  source: Source<T>,
  reducer: (accumulator: A, item: T, index: number) => A | PromiseLike<A>,
  initial: A,
): Promise<A> {
  const items = asAsync('reduce()', source);
  checkFunction('reduce()', 'reducer', reducer);
  let acc = initial;
  let i = 0;
  for await (const item of items) acc = await reducer(acc, item, i++);
  return acc;
}

/**
 * Calls `fn(item, index)` for every item, up to `concurrency` at once (default 1),
 * and resolves once all have finished. The first error stops the iteration:
 * running calls are cancelled and awaited, then it is thrown.
 */
export async function forEach<T>(
  source: Source<T>,
  fn: (item: T, index: number) => unknown,
  options?: Pick<MapOptions, 'concurrency'>,
): Promise<void> {
  checkFunction('forEach()', 'fn', fn);
  checkOptions('forEach()', 'options', options);
  const items = asAsync('forEach()', source);
  const concurrency = options?.concurrency ?? 1;
  for await (const _ of map(fn, { concurrency, ordered: false })(items));
}
