/**
 * `tee(source, n)` splits one source into `n` iterables that each see every item
 * (Python's `itertools.tee`): each branch buffers what the others have pulled,
 * and the source is closed once every branch has finished.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { range, tee, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   const [a, b] = tee(range(0, 3));
 *   console.log(await toArray(a), await toArray(b));
 * });
 * // => [ 0, 1, 2 ] [ 0, 1, 2 ]
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import { checkCount } from '../_internal/validate.js';
import { awaitPromise } from '../core/suspend.js';
import { type Source, asAsync } from './source.js';

/**
 * `n` iterables over the same items.
 *
 * **Cancellation:** a branch waiting for the source's next item is a cancellation
 * point; the pull it started is kept for the other branches.
 *
 * @throws {RangeError} unless `n` is an integer >= 1.
 */
export function tee<T>(source: Source<T>): [AsyncIterable<T>, AsyncIterable<T>];
export function tee<T>(source: Source<T>, n: number): AsyncIterable<T>[];
export function tee<T>(source: Source<T>, n = 2): AsyncIterable<T>[] {
  checkCount('tee()', 'n', n, 1);
  const input = asAsync('tee()', source);
  let iterator: AsyncIterator<T> | null = null;
  const buffers = Array.from({ length: n }, () => new Deque<T>());
  const active = new Set<number>(buffers.keys());
  let pending: Promise<void> | null = null;
  let done = false;
  let failure: { error: unknown } | null = null;

  // One pull at a time, shared by the branches; its item goes to every live branch.
  const pull = (): Promise<void> => {
    iterator ??= input[Symbol.asyncIterator]();
    pending ??= iterator.next().then(
      (result) => {
        pending = null;
        if (result.done === true) done = true;
        else for (const i of active) (buffers[i] as Deque<T>).push(result.value);
      },
      (error: unknown) => {
        pending = null;
        failure = { error };
      },
    );
    return pending;
  };

  const branch = (i: number): AsyncIterator<T, undefined> => ({
    async next(): Promise<IteratorResult<T, undefined>> {
      const buffer = buffers[i] as Deque<T>;
      for (;;) {
        if (buffer.size > 0) return { done: false, value: buffer.shift() };
        if (failure !== null) throw failure.error;
        if (done || !active.has(i)) return { done: true, value: undefined };
        await awaitPromise(pull(), 'tee: next item');
      }
    },
    async return(): Promise<IteratorResult<T, undefined>> {
      if (active.delete(i)) (buffers[i] as Deque<T>).clear();
      if (active.size === 0 && !done && iterator !== null) {
        done = true;
        await iterator.return?.();
      }
      return { done: true, value: undefined };
    },
  });

  return buffers.map((_, i) => ({ [Symbol.asyncIterator]: () => branch(i) }));
}
