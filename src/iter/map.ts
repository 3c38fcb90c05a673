/**
 * `map(fn, { concurrency, ordered })`: transform each item, up to `concurrency`
 * calls at once. Unlike p-map, it is structured: each call runs as a child task
 * of the consuming task, a failure cancels the calls still running and waits for
 * them, and leaving the loop early (`break`, a throw, a cancellation) cancels the
 * running calls, waits for them, and calls `return()` on the source, so its
 * `finally` blocks run. Then the error that ended the pipeline is thrown.
 *
 * Backpressure: at most `concurrency` items are pulled ahead of the consumer
 * (running calls and results not yet taken together), so a slow consumer stops
 * the source from being pulled. `ordered` (the default) yields in source order;
 * `ordered: false` in completion order.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { map, pipe, toArray } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const fetchPage = async (n: number) => { await sleep(100 - n * 10); return `page ${n}`; };
 *   console.log(await toArray(pipe([1, 2, 3], map(fetchPage, { concurrency: 3 }))));
 *   console.log(await toArray(pipe([1, 2, 3], map(fetchPage, { concurrency: 3, ordered: false }))));
 * }, { clock: new VirtualClock() });
 * // => [ 'page 1', 'page 2', 'page 3' ]
 * // => [ 'page 3', 'page 2', 'page 1' ]
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import {
  checkBoolean,
  checkFunction,
  checkOptions,
  checkSize,
  optionNames,
} from '../_internal/validate.js';
import {
  CLEAR_ON_ABORT,
  type Suspension,
  resumed,
  suspend,
  taskError,
  throwIfCancelled,
  wake,
} from '../core/lowlevel.js';
import type { Task } from '../core/task.js';
import { isCancellation, throwCollected } from '../errors.js';
import { fusable } from './fused.js';
import { type Operator, type Source, asAsync, syncItems } from './source.js';
import { Nursery, ParkingLot } from '../core/lowlevel.js';
import { Lock } from '../sync/lock.js';

export interface MapOptions {
  /** How many calls of `fn` may run at once: an integer >= 1 or `Infinity`; default 1. */
  readonly concurrency?: number;
  /** Yield results in source order (default) or as the calls complete. */
  readonly ordered?: boolean;
}

const MAP_OPTIONS = optionNames<MapOptions>({ concurrency: true, ordered: true });

/**
 * Applies `fn(item, index)` to every item (it may be async), up to `concurrency`
 * calls at once.
 *
 * **Cancellation:** each step is a cancellation point; a cancelled consumer
 * cancels the running calls and waits for them before the error propagates.
 *
 * @throws {RangeError} if `concurrency` is not an integer >= 1 or `Infinity`.
 */
export function map<T, R>(
  fn: (item: T, index: number) => R | PromiseLike<R>,
  options?: MapOptions,
): Operator<T, Awaited<R>> {
  checkFunction('map()', 'fn', fn);
  checkOptions('map()', 'options', options, MAP_OPTIONS);
  const concurrency = checkSize('map()', 'options.concurrency', options?.concurrency ?? 1, 1);
  checkBoolean('map()', 'options.ordered', options?.ordered);
  const ordered = options?.ordered ?? true;
  if (concurrency === 1) {
    return fusable((source: Source<T>) => sequential(asAsync('map()', source), fn), {
      kind: 'map',
      fn: fn as (item: unknown, index: number) => unknown,
    });
  }
  return (source: Source<T>) => {
    const items = asAsync('map()', source);
    return {
      [Symbol.asyncIterator]: () =>
        new ConcurrentMap(items, syncItems(source), fn, concurrency, ordered),
    };
  };
}

async function* sequential<T, R>(
  items: AsyncIterable<T>,
  fn: (item: T, index: number) => R | PromiseLike<R>,
): AsyncGenerator<Awaited<R>, void, undefined> {
  let i = 0;
  // `yield` in an async generator awaits its operand already: an explicit
  // `await` would cost a second microtask hop per item.
  for await (const item of items) yield fn(item, i++) as Awaited<R>;
}

/**
 * The state of one concurrent map. With a finite `concurrency` (the usual case),
 * up to that many *worker* tasks each take a slot, pull an item and run `fn` on
 * it inline, then take the next: a task per slot, not per item (bench W2). They
 * start as items come: each starts the next once it has its first item. With
 * `Infinity` there is no fixed set of slots: a *pump* task pulls items and starts
 * one *call* task per item. Either way the tasks are helpers of a nursery under
 * the consumer's node, so cancelling the consumer reaches them, and closing the
 * map cancels exactly them.
 *
 * Invariants:
 * - `#running + #ready <= limit`: a slot is taken (`#running++`) before an item
 *   is pulled and given back when its result is taken or the pull finds the end
 *   (backpressure: at most `limit` items ahead of the consumer).
 * - Once `#closing`, no new item is pulled and no new call starts.
 * - Workers pull one at a time (a `Lock`) from an async source, so a worker
 *   waiting for its turn is parked and virtual time moves; a plain source
 *   (array, `range()`) is pulled synchronously, checking for cancellation.
 * - A helper's body catches everything it meets, so a helper that ends with an
 *   error was cancelled before its body ran (a task cancelled before it starts
 *   never runs its function): the nursery's `onEnd` does that body's part, as
 *   its catch would have one step later (explore finding, #13).
 */
class ConcurrentMap<T, R> implements AsyncIterator<Awaited<R>, undefined> {
  readonly #items: AsyncIterable<T>;
  readonly #fn: (item: T, index: number) => R | PromiseLike<R>;
  // The source as a plain iterable when it never waits (see syncItems), else null.
  readonly #plainItems: Iterable<T> | null;
  #plain: Iterator<T> | null = null;
  // Workers take turns pulling an async source.
  readonly #turn = new Lock();
  // Workers waiting for a free slot.
  readonly #slots = new ParkingLot();
  readonly #limit: number;
  readonly #ordered: boolean;
  #source: AsyncIterator<T> | null = null;
  // Created at the first next(), under the consumer's node.
  #workers: Nursery | null = null;
  // With `Infinity`, the pump (its other helpers are calls).
  #pumpTask: Task | null = null;
  #running = 0;
  // Workers started: one at first, then one more each time a worker pulls its
  // first item, up to the limit. So a short source starts few workers, however
  // large `concurrency` is (a million up front once took 2 GiB for three items).
  #started = 0;
  readonly #newWorker = (): Promise<void> => this.#work();
  #pulled = 0;
  #nextOut = 0;
  // Results waiting for the consumer: by index when ordered, in arrival order if not.
  readonly #byIndex = new Map<number, Awaited<R>>();
  readonly #arrived = new Deque<Awaited<R>>();
  #sourceDone = false;
  #closing = false;
  #closed = false;
  readonly #errors: unknown[] = [];
  #consumer: Suspension | null = null;
  // The result handed to the waiting consumer (woken with HANDED), until it resumes.
  #handed: Awaited<R> | undefined = undefined;
  #pumpWait: Suspension | null = null;

  constructor(
    items: AsyncIterable<T>,
    plainItems: Iterable<T> | null,
    fn: (item: T, index: number) => R | PromiseLike<R>,
    limit: number,
    ordered: boolean,
  ) {
    this.#items = items;
    this.#plainItems = plainItems;
    this.#fn = fn;
    this.#limit = limit;
    this.#ordered = ordered;
  }

  get #ready(): number {
    return this.#ordered ? this.#byIndex.size : this.#arrived.size;
  }

  _clear(s: Suspension): void {
    if (this.#consumer === s) this.#consumer = null;
    if (this.#pumpWait === s) this.#pumpWait = null;
  }

  #wakeConsumer(): void {
    const s = this.#consumer;
    this.#consumer = null;
    if (s !== null) wake(s, undefined);
  }

  #wakePump(): void {
    const s = this.#pumpWait;
    this.#pumpWait = null;
    if (s !== null) wake(s, undefined);
  }

  #start(): Nursery {
    const workers = (this.#workers = new Nursery({ onEnd: this.#helperEnded }));
    if (this.#limit === Infinity) {
      this.#source = this.#items[Symbol.asyncIterator]();
      this.#pumpTask = workers.spawn(() => this.#pump());
      return workers;
    }
    this.#plain = this.#plainItems?.[Symbol.iterator]() ?? null;
    if (this.#plain === null) this.#source = this.#items[Symbol.asyncIterator]();
    this.#started = 1;
    workers.spawn(this.#newWorker);
    return workers;
  }

  // A worker: take a slot, pull an item, run fn on it, keep the result; again.
  async #work(): Promise<void> {
    let first = true;
    try {
      for (;;) {
        while (this.#running + this.#ready >= this.#limit && !this.#closing) {
          await this.#slots.park('map: waiting for a free slot');
        }
        if (this.#closing || this.#sourceDone) return;
        this.#running++;
        const next = this.#plain !== null ? this.#pullPlain() : await this.#pullTurn();
        if (next === null) {
          this.#running--;
          this.#wakeConsumer();
          return;
        }
        const index = this.#pulled++;
        // The next worker starts once this one has its first item (see #started).
        if (first) {
          first = false;
          if (this.#started < this.#limit) {
            this.#started++;
            (this.#workers as Nursery).spawn(this.#newWorker);
          }
        }
        let value: Awaited<R>;
        try {
          value = await this.#fn(next.value, index);
        } catch (error) {
          this.#running--;
          this.#fail(error);
          return;
        }
        this.#running--;
        this.#keep(index, value);
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  // The next item of a plain source, or null at its end (or once closing).
  #pullPlain(): { value: T } | null {
    throwIfCancelled();
    const next = (this.#plain as Iterator<T>).next();
    if (next.done === true) {
      this.#sourceDone = true;
      this.#slots.wakeAll(undefined);
      return null;
    }
    return next;
  }

  // The next item of an async source, one worker at a time; null at its end or
  // once closing (an item pulled while closing is dropped with the source).
  async #pullTurn(): Promise<{ value: T } | null> {
    const held = await this.#turn.acquire();
    try {
      if (this.#isClosing() || this.#sourceDone) return null;
      const next = await (this.#source as AsyncIterator<T>).next();
      if (next.done === true) {
        this.#sourceDone = true;
        this.#slots.wakeAll(undefined);
        return null;
      }
      // A copy: the worker reads it after the turn has passed to another, and a
      // source may reuse its result object (or give one with a `then`).
      return this.#isClosing() ? null : { value: next.value };
    } finally {
      held.release();
    }
  }

  // A result the consumer waits for is handed to it directly: it never counts as
  // ready, so the worker that made it goes on to its next item instead of
  // parking until the consumer has taken it (one park and wake fewer per item).
  // A consumer cancelled before it resumes closes the map, which drops the value
  // as it would drop a ready one.
  #keep(index: number, value: Awaited<R>): void {
    const s = this.#consumer;
    if (s !== null && (!this.#ordered || index === this.#nextOut)) {
      this.#handed = value;
      if (wake(s, HANDED)) {
        this.#consumer = null;
        if (this.#ordered) this.#nextOut++;
        return;
      }
      this.#handed = undefined;
    }
    if (this.#ordered) this.#byIndex.set(index, value);
    else this.#arrived.push(value);
    this.#wakeConsumer();
  }

  async #pump(): Promise<void> {
    const source = this.#source as AsyncIterator<T>;
    try {
      for (;;) {
        while (this.#running + this.#ready >= this.#limit && !this.#closing) {
          const s = suspend<undefined>('map: waiting for a free slot', this, CLEAR_ON_ABORT);
          this.#pumpWait = s;
          await s.promise;
          resumed(s);
        }
        if (this.#closing) return;
        const next = await source.next();
        // Closed while the source was being pulled: the item is dropped with the source.
        if (next.done === true || this.#isClosing()) {
          this.#sourceDone = next.done === true;
          this.#wakeConsumer();
          return;
        }
        const index = this.#pulled++;
        this.#running++;
        (this.#workers as Nursery).spawn(() => this.#call(next.value, index));
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  async #call(item: T, index: number): Promise<void> {
    let value: Awaited<R>;
    try {
      value = await this.#fn(item, index);
    } catch (error) {
      this.#running--;
      this.#fail(error);
      return;
    }
    this.#running--;
    this.#keep(index, value);
  }

  // Every helper's end. One that ended cancelled never ran its body (see the
  // invariants): a call never ran, so its slot is given back; and the
  // cancellation ends the pipeline, as the body's catch would have.
  readonly #helperEnded = (task: Task): void => {
    if (!task.cancelled()) return;
    if (this.#limit === Infinity && task !== this.#pumpTask) this.#running--;
    this.#fail(taskError(task));
  };

  // A call or the source failed: stop everything; the consumer throws once all ended.
  #fail(error: unknown): void {
    if (!this.#cancelledHere(error) && !this.#errors.includes(error)) this.#errors.push(error);
    this.#abort();
    this.#wakeConsumer();
  }

  #isClosing(): boolean {
    return this.#closing;
  }

  // A call or the pump cancelled because the map is closing, or because the
  // code it runs under was cancelled (a map stacked behind another operator runs
  // under that operator's pump): not a failure to report. Only a cancellation
  // nobody here asked for is one.
  #cancelledHere(error: unknown): boolean {
    return isCancellation(error) && (this.#closing || this.#workers?.cancelReason != null);
  }

  #abort(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#wakePump();
    this.#slots.wakeAll(undefined);
    this.#workers?.cancel('map(): the pipeline was closed');
  }

  // Not async (docs/design.md, "One way to wait"): a result that is ready is
  // handed over at once, and a wait for one ends in one shared reaction.
  next(): Promise<IteratorResult<Awaited<R>, undefined>> {
    if (this.#closed) return DONE;
    if (this.#workers === null) this.#start();
    try {
      throwIfCancelled();
      return this.#step();
    } catch (error) {
      return this.#closeThrowing(error);
    }
  }

  // One step of next(): the next result, the end, or a wait for either.
  #step(): Promise<IteratorResult<Awaited<R>, undefined>> {
    if (this.#errors.length > 0) return this.#closeDone();
    const value = this.#take();
    if (value !== NONE) return Promise.resolve({ done: false, value });
    if (this.#sourceDone && this.#running === 0) return this.#closeDone();
    const s = suspend<undefined>('map: waiting for a result', this, CLEAR_ON_ABORT);
    this.#consumer = s;
    // Not parkThen: a consumer cancelled while it waits must close the map (cancel
    // and await the calls) before its CancelledError reaches it.
    return s.promise.then(ConcurrentMap.#resume, this.#abortedWait) as Promise<
      IteratorResult<Awaited<R>, undefined>
    >;
  }

  readonly #abortedWait = (error: unknown): Promise<never> => this.#closeThrowing(error);

  // A waiting next() was woken: a result is usually ready now.
  static #resume(woken: unknown): unknown {
    const s = woken as Suspension;
    const map = s.owner as ConcurrentMap<unknown, unknown>;
    const handed = s.value === HANDED ? map.#handed : NONE;
    map.#handed = undefined;
    try {
      resumed(s);
    } catch (error) {
      return map.#closeThrowing(error);
    }
    // After a failure the pipeline ends without the results still in hand.
    if (handed !== NONE && map.#errors.length === 0) return { done: false, value: handed };
    return map.#step();
  }

  async #closeDone(): Promise<IteratorResult<Awaited<R>, undefined>> {
    await this.#close();
    return { done: true, value: undefined };
  }

  async #closeThrowing(error: unknown): Promise<never> {
    await this.#close();
    throw error;
  }

  #take(): Awaited<R> | typeof NONE {
    let value: Awaited<R> | typeof NONE = NONE;
    if (this.#ordered) {
      if (this.#byIndex.has(this.#nextOut)) {
        value = this.#byIndex.get(this.#nextOut) as Awaited<R>;
        this.#byIndex.delete(this.#nextOut++);
      }
    } else if (this.#arrived.size > 0) {
      value = this.#arrived.shift();
    }
    if (value !== NONE) {
      this.#wakePump();
      this.#slots.wakeOne(undefined);
    }
    return value;
  }

  async return(): Promise<IteratorResult<Awaited<R>, undefined>> {
    await this.#close();
    return { done: true, value: undefined };
  }

  // Cancels the pump and the running calls, waits until they have ended (not a
  // cancellation point: a cancelled consumer still waits), closes the source, and
  // throws the errors that ended the pipeline.
  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const workers = this.#workers;
    if (workers === null) return;
    this.#abort();
    await workers.join('map: waiting for running calls');
    workers.exit();
    if (!this.#sourceDone) {
      this.#plain?.return?.();
      await this.#source?.return?.();
    }
    throwCollected(this.#errors, 'map(): several calls failed');
  }
}

const NONE: unique symbol = Symbol('none');
// The consumer's wake value when a result was handed to it (ConcurrentMap's #handed).
const HANDED: unique symbol = Symbol('handed');
const DONE: Promise<IteratorResult<never, undefined>> = Promise.resolve({
  done: true,
  value: undefined,
});
