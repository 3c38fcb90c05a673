/**
 * Queues for tasks (asyncio's `Queue`, `PriorityQueue`, `LifoQueue`, with 3.13's
 * `shutdown`): `put` waits while the queue is full, `get` while it is empty;
 * `taskDone()`/`join()` track when every item has been processed.
 *
 * Nothing is lost and nobody barges in: an item put while getters wait goes
 * straight to the first getter, and a slot freed while putters wait is reserved
 * for the first putter. An item handed to a getter keeps its slot until the
 * getter resumes (asyncio keeps it in the queue until then), so the queue never
 * holds more than `maxsize`: a getter cancelled as an item is handed to it gives
 * the item back to the head of the queue (dropped, if `shutdown({ immediate })`
 * came meanwhile); a putter cancelled as a slot is reserved for it passes the
 * slot on, and its item is not put.
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const queue = new Queue<number>(2);
 *   await taskGroup((tg) => {
 *     tg.spawn(async () => {
 *       for (let i = 1; i <= 3; i++) await queue.put(i);
 *       queue.shutdown();
 *     });
 *     tg.spawn(async () => {
 *       for await (const item of queue) {
 *         await sleep(10);
 *         console.log('got', item, String(queue));
 *       }
 *     });
 *   });
 * }, { clock: new VirtualClock() });
 * // => got 1 Queue<size=2/2 shutdown>
 * // => got 2 Queue<size=1/2 shutdown>
 * // => got 3 Queue<size=0/2 shutdown>
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkBoolean,
  checkOptions,
  checkSignalOptions,
  checkSize,
  optionNames,
} from '../_internal/validate.js';
import { ParkingLot, hostOf } from '../core/parking-lot.js';
import {
  parkThen,
  rejected,
  RESOLVED,
  resumed,
  type SignalOptions,
  type Suspension,
  throwIfCancelled,
} from '../core/suspend.js';
import { InvalidStateError } from '../errors.js';
import { Event } from '../sync/event.js';

/** `getNowait()` on an empty queue (asyncio's `QueueEmpty`). */
export class QueueEmpty extends Error {
  static {
    this.prototype.name = 'QueueEmpty';
  }
}

/** `putNowait()` on a full queue (asyncio's `QueueFull`). */
export class QueueFull extends Error {
  static {
    this.prototype.name = 'QueueFull';
  }
}

/** A put, or a get from an empty queue, after `shutdown()` (asyncio 3.13's `QueueShutDown`). */
export class QueueShutDown extends Error {
  static {
    this.prototype.name = 'QueueShutDown';
  }
}

export interface QueueStatistics {
  readonly size: number;
  /** 0 or `Infinity`: unbounded. */
  readonly maxsize: number;
  readonly gettersWaiting: number;
  readonly puttersWaiting: number;
  /** Getters and putters together. */
  readonly tasksWaiting: number;
  /** Items put and not yet marked done with `taskDone()`. */
  readonly unfinishedTasks: number;
  readonly shutdown: boolean;
}

export interface ShutdownOptions {
  /** Also drop the items still queued (and count them done), so gets fail at once. */
  readonly immediate?: boolean;
}

const SHUTDOWN_OPTIONS = optionNames<ShutdownOptions>({ immediate: true });

export class Queue<T> implements AsyncIterable<T> {
  /** The most items the queue holds; 0 (or `Infinity`) for no limit. */
  readonly maxsize: number;
  readonly #limit: number;
  // What a waiting put or get awaits, for task trees: built once per queue.
  readonly #putWait: string;
  readonly #getWait: string;
  #items: Deque<T> | null = null;
  // Getters are woken with the item itself (a hand-off): they wait only while the
  // queue is empty, so an item put then never enters the queue.
  #getters: ParkingLot<T> | null = null;
  // Items handed to getters that have not resumed yet. They still take a slot
  // (asyncio keeps them in the queue until the getter runs): a getter cancelled
  // before it resumes gives its item back, and there must be room for it (#11:
  // qsize() went past maxsize). Invariant: size + #reserved + #handed <= limit.
  #handed = 0;
  // shutdown({ immediate: true }) was called: an item a cancelled getter gives
  // back is dropped, as the queued items were (asyncio 3.13).
  #dropping = false;
  // Putters carry their item as ticket and are woken with a reserved slot; they put
  // the item when they resume.
  #putters: ParkingLot | null = null;
  #reserved = 0;
  #unfinished = 0;
  #allDone: Event | null = null;
  #shutdown = false;

  /** @throws {RangeError} unless `maxsize` is an integer >= 0 or `Infinity`. */
  constructor(maxsize = 0) {
    this.maxsize = checkSize(`new ${new.target.name}()`, 'maxsize', maxsize);
    this.#limit = maxsize === 0 ? Infinity : maxsize;
    this.#putWait = `${new.target.name}.put`;
    this.#getWait = `${new.target.name}.get`;
  }

  // Options are checked only when given: the names in the messages are built
  // then, not on every put and get.
  #checkOptions(method: string, options: SignalOptions | undefined): void {
    if (options === undefined) return;
    checkSignalOptions(`${this.constructor.name}.${method}()`, options);
  }

  /** @internal Storage: the order items leave in. Subclasses override these four. */
  _store(item: T): void {
    (this.#items ??= new Deque()).push(item);
  }

  /** @internal */
  _take(): T {
    return (this.#items as Deque<T>).shift();
  }

  /** @internal Puts back an item a cancelled getter could not claim, first in line. */
  _storeFirst(item: T): void {
    (this.#items ??= new Deque()).unshift(item);
  }

  /** @internal */
  _count(): number {
    return this.#items?.size ?? 0;
  }

  /** @internal */
  _clear(): void {
    this.#items?.clear();
  }

  /** Items in the queue now. */
  qsize(): number {
    return this._count();
  }

  empty(): boolean {
    return this._count() === 0;
  }

  /** `true` when a `put()` would wait. */
  full(): boolean {
    return this._count() + this.#reserved + this.#handed >= this.#limit;
  }

  /**
   * Puts `item` at the end, waiting while the queue is full.
   *
   * **Cancellation:** always a cancellation point. A putter cancelled while waiting,
   * or at the moment a slot is reserved for it, has not put its item; the slot goes
   * to the next putter.
   *
   * @throws {QueueShutDown} if the queue is shut down, before or while waiting.
   */
  put(item: T, options?: SignalOptions): Promise<void> {
    // Not async (see sleep()): the fast path allocates no frame, the slow one
    // ends in one reaction.
    try {
      this.#checkOptions('put', options);
      throwIfCancelled(options?.signal);
      if (this.#shutdown) throw this.#shutDownError('put');
      if (!this.full() && (this.#putters?.size ?? 0) === 0) {
        this.#enqueue(item);
        return RESOLVED;
      }
      this.#putters ??= new ParkingLot({
        onUnclaimed: () => {
          this.#reserved--;
          this.#admitPutters();
        },
        host: this,
      });
      return parkThen(this.#putters.enqueue(this.#putWait, options?.signal, item), Queue.#admitted);
    } catch (error) {
      return rejected(error);
    }
  }

  // The reaction that ends every put that waited: the item rides as the ticket.
  static #admitted(s: unknown): void {
    resumed(s as Suspension);
    (hostOf(s as Suspension) as Queue<unknown>).#putAdmitted((s as Suspension).ticket);
  }

  #putAdmitted(item: T): void {
    this.#reserved--;
    // Shut down while this putter was waking up: its slot is void.
    if (this.#isShutDown()) throw this.#shutDownError('put');
    this.#enqueue(item);
    // The item may have gone straight to a getter, leaving the reserved slot free
    // for the next putter (without this, that putter would wait forever).
    this.#admitPutters();
  }

  /**
   * Puts `item` without waiting.
   *
   * @throws {QueueFull} if the queue is full (or putters are already waiting).
   * @throws {QueueShutDown} if the queue is shut down.
   */
  putNowait(item: T): void {
    if (this.#shutdown) throw this.#shutDownError('putNowait');
    if (this.full() || (this.#putters?.size ?? 0) > 0) {
      throw new QueueFull(
        `${this.constructor.name}.putNowait(): the queue is full (maxsize ${this.maxsize})`,
      );
    }
    this.#enqueue(item);
  }

  #enqueue(item: T): void {
    if (this.#unfinished++ === 0) this.#allDone?.clear();
    if (this.#getters?.wakeOne(item) === true) this.#handed++;
    else this._store(item);
  }

  /**
   * Removes and returns the first item, waiting while the queue is empty.
   *
   * **Cancellation:** always a cancellation point. A getter cancelled while waiting
   * takes nothing; one cancelled as an item is handed to it puts the item back at
   * the head of the queue (or hands it to the next getter).
   *
   * @throws {QueueShutDown} if the queue is shut down and empty.
   */
  get(options?: SignalOptions): Promise<T> {
    try {
      this.#checkOptions('get', options);
      throwIfCancelled(options?.signal);
      if (this._count() > 0) return Promise.resolve(this.#dequeue());
      if (this.#shutdown) throw this.#shutDownError('get');
      this.#getters ??= new ParkingLot<T>({
        onUnclaimed: (item) => {
          this.#giveBack(item);
        },
        host: this,
      });
      return parkThen(this.#getters.enqueue(this.#getWait, options?.signal), Queue.#claimed<T>);
    } catch (error) {
      return rejected(error);
    }
  }

  // The reaction that ends every get that waited: the getter claims its item, and
  // the slot it held is free.
  static #claimed<T>(s: Suspension<T>): T {
    resumed(s);
    const queue = hostOf(s) as Queue<T>;
    queue.#handed--;
    queue.#admitPutters();
    return s.value as T;
  }

  // A getter was cancelled as an item was handed to it: the item goes to the next
  // getter, else back to the head of the queue, unless an immediate shutdown has
  // dropped the queue's items meanwhile (then it is dropped too, and counted done).
  #giveBack(item: T): void {
    this.#handed--;
    if (this.#dropping) {
      if (--this.#unfinished === 0) this.#allDone?.set();
    } else if (this.#getters?.wakeOne(item) === true) {
      this.#handed++;
    } else {
      this._storeFirst(item);
    }
  }

  /**
   * Removes and returns the first item without waiting.
   *
   * @throws {QueueEmpty} if the queue is empty.
   * @throws {QueueShutDown} if the queue is shut down and empty.
   */
  getNowait(): T {
    if (this._count() > 0) return this.#dequeue();
    if (this.#shutdown) throw this.#shutDownError('getNowait');
    throw new QueueEmpty(`${this.constructor.name}.getNowait(): the queue is empty`);
  }

  #dequeue(): T {
    const item = this._take();
    this.#admitPutters();
    return item;
  }

  // Reserves freed slots for the first putters, in order, and wakes them.
  #admitPutters(): void {
    const putters = this.#putters;
    if (putters === null) return;
    while (putters.size > 0 && !this.full()) {
      this.#reserved++;
      putters.wakeOne(undefined);
    }
  }

  /**
   * Marks one item taken earlier as processed.
   *
   * @throws {InvalidStateError} if called more times than items were put.
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new InvalidStateError(
        `${this.constructor.name}.taskDone(): called more times than there were items`,
      );
    }
    if (--this.#unfinished === 0) this.#allDone?.set();
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   *
   * **Cancellation:** always a cancellation point; a cancelled joiner leaves nothing
   * behind.
   */
  async join(options?: SignalOptions): Promise<void> {
    this.#checkOptions('join', options);
    throwIfCancelled(options?.signal);
    if (this.#unfinished === 0) return;
    this.#allDone ??= new Event();
    await this.#allDone.wait(options);
  }

  /**
   * Shuts the queue down (asyncio 3.13): puts fail from now on, waiting putters
   * fail, and gets fail once the queue is empty (waiting getters at once). With
   * `immediate`, the items still queued are dropped and counted done.
   */
  shutdown(options?: ShutdownOptions): void {
    checkOptions(`${this.constructor.name}.shutdown()`, 'options', options, SHUTDOWN_OPTIONS);
    checkBoolean(`${this.constructor.name}.shutdown()`, 'options.immediate', options?.immediate);
    this.#shutdown = true;
    if (options?.immediate === true) {
      this.#dropping = true;
      const dropped = this._count();
      this._clear();
      this.#unfinished = Math.max(0, this.#unfinished - dropped);
      if (this.#unfinished === 0) this.#allDone?.set();
    }
    this.#putters?.failAll(() => this.#shutDownError('put'));
    this.#getters?.failAll(() => this.#shutDownError('get'));
  }

  // A method, not the field: the read after an await must not be narrowed away.
  #isShutDown(): boolean {
    return this.#shutdown;
  }

  #shutDownError(method: string): QueueShutDown {
    return new QueueShutDown(`${this.constructor.name}.${method}(): the queue is shut down`);
  }

  /** `for await (const item of queue)`: gets items until the queue is shut down and empty. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: async (): Promise<IteratorResult<T, undefined>> => {
        try {
          return { done: false, value: await this.get() };
        } catch (error) {
          if (error instanceof QueueShutDown) return { done: true, value: undefined };
          throw error;
        }
      },
    };
  }

  statistics(): QueueStatistics {
    const getters = this.#getters?.size ?? 0;
    const putters = this.#putters?.size ?? 0;
    return Object.freeze({
      size: this._count(),
      maxsize: this.maxsize,
      gettersWaiting: getters,
      puttersWaiting: putters,
      tasksWaiting: getters + putters,
      unfinishedTasks: this.#unfinished,
      shutdown: this.#shutdown,
    });
  }

  [inspectSymbol](): string {
    const words = [`size=${this._count()}${this.#limit === Infinity ? '' : `/${this.maxsize}`}`];
    if (this.#shutdown) words.push('shutdown');
    return show(this.constructor.name, words, {
      getters: this.#getters?.size,
      putters: this.#putters?.size,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}

/** A last-in, first-out queue (asyncio's `LifoQueue`). */
export class LifoQueue<T> extends Queue<T> {
  #stack: T[] = [];

  /** @internal */
  override _store(item: T): void {
    this.#stack.push(item);
  }

  /** @internal */
  override _take(): T {
    return this.#stack.pop() as T;
  }

  /** @internal */
  override _storeFirst(item: T): void {
    this.#stack.push(item);
  }

  /** @internal */
  override _count(): number {
    return this.#stack.length;
  }

  /** @internal */
  override _clear(): void {
    this.#stack = [];
  }
}
