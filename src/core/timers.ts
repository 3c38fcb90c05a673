/**
 * A loop's timers: every `sleep`, deadline and `callLater` of one loop in one
 * binary heap, behind one alarm on the loop's clock (so 100,000 sleeps cost one
 * host timer, not 100,000), and the handles that cancel them. Timers fire in
 * deadline order, ties in the order they were set.
 *
 * Invariants:
 * - The top of the heap is never a cancelled timer, so the alarm is always a
 *   live deadline (or Infinity when the heap is empty).
 * - `#dead` counts the cancelled timers still in the heap (below its top); when
 *   they outnumber the living and exceed PRUNE_THRESHOLD, one O(n) pass removes
 *   them all (Trio's prune): cancelling 100,000 sleeps at once (W7) costs one
 *   pass, not 100,000 O(log n) removals.
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
import { Heap } from '../_internal/heap.js';
import type { Clock } from './clock.js';
import type { EventLoop } from './loop.js';

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
  }

  cancelled(): boolean {
    return this.fn === null;
  }
}

/** A callback scheduled at a loop time; `cancel()` removes it from the heap at once. */
export class TimerHandle extends Handle {
  /** @internal */ when: number;
  /** @internal */ seq: number;
  /** @internal */ index = -1;
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
    this.#timers.remove(this);
  }

  [inspectSymbol](): string {
    return show('TimerHandle', [this.fn === null ? 'cancelled' : 'pending'], { when: this.when });
  }
}

// Below this many dead timers the heap is never pruned: small heaps are cheap.
const PRUNE_THRESHOLD = 1000;
const isLive = (handle: TimerHandle): boolean => handle.fn !== null;

/** @internal The timer heap of one loop, and its alarm on the loop's clock. */
export class Timers {
  /** The loop the timers belong to. */
  readonly loop: EventLoop;
  readonly #clock: Clock;
  readonly #heap = new Heap<TimerHandle>();
  #dead = 0;
  #seq = 0;
  // The deadline last given to the clock; Infinity when the heap is empty.
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
    return this.#heap.size - this.#dead;
  }

  /** Calls `fn(arg)` once the loop time reaches `when`. */
  schedule(when: number, fn: (arg: unknown) => void, arg: unknown): TimerHandle {
    const handle = TimerHandle._at(this, when, this.#seq++, fn, arg);
    this.#heap.push(handle);
    if (when < this.#alarm) this.#setAlarm(when);
    return handle;
  }

  /**
   * A cancelled timer: at the top it leaves at once (with any dead ones under
   * it); elsewhere it stays until the dead outnumber the living (see above).
   */
  remove(handle: TimerHandle): void {
    if (handle.index < 0) return;
    if (handle.index === 0) {
      this.#heap.pop();
      this.#popDead();
      this.#setAlarm(this.#heap.peek()?.when ?? Infinity);
      return;
    }
    if (++this.#dead > PRUNE_THRESHOLD && this.#dead * 2 > this.#heap.size) {
      this.#heap.prune(isLive);
      this.#dead = 0;
    }
  }

  /**
   * The earliest live timer that is due, taken out of the heap; null when none
   * is. The caller runs it (and may set new timers meanwhile), then calls
   * `rearm()` once it has run every due one.
   */
  nextDue(): TimerHandle | null {
    const now = this.#clock.now();
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || top.when > now) return null;
      this.#heap.pop();
      this.#popDead();
      if (top.fn !== null) return top;
    }
  }

  /** Gives the clock the next deadline, after the due timers have run. */
  rearm(): void {
    const next = this.#heap.peek()?.when ?? Infinity;
    this.#alarm = Infinity;
    this.#setAlarm(next);
  }

  /** Drops every timer and releases the clock (the loop closes). */
  close(): void {
    for (let t = this.#heap.pop(); t !== undefined; t = this.#heap.pop()) t.fn = null;
    this.#dead = 0;
    this.#alarm = Infinity;
    this.#clock.close?.();
  }

  #popDead(): void {
    for (
      let top = this.#heap.peek();
      top !== undefined && top.fn === null;
      top = this.#heap.peek()
    ) {
      this.#heap.pop();
      this.#dead--;
    }
  }

  #setAlarm(deadline: number): void {
    this.#alarm = deadline;
    this.#clock.setAlarm(deadline, this.#onAlarm);
    if (deadline !== Infinity) this.#onArmed();
  }
}
