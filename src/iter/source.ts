/**
 * Sources for pipelines: `range(start, end)` and `count()` (the seed's
 * AsyncCounter, with an optional `interval` between items), and the adapter every
 * operator uses to accept a plain iterable as well as an async one.
 *
 * A source that never waits (an array, `range` without an interval) still checks
 * for cancellation at every item, so a cancelled task leaves even a synchronous
 * pipeline at its next step.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { count, range, take, toArray, pipe } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   console.log(await toArray(range(2, 6)));
 *   for await (const n of range(2, 4, { interval: 1000 })) console.log(n);
 *   console.log(await toArray(pipe(count(), take(3))));
 * }, { clock: new VirtualClock() });
 * // => [ 2, 3, 4, 5 ]
 * // => 2
 * // => 3
 * // => [ 0, 1, 2 ]
 * ```
 * @module
 */
import {
  checkDelay,
  checkNumber,
  checkOptions,
  describe,
  isAsyncIterable,
  isIterable,
  optionNames,
} from '../_internal/validate.js';
import { sleep } from '../core/sleep.js';
import { throwIfCancelled } from '../core/suspend.js';

/** What a pipeline starts from: an async iterable, or a plain one. */
export type Source<T> = AsyncIterable<T> | Iterable<T>;

/** A pipeline stage: a function from a source to an async iterable. */
export type Operator<A, B> = (source: Source<A>) => AsyncIterable<B>;

export interface IntervalOptions {
  /** Wait this many ms before each item. */
  readonly interval?: number;
}

const INTERVAL_OPTIONS = optionNames<IntervalOptions>({ interval: true });

/**
 * `source` as an async iterable, checked at once.
 *
 * @throws {TypeError} naming `fn` if `source` is not iterable.
 */
export function asAsync<T>(fn: string, source: Source<T>): AsyncIterable<T> {
  const input: unknown = source;
  if (isAsyncIterable(input)) return input as AsyncIterable<T>;
  if (isIterable(input) && typeof input !== 'string') return fromSync(input as Iterable<T>);
  throw new TypeError(
    `${fn}: \`source\` must be an iterable or async iterable, got ${describe(input)}`,
  );
}

// An async generator without await: it exists to adapt a sync iterable.
// eslint-disable-next-line @typescript-eslint/require-await
async function* fromSync<T>(items: Iterable<T>): AsyncGenerator<T, void, undefined> {
  for (const item of items) {
    throwIfCancelled();
    yield item;
  }
}

/**
 * The integers from `start` up to, not including, `end` (`Infinity`: no end),
 * optionally one every `interval` ms. Re-iterable, as Python's `range`: each
 * iteration starts over from `start`.
 *
 * **Cancellation:** every step is a cancellation point.
 *
 * @throws {TypeError} if `start` or `end` is not a number.
 * @throws {RangeError} if `start` is not finite, `end` is NaN, or `interval` is negative.
 */
export function range(
  start: number,
  end: number,
  options?: IntervalOptions,
): AsyncIterable<number> {
  checkNumber('range()', 'start', start, -Infinity, true);
  checkNumber('range()', 'end', end);
  checkOptions('range()', 'options', options, INTERVAL_OPTIONS);
  const interval =
    options?.interval === undefined
      ? 0
      : checkDelay('range()', 'options.interval', options.interval);
  return new IntegerRange(start, end, interval);
}

/**
 * 0, 1, 2, … without end, optionally one every `interval` ms (the seed's
 * AsyncCounter). End it with `take` or by leaving the loop.
 *
 * **Cancellation:** every step is a cancellation point.
 */
export function count(options?: IntervalOptions): AsyncIterable<number> {
  checkOptions('count()', 'options', options, INTERVAL_OPTIONS);
  const interval =
    options?.interval === undefined
      ? 0
      : checkDelay('count()', 'options.interval', options.interval);
  return new IntegerRange(0, Infinity, interval);
}

// range() and count(): re-iterable, as Python's range, each iteration from the
// start. Without an interval they never wait, so syncItems() can hand them to
// a consumer as a plain iterator.
class IntegerRange implements AsyncIterable<number> {
  readonly #start: number;
  readonly #end: number;
  readonly #interval: number;

  constructor(start: number, end: number, interval: number) {
    this.#start = start;
    this.#end = end;
    this.#interval = interval;
  }

  [Symbol.asyncIterator](): AsyncIterator<number> {
    return counter(this.#start, this.#end, this.#interval);
  }

  /** @internal */
  _syncItems(): Iterable<number> | null {
    return this.#interval > 0 ? null : integers(this.#start, this.#end);
  }
}

// A plain iterator rather than a generator: no generator frame to resume per item.
function integers(start: number, end: number): IterableIterator<number> {
  let n = start;
  const iterator: IterableIterator<number> = {
    next: (): IteratorResult<number, undefined> =>
      n < end ? { done: false, value: n++ } : { done: true, value: undefined },
    [Symbol.iterator]: () => iterator,
  };
  return iterator;
}

/**
 * @internal The source as a plain iterable when its items can be pulled without
 * waiting (an array or other sync iterable, `range()` without an interval), else
 * null. A consumer pulling from several workers (`forEach`) then skips an async
 * step per item; it must still check for cancellation at each item, as
 * `asAsync()` does.
 */
export function syncItems<T>(source: Source<T>): Iterable<T> | null {
  const input: unknown = source;
  if (input instanceof IntegerRange) return input._syncItems() as Iterable<T> | null;
  if (isAsyncIterable(input) || typeof input === 'string' || !isIterable(input)) return null;
  return input as Iterable<T>;
}

async function* counter(
  start: number,
  end: number,
  interval: number,
): AsyncGenerator<number, void, undefined> {
  for (let n = start; n < end; n++) {
    if (interval > 0) await sleep(interval);
    else throwIfCancelled();
    yield n;
  }
}
