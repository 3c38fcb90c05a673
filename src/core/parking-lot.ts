/**
 * `ParkingLot`: a FIFO of parked tasks, the one place corio implements "sleep
 * until woken, unless cancelled first" for its synchronisation primitives, and
 * the piece a third-party primitive builds on (`corio/lowlevel`). It plays the
 * role of Trio's `ParkingLot` and of asyncio's deque of futures with its
 * `if not fut.done()` checks, written once and tested once.
 *
 * Invariants:
 * - A waiter is in the list iff it is PARKED.
 * - `wakeOne()` unlinks a waiter before waking it, so a waiter is woken at most once.
 * - A PARKED waiter whose task is cancelled is unlinked synchronously by its abort
 *   hook: no lost wake-up, no listener left behind.
 * - A waiter that was WOKEN but whose task is cancelled before it resumed still owns
 *   what it was handed (a lock, a permit, an item): `park()` gives it back through
 *   the `onUnclaimed` hook before throwing. This is the contract's "a waiter cancelled at
 *   the moment it is woken passes the wake-up on". A `committed` list has no such
 *   step: its wake-up completed the operation (a sender whose value was taken), so
 *   the waiter returns and its cancellation comes at its next checkpoint.
 *
 * Each waiter may carry a ticket (`park(…, ticket)`): what it waits to hand over,
 * readable by the waker through `peek()` before it wakes the waiter.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from 'corio';
 * import { ParkingLot } from 'corio/lowlevel';
 * import { VirtualClock } from 'corio/testing';
 *
 * // A gate that lets its waiters through one at a time, each with a ticket number.
 * const lot = new ParkingLot<number>();
 * await run(() => taskGroup((tg) => {
 *   for (const name of ['a', 'b']) {
 *     tg.spawn(async () => console.log(name, 'got ticket', await lot.park('gate')));
 *   }
 *   tg.spawn(async () => {
 *     await sleep(10);
 *     console.log('waiting:', lot.size);
 *     lot.wakeOne(1);
 *     lot.wakeOne(2);
 *   });
 * }), { clock: new VirtualClock() });
 * // => waiting: 2
 * // => a got ticket 1
 * // => b got ticket 2
 * ```
 * @module
 */
import { checkBoolean, checkFunction, checkOptions, optionNames } from '../_internal/validate.js';
import { type Suspension, type WaitKind, fail, park, suspend, wake } from './suspend.js';

const abortWaiter = (s: Suspension): boolean => {
  (s.owner as ParkingLot<unknown>)._unlink(s);
  return true;
};

// A task, named through Suspension so this layer needs no import of core/task.
type Holder = NonNullable<Suspension['task']>;

const holdersOf = (s: Suspension): readonly Holder[] =>
  (s.owner as ParkingLot<unknown>)._holders?.() ?? [];

const WAITER: WaitKind = {
  abort: abortWaiter,
  unclaimed(s) {
    (s.owner as ParkingLot<unknown>)._onUnclaimed?.(s.value, s.ticket);
  },
  waitingOn: holdersOf,
};

const COMMITTED_WAITER: WaitKind = { abort: abortWaiter, committed: true, waitingOn: holdersOf };

/** The `host` of the list a waiter was parked in (see ParkingLotOptions). */
export function hostOf(s: Suspension): unknown {
  return (s.owner as ParkingLot<unknown>)._host;
}

export interface ParkingLotOptions<T> {
  /**
   * Hands on what a woken waiter was given but could not claim (its task was
   * cancelled): the value it was woken with, and its own ticket.
   */
  readonly onUnclaimed?: (value: T, ticket: unknown) => void;
  /** The wake-up completes the waiter's operation; see the module doc. */
  readonly committed?: boolean;
  /** The tasks holding the primitive (a lock's holder), for task trees and deadlock reports. */
  readonly holders?: () => readonly Holder[];
  /**
   * The primitive the list belongs to, for a reaction shared by all its waits:
   * `hostOf(s)` finds it from a woken waiter without a closure per wait.
   */
  readonly host?: unknown;
}

const LOT_OPTIONS = optionNames<ParkingLotOptions<unknown>>({
  onUnclaimed: true,
  committed: true,
  holders: true,
  host: true,
});

export class ParkingLot<T = undefined> {
  #head: Suspension | null = null;
  #tail: Suspension | null = null;
  #size = 0;
  readonly #kind: WaitKind;
  /** @internal */
  readonly _onUnclaimed: ((value: unknown, ticket: unknown) => void) | null;
  /** @internal */
  readonly _holders: (() => readonly Holder[]) | null;
  /** @internal */
  readonly _host: unknown;

  constructor(options: ParkingLotOptions<T> = {}) {
    checkOptions('new ParkingLot()', 'options', options, LOT_OPTIONS);
    if (options.onUnclaimed !== undefined) {
      checkFunction('new ParkingLot()', 'options.onUnclaimed', options.onUnclaimed);
    }
    checkBoolean('new ParkingLot()', 'options.committed', options.committed);
    if (options.holders !== undefined) {
      checkFunction('new ParkingLot()', 'options.holders', options.holders);
    }
    this._onUnclaimed =
      (options.onUnclaimed as ((value: unknown, ticket: unknown) => void) | undefined) ?? null;
    this.#kind = options.committed === true ? COMMITTED_WAITER : WAITER;
    this._holders = options.holders ?? null;
    this._host = options.host;
  }

  /** How many tasks are parked. */
  get size(): number {
    return this.#size;
  }

  /**
   * Parks the calling task until `wakeOne()`/`wakeAll()` picks it; resolves with the
   * value it was woken with.
   *
   * **Cancellation:** always a cancellation point. A waiter cancelled while parked
   * is unlinked at once and takes nothing. One cancelled after it was woken but
   * before it resumed throws, and the lot's `onUnclaimed` hook hands on what it was
   * given; with `committed`, it returns the value instead and meets its
   * cancellation at its next checkpoint.
   */
  park(description: string, signal?: AbortSignal | null, ticket?: unknown): Promise<T> {
    return park(this.enqueue(description, signal, ticket));
  }

  /**
   * Parks the calling task and returns its Suspension, for a waiting method that
   * finishes the wait itself: its own reaction on `s.promise` calls `resumed(s)`
   * and builds the result (a lock's guard) with no extra promise in between.
   */
  enqueue(description: string, signal?: AbortSignal | null, ticket?: unknown): Suspension<T> {
    // suspend() throws before anything is linked if the task is already cancelled,
    // so only a task that really goes to sleep is ever in the list.
    const s = suspend<T>(description, this, this.#kind, signal, ticket);
    s.prev = this.#tail;
    if (this.#tail === null) this.#head = s;
    else this.#tail.next = s;
    this.#tail = s;
    this.#size++;
    return s;
  }

  /** The ticket of the longest-waiting task, or `undefined` when nobody waits. */
  peek(): unknown {
    return this.#head?.ticket;
  }

  /** Wakes the longest-waiting task with `value`. Returns false when nobody waits. */
  wakeOne(value: T): boolean {
    const s = this.#head;
    if (s === null) return false;
    this._unlink(s);
    wake(s, value);
    return true;
  }

  /** Wakes every parked task with `value`; returns how many. */
  wakeAll(value: T): number {
    let n = 0;
    while (this.wakeOne(value)) n++;
    return n;
  }

  /** Fails every parked task with `error` (a shutdown); returns how many. */
  failAll(error: (ticket: unknown) => unknown): number {
    let n = 0;
    for (let s = this.#head; s !== null; s = this.#head) {
      this._unlink(s);
      // On the rejection path resumed() is not reached: the waiter sees `error`.
      fail(s, error(s.ticket));
      n++;
    }
    return n;
  }

  /** Fails the parked tasks whose ticket `match` accepts; returns how many. */
  failWhere(match: (ticket: unknown) => boolean, error: (ticket: unknown) => unknown): number {
    let n = 0;
    for (let s = this.#head; s !== null; ) {
      const next = s.next;
      if (match(s.ticket)) {
        this._unlink(s);
        fail(s, error(s.ticket));
        n++;
      }
      s = next;
    }
    return n;
  }

  /** @internal */
  _unlink(s: Suspension): void {
    if (s.prev === null) this.#head = s.next;
    else s.prev.next = s.next;
    if (s.next === null) this.#tail = s.prev;
    else s.next.prev = s.prev;
    s.prev = s.next = null;
    this.#size--;
  }
}
