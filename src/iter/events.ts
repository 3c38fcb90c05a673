/**
 * `fromEvent(target, name, options)`: the events of an `EventEmitter` or an
 * `EventTarget` as an async iterable. Listeners are attached when iteration
 * begins and removed when it ends, by any path (`break`, an error, a `close`
 * event, cancellation). Events that arrive faster than they are consumed are
 * buffered, up to `limit`: past it, the iteration fails with a `RangeError`
 * rather than growing memory without bound.
 *
 * From an emitter each item is the listener's first argument; from an
 * `EventTarget`, the `Event`.
 *
 * @example
 * ```ts
 * import { EventEmitter } from 'node:events';
 * import { run, sleep } from 'corio';
 * import { fromEvent } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const feed = new EventEmitter();
 *   setTimeout(() => {
 *     feed.emit('price', 101);
 *     feed.emit('price', 102);
 *     feed.emit('end');
 *   });
 *   for await (const price of fromEvent<number>(feed, 'price', { close: 'end' })) console.log(price);
 *   console.log('listeners left:', feed.listenerCount('price') + feed.listenerCount('end'));
 *   await sleep(1);
 * }, { clock: new VirtualClock() });
 * // => 101
 * // => 102
 * // => listeners left: 0
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import {
  checkOptions,
  checkSize,
  checkString,
  describe,
  optionNames,
} from '../_internal/validate.js';
import {
  CLEAR_ON_ABORT,
  type Suspension,
  resumed,
  suspend,
  throwIfCancelled,
  wake,
} from '../core/lowlevel.js';

/** Node's `EventEmitter` shape. */
export interface EmitterLike {
  on(name: string | symbol, listener: (...args: unknown[]) => void): unknown;
  off(name: string | symbol, listener: (...args: unknown[]) => void): unknown;
}

export interface FromEventOptions {
  /** An event that ends the iteration. */
  readonly close?: string;
  /** An event whose first argument is thrown from the iteration; default `'error'` for emitters. */
  readonly error?: string;
  /** The most events buffered before the iteration fails; default `Infinity`. */
  readonly limit?: number;
}

type Subscribe = (name: string, listener: (...args: unknown[]) => void) => () => void;

function subscriberOf(target: unknown): Subscribe | null {
  if (target === null || typeof target !== 'object') return null;
  const t = target as Partial<EmitterLike & EventTarget>;
  if (typeof t.on === 'function' && typeof t.off === 'function') {
    return (name, listener) => {
      (t as EmitterLike).on(name, listener);
      return () => (t as EmitterLike).off(name, listener);
    };
  }
  if (typeof t.addEventListener === 'function' && typeof t.removeEventListener === 'function') {
    return (name, listener) => {
      (t as EventTarget).addEventListener(name, listener);
      return () => {
        (t as EventTarget).removeEventListener(name, listener);
      };
    };
  }
  return null;
}

class EventIterator<T> implements AsyncIterableIterator<T> {
  readonly #buffer = new Deque<T>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #limit: number;
  #ended = false;
  #failure: { error: unknown } | null = null;
  #waiter: Suspension | null = null;

  constructor(subscribe: Subscribe, name: string, options: FromEventOptions, emitter: boolean) {
    this.#limit = options.limit ?? Infinity;
    this.#unsubscribe.push(
      subscribe(name, (value) => {
        if (this.#buffer.size >= this.#limit) {
          this.#fail(
            new RangeError(
              `fromEvent(): more than ${this.#limit} '${name}' events were waiting to be consumed`,
            ),
          );
        } else {
          this.#buffer.push(value as T);
          this.#wake();
        }
      }),
    );
    if (options.close !== undefined) {
      this.#unsubscribe.push(
        subscribe(options.close, () => {
          this.#ended = true;
          this.#detach();
          this.#wake();
        }),
      );
    }
    const errorName = options.error ?? (emitter ? 'error' : undefined);
    if (errorName !== undefined)
      this.#unsubscribe.push(
        subscribe(errorName, (error) => {
          this.#fail(error);
        }),
      );
  }

  _clear(s: Suspension): void {
    if (this.#waiter === s) this.#waiter = null;
  }

  #wake(): void {
    const s = this.#waiter;
    this.#waiter = null;
    if (s !== null) wake(s, undefined);
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#detach();
    this.#wake();
  }

  #detach(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    try {
      for (;;) {
        throwIfCancelled();
        if (this.#buffer.size > 0) return { done: false, value: this.#buffer.shift() };
        if (this.#failure !== null) throw this.#failure.error;
        if (this.#ended) return { done: true, value: undefined };
        const s = suspend<undefined>('fromEvent: waiting for an event', this, CLEAR_ON_ABORT);
        this.#waiter = s;
        await s.promise;
        resumed(s);
      }
    } catch (error) {
      this.#end();
      throw error;
    }
  }

  #end(): void {
    this.#ended = true;
    this.#detach();
    this.#buffer.clear();
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#end();
    return Promise.resolve({ done: true, value: undefined });
  }
}

const FROM_EVENT_OPTIONS = optionNames<FromEventOptions>({ close: true, error: true, limit: true });

/**
 * The `name` events of `target` (an `EventEmitter` or an `EventTarget`).
 *
 * **Cancellation:** each step is a cancellation point; the listeners are removed
 * when the iteration ends, however it ends.
 *
 * @throws {TypeError} if `target` has neither `on`/`off` nor `addEventListener`.
 */
export function fromEvent<T = unknown>(
  target: EmitterLike | EventTarget,
  name: string,
  options?: FromEventOptions,
): AsyncIterable<T> {
  const subscribe = subscriberOf(target);
  if (subscribe === null) {
    throw new TypeError(
      `fromEvent(): \`target\` must be an EventEmitter or an EventTarget, got ${describe(target)}`,
    );
  }
  checkString('fromEvent()', 'name', name, true);
  checkOptions('fromEvent()', 'options', options, FROM_EVENT_OPTIONS);
  checkString('fromEvent()', 'options.close', options?.close);
  checkString('fromEvent()', 'options.error', options?.error);
  if (options?.limit !== undefined) checkSize('fromEvent()', 'options.limit', options.limit, 1);
  const emitter = typeof (target as Partial<EmitterLike>).on === 'function';
  return {
    [Symbol.asyncIterator]: () => new EventIterator<T>(subscribe, name, options ?? {}, emitter),
  };
}
