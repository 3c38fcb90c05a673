/**
 * A priority queue (asyncio's `PriorityQueue`): `get()` returns the smallest item
 * first. Items compare with `compare(a, b)` (negative: `a` first), by default as
 * Python compares them: numbers and strings by value, arrays element by element,
 * so `[priority, payload]` pairs work. Equal items leave in the order they came
 * (asyncio's heap does not promise that).
 *
 * @example
 * ```ts
 * import { PriorityQueue, run } from 'corio';
 *
 * await run(async () => {
 *   const jobs = new PriorityQueue<[number, string]>();
 *   jobs.putNowait([2, 'write report']);
 *   jobs.putNowait([1, 'fix outage']);
 *   jobs.putNowait([2, 'answer mail']);
 *   for (let i = 0; i < 3; i++) console.log((await jobs.get()).join(': '));
 *   const byLength = new PriorityQueue<string>(0, { compare: (a, b) => a.length - b.length });
 *   byLength.putNowait('banana');
 *   byLength.putNowait('fig');
 *   console.log(byLength.getNowait());
 * });
 * // => 1: fix outage
 * // => 2: answer mail
 * // => 2: write report
 * // => fig
 * ```
 * @module
 */
import { checkFunction, checkOptions, optionNames } from '../_internal/validate.js';
import { Queue } from './queue.js';

export interface PriorityQueueOptions<T> {
  /** Orders items: negative when `a` comes first. Default: Python's ordering. */
  readonly compare?: (a: T, b: T) => number;
}

interface Slot<T> {
  readonly item: T;
  readonly seq: number;
}

/** Python's ordering: numbers, strings and bigints by value; arrays element by element. */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = defaultCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if ((a as number) < (b as number)) return -1;
  if ((a as number) > (b as number)) return 1;
  return 0;
}

const PRIORITY_OPTIONS = optionNames<PriorityQueueOptions<unknown>>({ compare: true });

export class PriorityQueue<T> extends Queue<T> {
  readonly #compare: (a: T, b: T) => number;
  #heap: Slot<T>[] = [];
  #seq = 0;

  /**
   * @throws {RangeError} unless `maxsize` is an integer >= 0 or `Infinity`.
   * @throws {TypeError} if `options.compare` is not a function.
   */
  constructor(maxsize = 0, options?: PriorityQueueOptions<T>) {
    super(maxsize);
    checkOptions('new PriorityQueue()', 'options', options, PRIORITY_OPTIONS);
    const compare: unknown = options?.compare ?? defaultCompare;
    checkFunction('new PriorityQueue()', 'options.compare', compare);
    this.#compare = compare as (a: T, b: T) => number;
  }

  #before(a: Slot<T>, b: Slot<T>): boolean {
    const c = this.#compare(a.item, b.item);
    return c < 0 || (c === 0 && a.seq < b.seq);
  }

  /** @internal */
  override _store(item: T): void {
    const heap = this.#heap;
    const slot = { item, seq: this.#seq++ };
    let i = heap.length;
    heap.push(slot);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Slot<T>;
      if (!this.#before(slot, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = slot;
  }

  /** @internal */
  override _take(): T {
    const heap = this.#heap;
    const top = heap[0] as Slot<T>;
    const last = heap.pop() as Slot<T>;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.#before(heap[r] as Slot<T>, heap[l] as Slot<T>) ? r : l;
        if (!this.#before(heap[c] as Slot<T>, last)) break;
        heap[i] = heap[c] as Slot<T>;
        i = c;
      }
      heap[i] = last;
    }
    return top.item;
  }

  /** @internal A given-back item takes its place by priority again. */
  override _storeFirst(item: T): void {
    this._store(item);
  }

  /** @internal */
  override _count(): number {
    return this.#heap.length;
  }

  /** @internal */
  override _clear(): void {
    this.#heap = [];
  }
}
