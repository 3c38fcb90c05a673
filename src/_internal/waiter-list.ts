/**
 * A FIFO of parked tasks: the one place corio implements "sleep until woken,
 * unless cancelled first" for its synchronisation primitives. It plays the role
 * of Trio's ParkingLot and of asyncio's deque of futures with its
 * `if not fut.done()` checks, written once and tested once.
 *
 * Invariants:
 * - A waiter is in the list iff it is PARKED.
 * - `wakeOne()` unlinks a waiter before waking it, so a waiter is woken at most once.
 * - A PARKED waiter whose task is cancelled is unlinked synchronously by its abort
 *   hook: no lost wake-up, no listener left behind.
 * - A waiter that was WOKEN but whose task is cancelled before it resumed still owns
 *   what it was handed (a lock, a permit): `park()` gives it back through the
 *   `onUnclaimed` hook before throwing. This is DESIGN's "a waiter cancelled at the
 *   moment it is woken passes the wake-up on".
 *
 * This is the one module of `_internal` that builds on the kernel (`core/suspend`).
 * @module
 */
import { type Suspension, type WaitKind, park, suspend, wake } from '../core/suspend.js';

const WAITER: WaitKind = {
  abort(s) {
    (s.owner as WaiterList)._unlink(s);
    return true;
  },
  unclaimed(s) {
    (s.owner as WaiterList)._onUnclaimed?.(s.value);
  },
};

export class WaiterList<T = undefined> {
  #head: Suspension | null = null;
  #tail: Suspension | null = null;
  #size = 0;
  /** @internal Hands on what a waiter was woken with but could not claim. */
  readonly _onUnclaimed: ((value: unknown) => void) | null;

  constructor(onUnclaimed: ((value: T) => void) | null = null) {
    this._onUnclaimed = onUnclaimed as ((value: unknown) => void) | null;
  }

  /** How many tasks are parked. */
  get size(): number {
    return this.#size;
  }

  /**
   * Parks the calling task until `wakeOne()`/`wakeAll()` picks it; resolves with the
   * value it was woken with. Always a cancellation point.
   */
  park(description: string, signal?: AbortSignal | null): Promise<T> {
    // suspend() throws before anything is linked if the task is already cancelled,
    // so only a task that really goes to sleep is ever in the list.
    const s = suspend<T>(description, this, WAITER, signal);
    s.prev = this.#tail;
    if (this.#tail === null) this.#head = s;
    else this.#tail.next = s;
    this.#tail = s;
    this.#size++;
    return park(s);
  }

  /** Wakes the longest-waiting task with `value`. Returns false when nobody waits. */
  wakeOne(value: T): boolean {
    const s = this.#head;
    if (s === null) return false;
    this._unlink(s);
    s.value = value;
    wake(s, value);
    return true;
  }

  /** Wakes every parked task with `value`; returns how many. */
  wakeAll(value: T): number {
    let n = 0;
    while (this.wakeOne(value)) n++;
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
