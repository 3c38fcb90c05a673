/**
 * Virtual time (Trio's `MockClock`): a clock that starts at 0 and moves only when
 * told. With `autojump` (the default) it jumps straight to the next timer whenever
 * every task is blocked, so `sleep(3_600_000)` takes microseconds and the order of
 * events is deterministic. With `{ autojump: false }`, time moves only through
 * `advance(ms)`.
 *
 * Autojump looks only at corio's own waits: a task blocked on real I/O or a raw
 * promise counts as busy, and time does not move under it.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * const clock = new VirtualClock();
 * await run(async () => {
 *   await sleep(86_400_000);
 *   console.log('a day later:', getRunningLoop().time());
 * }, { clock });
 * // => a day later: 86400000
 * ```
 * @module
 */
import { checkBoolean, checkNumber, checkOptions, optionNames } from '../_internal/validate.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import type { Clock } from '../core/clock.js';

export interface VirtualClockOptions {
  /** Jump to the next timer whenever every task is blocked; default true. */
  readonly autojump?: boolean;
  /** The time the clock starts at, in ms; default 0. */
  readonly start?: number;
}

const CLOCK_OPTIONS = optionNames<VirtualClockOptions>({ autojump: true, start: true });

export class VirtualClock implements Clock {
  #now: number;
  #alarm = Infinity;
  #wake: (() => void) | null = null;
  /** Whether the clock jumps to the next timer when every task is blocked. */
  readonly autojump: boolean;

  constructor(options?: VirtualClockOptions) {
    checkOptions('new VirtualClock()', 'options', options, CLOCK_OPTIONS);
    checkBoolean('new VirtualClock()', 'options.autojump', options?.autojump);
    const start = options?.start ?? 0;
    checkNumber('new VirtualClock()', 'options.start', start, 0, true);
    this.autojump = options?.autojump ?? true;
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /**
   * Called by the loop, not by users: the loop's earliest timer is due at
   * `deadline`. Part of the `Clock` interface.
   */
  setAlarm(deadline: number, wake: () => void): void {
    this.#alarm = deadline;
    this.#wake = wake;
  }

  /**
   * Called by the loop, not by users, when every task is blocked: with `autojump`,
   * jumps to the next timer and returns true. Part of the `Clock` interface.
   */
  onIdle(): boolean {
    if (!this.autojump || this.#alarm === Infinity) return false;
    if (this.#alarm > this.#now) this.#now = this.#alarm;
    this.#fire();
    return true;
  }

  /**
   * Moves time forward by `ms` and runs the timers that fall due, in order.
   *
   * @throws {RangeError} if `ms` is negative, NaN or infinite.
   */
  advance(ms: number): void {
    checkNumber('VirtualClock.advance()', 'ms', ms, 0, true);
    this.#now += ms;
    if (this.#alarm <= this.#now) this.#fire();
  }

  #fire(): void {
    const wake = this.#wake;
    this.#alarm = Infinity;
    wake?.();
  }

  /** Called by the loop, not by users, when it closes. Part of the `Clock` interface. */
  close(): void {
    this.#alarm = Infinity;
    this.#wake = null;
  }

  [inspectSymbol](): string {
    return show('VirtualClock', [this.autojump ? 'autojump' : 'manual'], { now: this.#now });
  }
}
