/**
 * A loop's timers: every `sleep`, deadline and `callLater` of one loop in one
 * binary heap, behind one alarm on the loop's clock (so 100,000 sleeps cost one
 * host timer, not 100,000), and the handles that cancel them. Timers fire in
 * deadline order, ties in the order they were set.
 *
 * Timers set by duration (`sleep(ms)`, `callLater(ms)`) wait in one FIFO list per
 * duration, in front of the heap; timers set for a loop time (deadlines) are in
 * the heap themselves (#16). A sleep's wait is its own entry in its list (a
 * `TimedWait`), with no `TimerHandle` beside it, unless the loop has instruments,
 * which are told of timers by their handles.
 *
 * Invariants:
 * - Nothing cancelled stays: a cancelled timer leaves its list or the heap at
 *   once (O(1) from a list: cancelling 100,000 sleeps, W7, is 100,000 unlinks).
 * - A list is in the heap iff it is non-empty, keyed by its head's deadline; the
 *   top of the heap is the earliest timer, and the alarm its deadline.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const late = loop.callLater(100, () => console.log('never'));
 *   loop.callLater(50, () => console.log('fired at', loop.time()));
 *   late.cancel(); // leaves the heap at once
 *   console.log('timers:', loop.statistics().timers);
 *   await sleep(200);
 * }, { clock: new VirtualClock() });
 * // => timers: 1
 * // => fired at 50
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { Heap, type HeapEntry } from '../_internal/heap.js';
import type { Clock } from './clock.js';
import type { EventLoop } from './loop.js';
import { Suspension } from './suspend.js';

/** A callback scheduled with `callSoon`; `cancel()` stops it from running. */
export class Handle {
  /** @internal */ fn: ((arg: unknown) => void) | null;
  /** @internal */ arg: unknown;

  /** @internal */
  static _new(fn: (arg: unknown) => void, arg: unknown): Handle {
    return new Handle(fn, arg);
  }

  // Protected: handles are made by callSoon(), callLater() and callAt().
  protected constructor(fn: (arg: unknown) => void, arg: unknown) {
    this.fn = fn;
    this.arg = arg;
  }

  cancel(): void {
    this.fn = null;
    this.arg = null;
  }

  cancelled(): boolean {
    return this.fn === null;
  }
}

/** A callback scheduled at a loop time; `cancel()` removes it from the heap at once. */
export class TimerHandle extends Handle {
  /** @internal */ when: number;
  /** @internal */ seq: number;
  /** @internal Its place in the heap, when it is there itself (not in a list). */
  index = -1;
  /** @internal The list of its duration, or null (a timer set for a loop time). */
  list: TimerList | null = null;
  /** @internal */ prevTimer: TimerEntry | null = null;
  /** @internal */ nextTimer: TimerEntry | null = null;
  readonly #timers: Timers;

  /** @internal */
  static _at(
    timers: Timers,
    when: number,
    seq: number,
    fn: (arg: unknown) => void,
    arg: unknown,
  ): TimerHandle {
    return new TimerHandle(timers, when, seq, fn, arg);
  }

  private constructor(
    timers: Timers,
    when: number,
    seq: number,
    fn: (arg: unknown) => void,
    arg: unknown,
  ) {
    super(fn, arg);
    this.#timers = timers;
    this.when = when;
    this.seq = seq;
  }

  /** The loop time at which the callback runs. */
  get deadline(): number {
    return this.when;
  }

  /** The loop it is set on (an instrument reads its time). */
  get loop(): EventLoop {
    return this.#timers.loop;
  }

  override cancel(): void {
    if (this.fn === null) return;
    this.fn = null;
    this.arg = null;
    this.#timers.remove(this);
  }

  [inspectSymbol](): string {
    return show('TimerHandle', [this.fn === null ? 'cancelled' : 'pending'], { when: this.when });
  }
}

/**
 * A wait that is its own timer: a sleep, in the list of its duration itself. A
 * sleep with a TimerHandle beside it cost 96 bytes and an allocation more, a
 * fifth of a sleep's memory (bench W5). While it is in its list, its `owner` is
 * the loop's Timers; its value (what the sleep returns) is in `value` already.
 * @internal
 */
export class TimedWait<T = unknown> extends Suspension<T> {
  when = 0;
  seq = 0;
  list: TimerList | null = null;
  prevTimer: TimerEntry | null = null;
  nextTimer: TimerEntry | null = null;
}

/** What a duration's list holds: handles (`callLater`) and sleeps' own waits. @internal */
export type TimerEntry = TimerHandle | TimedWait;

/**
 * The timers of one duration, in the order they were set (a FIFO in front of the
 * heap, as Node's own timer lists): the loop time only moves forward, so their
 * deadlines never decrease, and only the head needs a place in the heap. Adding
 * or cancelling one costs O(1) instead of O(log n) heap moves (bench W5, W7).
 */
class TimerList implements HeapEntry {
  // The head's deadline and sequence number: the list's place in the heap.
  when = 0;
  seq = 0;
  index = -1;
  head: TimerEntry | null = null;
  tail: TimerEntry | null = null;
  readonly ms: number;

  constructor(ms: number) {
    this.ms = ms;
  }
}

/** @internal The timer heap of one loop, and its alarm on the loop's clock. */
export class Timers {
  /** The loop the timers belong to. */
  readonly loop: EventLoop;
  readonly #clock: Clock;
  // Lists of timers set by duration (sleep, callLater), and single timers set
  // for a loop time (deadlines): the heap orders both by their earliest timer.
  readonly #heap = new Heap<TimerList | TimerHandle>();
  // Only non-empty lists: a list leaves when its last timer does.
  readonly #lists = new Map<number, TimerList>();
  #count = 0;
  #seq = 0;
  // The deadline last given to the clock; Infinity when no timer is set.
  #alarm = Infinity;
  readonly #onAlarm: () => void;
  // Told when a timer is armed: a loop whose tasks are all blocked may now jump.
  readonly #onArmed: () => void;

  constructor(loop: EventLoop, clock: Clock, onAlarm: () => void, onArmed: () => void) {
    this.loop = loop;
    this.#clock = clock;
    this.#onAlarm = onAlarm;
    this.#onArmed = onArmed;
  }

  /** Timers set and not yet fired or cancelled. */
  get size(): number {
    return this.#count;
  }

  /** Calls `fn(arg)` once the loop time reaches `when`. */
  schedule(when: number, fn: (arg: unknown) => void, arg: unknown): TimerHandle {
    const handle = TimerHandle._at(this, when, this.#seq++, fn, arg);
    this.#count++;
    this.#heap.push(handle);
    if (when < this.#alarm) this.#setAlarm(when);
    return handle;
  }

  /** Calls `fn(arg)` once `ms` have passed: in the list of timers of that duration. */
  scheduleIn(ms: number, fn: (arg: unknown) => void, arg: unknown): TimerHandle {
    const handle = TimerHandle._at(this, this.#clock.now() + ms, this.#seq++, fn, arg);
    this.#append(ms, handle);
    return handle;
  }

  /** Wakes `s` (with its `value`) once `ms` have passed: `s` is its own entry. */
  wakeIn(ms: number, s: TimedWait): void {
    s.owner = this;
    s.when = this.#clock.now() + ms;
    s.seq = this.#seq++;
    this.#append(ms, s);
  }

  // Puts `entry` (its deadline and sequence number set) at the tail of its list.
  #append(ms: number, entry: TimerEntry): void {
    const when = entry.when;
    this.#count++;
    let list = this.#lists.get(ms);
    if (list === undefined) {
      list = new TimerList(ms);
      this.#lists.set(ms, list);
    }
    entry.list = list;
    const tail = list.tail;
    if (tail === null) {
      list.head = list.tail = entry;
      list.when = when;
      list.seq = entry.seq;
      this.#heap.push(list);
      if (when < this.#alarm) this.#setAlarm(when);
    } else {
      entry.prevTimer = tail;
      tail.nextTimer = entry;
      list.tail = entry;
    }
  }

  /** A cancelled timer leaves at once (a sleep's wait that has fired is in no list). */
  remove(entry: TimerEntry): void {
    const list = entry.list;
    if (list !== null) {
      this.#count--;
      const wasHead = list.head === entry;
      this.#unlink(list, entry);
      if (!wasHead) return;
    } else {
      if (entry instanceof TimedWait || !this.#heap.remove(entry)) return;
      this.#count--;
    }
    const top = this.#heap.peek();
    if (top === undefined || top.when !== this.#alarm) this.#setAlarm(top?.when ?? Infinity);
  }

  // Takes `handle` out of its list; the list keeps its place in the heap by its
  // new head, or leaves the heap (and the map) when it empties.
  #unlink(list: TimerList, handle: TimerEntry): void {
    const prev = handle.prevTimer;
    const next = handle.nextTimer;
    if (prev === null) list.head = next;
    else prev.nextTimer = next;
    if (next === null) list.tail = prev;
    else next.prevTimer = prev;
    handle.prevTimer = handle.nextTimer = null;
    handle.list = null;
    if (prev !== null) return;
    if (next === null) {
      this.#heap.remove(list);
      this.#lists.delete(list.ms);
    } else {
      list.when = next.when;
      list.seq = next.seq;
      this.#heap.update(list);
    }
  }

  /**
   * The earliest timer due at loop time `now`, taken out of the heap; null when
   * none is. The caller runs it (and may set new timers meanwhile), then calls
   * `rearm()` once it has run every due one.
   */
  nextDue(now: number): TimerEntry | null {
    const top = this.#heap.peek();
    if (top === undefined || top.when > now) return null;
    this.#count--;
    if (top instanceof TimerList) {
      const handle = top.head as TimerEntry;
      this.#unlink(top, handle);
      return handle;
    }
    this.#heap.pop();
    return top;
  }

  /** Whether another live timer is due at `now`: a tie a loop's scheduler orders (scheduler.ts). */
  hasDue(now: number): boolean {
    const top = this.#heap.peek();
    return top !== undefined && top.when <= now;
  }

  /** Gives the clock the next deadline, after the due timers have run. */
  rearm(): void {
    const next = this.#heap.peek()?.when ?? Infinity;
    this.#alarm = Infinity;
    this.#setAlarm(next);
  }

  /** Drops every timer and releases the clock (the loop closes). */
  close(): void {
    for (let e = this.#heap.pop(); e !== undefined; e = this.#heap.pop()) {
      if (e instanceof TimerList) {
        for (let h = e.head; h !== null; h = h.nextTimer) if (h instanceof TimerHandle) h.fn = null;
      } else {
        e.fn = null;
      }
    }
    this.#lists.clear();
    this.#count = 0;
    this.#alarm = Infinity;
    this.#clock.close?.();
  }

  #setAlarm(deadline: number): void {
    this.#alarm = deadline;
    this.#clock.setAlarm(deadline, this.#onAlarm);
    if (deadline !== Infinity) this.#onArmed();
  }
}
