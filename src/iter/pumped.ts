/**
 * The structured machinery behind the operators that pull ahead of their consumer
 * (`merge`, `buffer`): *pump* tasks, children of a private cancel node under the
 * consumer's, pull from sources and hand items over; the consumer's `next()`
 * takes them. Closing — by `return()`, a failing pump, or the consumer's
 * cancellation — cancels the pumps, waits for them (not a cancellation point),
 * closes the sources, and throws the error that ended it.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { buffer, pipe, range } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   // The slow consumer does not slow the source: 3 items are fetched ahead.
 *   for await (const n of pipe(range(0, 3, { interval: 10 }), buffer(3))) {
 *     await sleep(30);
 *     console.log(n);
 *   }
 * }, { clock: new VirtualClock() });
 * // => 0
 * // => 1
 * // => 2
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import {
  CLEAR_ON_ABORT,
  type Suspension,
  resumed,
  suspend,
  throwIfCancelled,
  wake,
} from '../core/lowlevel.js';
import { isCancellation, throwCollected } from '../errors.js';
import { Nursery, taskError, taskFailed } from '../core/lowlevel.js';
import type { Task } from '../core/task.js';

/**
 * Invariants:
 * - A pump pulls only while fewer than `limit` items wait for the consumer.
 * - Once closing, no pump pulls again and no item is handed over.
 */
/** `flatMap`'s expansion: each outer item becomes an inner source, `concurrency` at a time. */
export interface Expansion<T> {
  readonly expand: (item: unknown, index: number) => AsyncIterable<T>;
  readonly concurrency: number;
}

export class Pumped<T> implements AsyncIterableIterator<T> {
  readonly #sources: AsyncIterable<T>[];
  readonly #limit: number;
  readonly #name: string;
  readonly #expansion: Expansion<T> | null;
  #inner = 0;
  #innerWait: Suspension | null = null;
  readonly #iterators: AsyncIterator<T>[] = [];
  readonly #exhausted = new Set<AsyncIterator<T>>();
  // Created at the first next(), under the consumer's node.
  #workers: Nursery | null = null;
  readonly #ready = new Deque<T>();
  #pumpsLeft = 0;
  #closing = false;
  #closed = false;
  readonly #errors: unknown[] = [];
  #consumer: Suspension | null = null;
  readonly #pumpWaits = new Set<Suspension>();

  /**
   * One pump per source; at most `limit` items wait for the consumer. With an
   * expansion, the one source yields outer items, each expanded into an inner
   * source pumped by a task of its own.
   */
  constructor(
    name: string,
    sources: AsyncIterable<T>[],
    limit: number,
    expansion: Expansion<T> | null = null,
  ) {
    this.#name = name;
    this.#sources = sources;
    this.#limit = limit;
    this.#expansion = expansion;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** @internal */
  _clear(s: Suspension): void {
    if (this.#consumer === s) this.#consumer = null;
    if (this.#innerWait === s) this.#innerWait = null;
    this.#pumpWaits.delete(s);
  }

  #wakeConsumer(): void {
    const s = this.#consumer;
    this.#consumer = null;
    if (s !== null) wake(s, undefined);
  }

  #wakePumps(): void {
    const waits = [...this.#pumpWaits];
    this.#pumpWaits.clear();
    for (const s of waits) wake(s, undefined);
    if (this.#closing && this.#innerWait !== null) {
      const s = this.#innerWait;
      this.#innerWait = null;
      wake(s, undefined);
    }
  }

  #start(): void {
    this.#workers = new Nursery({ onEnd: this.#pumpEnded });
    for (const source of this.#sources) {
      this.#spawnPump(
        source,
        this.#expansion === null ? (it) => this.#pump(it) : (it) => this.#expand(it),
      );
    }
  }

  #spawnPump(
    source: AsyncIterable<T>,
    body: (it: AsyncIterator<T>) => Promise<void>,
    onEnd?: () => void,
  ): void {
    const it = source[Symbol.asyncIterator]();
    this.#iterators.push(it);
    this.#pumpsLeft++;
    (this.#workers as Nursery).spawn(
      () => body(it),
      onEnd === undefined
        ? undefined
        : {
            onEnd: (task) => {
              this.#pumpEnded(task);
              onEnd();
            },
          },
    );
  }

  // A pump's end, wherever it ended: its body's error, or a cancellation before
  // its body ran (a task cancelled before it starts never runs its function, so
  // this bookkeeping cannot live in the body: explore finding, #13).
  readonly #pumpEnded = (task: Task): void => {
    if (task.cancelled() || taskFailed(task)) {
      const error = taskError(task);
      // Cancelled because the operator is closing, or because the code it runs
      // under was (stacked behind another operator, it runs under that one's
      // pump): not a failure (#11: break out of buffer(1) after buffer(1) threw
      // the inner pump's CancelledError at the consumer).
      const cancelled =
        isCancellation(error) && (this.#isClosing() || this.#workers?.cancelReason != null);
      if (!cancelled && !this.#errors.includes(error)) this.#errors.push(error);
      this.#abort();
    }
    this.#pumpsLeft--;
    this.#wakeConsumer();
  };

  // The outer pump of a flatMap: starts an inner pump per item, `concurrency` at a time.
  async #expand(it: AsyncIterator<T>): Promise<void> {
    const { expand, concurrency } = this.#expansion as Expansion<T>;
    for (let index = 0; ; index++) {
      const next = await this.#pullWhen(
        it,
        () => this.#inner >= concurrency,
        'waiting for an inner source to end',
        (s) => {
          this.#innerWait = s;
        },
      );
      if (next === null) return;
      const inner = expand(next.value, index);
      this.#inner++;
      this.#spawnPump(
        inner,
        (innerIt) => this.#pump(innerIt),
        () => {
          this.#inner--;
          const s = this.#innerWait;
          this.#innerWait = null;
          if (s !== null) wake(s, undefined);
        },
      );
    }
  }

  #isClosing(): boolean {
    return this.#closing;
  }

  // Waits while `busy()` (parked, registered by `remember` so a wake-up finds it),
  // then pulls the next item. Null once the source is done or the operator closes.
  async #pullWhen(
    it: AsyncIterator<unknown>,
    busy: () => boolean,
    waiting: string,
    remember: (s: Suspension) => void,
  ): Promise<{ value: unknown } | null> {
    while (busy() && !this.#isClosing()) {
      const s = suspend<undefined>(`${this.#name}: ${waiting}`, this, CLEAR_ON_ABORT);
      remember(s);
      await s.promise;
      resumed(s);
    }
    if (this.#isClosing()) return null;
    const next = await it.next();
    if (next.done === true) {
      this.#exhausted.add(it as AsyncIterator<T>);
      return null;
    }
    return this.#isClosing() ? null : { value: next.value };
  }

  async #pump(it: AsyncIterator<T>): Promise<void> {
    for (;;) {
      const next = await this.#pullWhen(
        it,
        () => this.#ready.size >= this.#limit,
        'waiting for the consumer',
        (s) => {
          this.#pumpWaits.add(s);
        },
      );
      if (next === null) return;
      this.#ready.push(next.value as T);
      this.#wakeConsumer();
    }
  }

  #abort(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#wakePumps();
    this.#workers?.cancel(`${this.#name}: the pipeline was closed`);
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.#closed) return { done: true, value: undefined };
    if (this.#workers === null) this.#start();
    try {
      for (;;) {
        throwIfCancelled();
        if (this.#errors.length > 0) break;
        if (this.#ready.size > 0) {
          const value = this.#ready.shift();
          this.#wakePumps();
          return { done: false, value };
        }
        if (this.#pumpsLeft === 0) break;
        const s = suspend<undefined>(`${this.#name}: waiting for an item`, this, CLEAR_ON_ABORT);
        this.#consumer = s;
        await s.promise;
        resumed(s);
      }
    } catch (error) {
      await this.#close();
      throw error;
    }
    await this.#close();
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    await this.#close();
    return { done: true, value: undefined };
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const workers = this.#workers;
    if (workers === null) return;
    this.#abort();
    await workers.join(`${this.#name}: waiting for its pumps`);
    workers.exit();
    for (const it of this.#iterators) {
      if (this.#exhausted.has(it)) continue;
      try {
        await it.return?.();
      } catch (error) {
        this.#errors.push(error);
      }
    }
    throwCollected(this.#errors, `${this.#name}: several sources failed`);
  }
}
