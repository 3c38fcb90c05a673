/**
 * Operators over several sources, and read-ahead: `merge` interleaves sources as
 * their items arrive (each pulled by its own child task), `zip` pairs them up
 * step by step and stops at the shortest, and `buffer(n)` reads up to `n` items
 * ahead of a slow consumer. Leaving early closes every source.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { merge, range, toArray, zip } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const fast = range(0, 3, { interval: 10 });
 *   const slow = range(100, 102, { interval: 25 });
 *   console.log(await toArray(merge(fast, slow)));
 *   console.log(await toArray(zip(['a', 'b', 'c'], range(1, 10))));
 * }, { clock: new VirtualClock() });
 * // => [ 0, 1, 100, 2, 101 ]
 * // => [ [ 'a', 1 ], [ 'b', 2 ], [ 'c', 3 ] ]
 * ```
 * @module
 */
import { checkSize } from '../_internal/validate.js';
import { Pumped } from './pumped.js';
import { type Operator, type Source, asAsync } from './source.js';

/** The item types of a tuple of sources: `[Source<A>, Source<B>]` → `[A, B]`. */
export type Items<S extends readonly Source<unknown>[]> = {
  [K in keyof S]: S[K] extends Source<infer T> ? T : never;
};

/**
 * Yields the items of every source as they arrive. Each source is pulled by a
 * child task, at most one item ahead; the first failure ends the merge.
 *
 * **Cancellation:** each step is a cancellation point; a cancelled consumer
 * cancels the pulls, waits for them, and closes the sources.
 */
export function merge<S extends readonly Source<unknown>[]>(
  ...sources: S
): AsyncIterable<Items<S>[number]> {
  const inputs = sources.map((source) => asAsync('merge()', source));
  return {
    [Symbol.asyncIterator]: () =>
      new Pumped(
        'merge()',
        inputs as AsyncIterable<Items<S>[number]>[],
        Math.max(1, inputs.length),
      ),
  };
}

/**
 * Yields tuples of the sources' items, one from each, in step; stops when the
 * shortest ends (and closes the others).
 */
export function zip<S extends readonly Source<unknown>[]>(...sources: S): AsyncIterable<Items<S>> {
  const inputs = sources.map((source) => asAsync('zip()', source));
  return (async function* () {
    if (inputs.length === 0) return;
    const iterators = inputs.map((source) => source[Symbol.asyncIterator]());
    const done = new Set<number>();
    try {
      for (;;) {
        const results = await Promise.all(iterators.map((it) => it.next()));
        results.forEach((r, i) => {
          if (r.done === true) done.add(i);
        });
        if (done.size > 0) return;
        yield results.map((r) => r.value as unknown) as Items<S>;
      }
    } finally {
      const closing: Promise<unknown>[] = [];
      iterators.forEach((it, i) => {
        if (!done.has(i) && it.return !== undefined) closing.push(it.return());
      });
      await Promise.all(closing);
    }
  })();
}

/**
 * Reads up to `n` items ahead of the consumer in a child task, so a slow consumer
 * and a slow source overlap.
 *
 * @throws {RangeError} unless `n` is an integer >= 1 or `Infinity`.
 */
export function buffer<T>(n: number): Operator<T, T> {
  const limit = checkSize('buffer()', 'n', n, 1);
  return (source: Source<T>) => {
    const input = asAsync('buffer()', source);
    return { [Symbol.asyncIterator]: () => new Pumped('buffer()', [input], limit) };
  };
}
