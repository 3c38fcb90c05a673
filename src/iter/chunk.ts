/**
 * `chunk(n, { within })`: batches of up to `n` items. With `within`, a batch is
 * also emitted once `within` ms have passed since its first item, so a slow
 * trickle still flows (a batch by size or by time, whichever comes first). The
 * last batch may be smaller; no batch is empty.
 *
 * A pending pull of the source is never lost when the time runs out: it is kept
 * and its item starts the next batch. The timer is removed as soon as a batch is
 * emitted, and the source's `return()` is called when the consumer stops early.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { chunk, pipe, range, toArray } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * async function* trickle() {
 *   for (const [ms, item] of [[0, 'a'], [10, 'b'], [100, 'c'], [5, 'd']] as const) {
 *     await sleep(ms);
 *     yield item;
 *   }
 * }
 *
 * await run(async () => {
 *   console.log(await toArray(pipe(range(0, 7), chunk(3))));
 *   console.log(await toArray(pipe(trickle(), chunk(3, { within: 50 }))));
 * }, { clock: new VirtualClock() });
 * // => [ [ 0, 1, 2 ], [ 3, 4, 5 ], [ 6 ] ]
 * // => [ [ 'a', 'b' ], [ 'c', 'd' ] ]
 * ```
 * @module
 */
import { checkCount, checkDelay, checkOptions, optionNames } from '../_internal/validate.js';
import { moveOnAt } from '../core/timeout.js';
import { currentLoop } from '../core/loop.js';
import { awaitPromise } from '../core/suspend.js';
import { isCancellation } from '../errors.js';
import { fusable } from './fused.js';
import { type Operator, type Source, asAsync } from './source.js';

export interface ChunkOptions {
  /** Emit a partial batch once this many ms have passed since its first item. */
  readonly within?: number;
}

const CHUNK_OPTIONS = optionNames<ChunkOptions>({ within: true });

/**
 * Groups items into arrays of up to `n`.
 *
 * **Cancellation:** each pull is a cancellation point (with `within`, the wait for
 * the next item or the deadline is).
 *
 * @throws {RangeError} if `n` is not an integer >= 1 or `within` is negative.
 */
export function chunk<T>(n: number, options?: ChunkOptions): Operator<T, T[]> {
  checkCount('chunk()', 'n', n, 1);
  checkOptions('chunk()', 'options', options, CHUNK_OPTIONS);
  const within =
    options?.within === undefined
      ? undefined
      : checkDelay('chunk()', 'options.within', options.within);
  if (within === undefined || within === Infinity) {
    return fusable((source: Source<T>) => bySize(asAsync('chunk()', source), n), {
      kind: 'chunk',
      n,
    });
  }
  return (source: Source<T>) => bySizeOrTime(asAsync('chunk()', source), n, within);
}

async function* bySize<T>(
  items: AsyncIterable<T>,
  n: number,
): AsyncGenerator<T[], void, undefined> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === n) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function* bySizeOrTime<T>(
  items: AsyncIterable<T>,
  n: number,
  within: number,
): AsyncGenerator<T[], void, undefined> {
  const it = items[Symbol.asyncIterator]();
  // The pull in progress, kept across a deadline so its item is not lost.
  let pending: Promise<IteratorResult<T>> | null = null;
  let finished = false;
  try {
    while (!finished) {
      const batch: T[] = [];
      let deadline = Infinity;
      while (batch.length < n) {
        pending ??= keepable(it.next());
        const pull: Promise<IteratorResult<T>> = pending;
        const result =
          deadline === Infinity
            ? { r: await awaitPromise(pull, 'chunk: next item') }
            : await moveOnAt(deadline, async () => ({
                r: await awaitPromise(pull, 'chunk: next item'),
              }));
        if (result === undefined) break;
        pending = null;
        if (result.r.done === true) {
          finished = true;
          break;
        }
        if (batch.length === 0) deadline = currentLoop().time() + within;
        batch.push(result.r.value);
      }
      if (batch.length > 0) yield batch;
    }
  } finally {
    if (!finished) {
      // A pull kept across a deadline: whatever it ends with, nobody takes it now.
      // A real error from it is reported, not lost; a cancellation is expected.
      if (pending !== null) await pending.then(undefined, reportLost);
      await it.return?.();
    }
  }
}

const noop = (): void => {};

// A pull may be kept across a deadline, and may reject (its consumer was
// cancelled) while nobody awaits it: marked handled at once, so that is never an
// unhandled rejection that ends the process (#11). awaitPromise() and the
// finally block above still see its outcome.
function keepable<R>(pull: Promise<R>): Promise<R> {
  pull.then(undefined, noop);
  return pull;
}

function reportLost(error: unknown): void {
  if (isCancellation(error)) return;
  currentLoop().callExceptionHandler({
    message: 'chunk(): the source failed after its consumer stopped reading',
    error,
  });
}
