/**
 * Clocks: where a loop's time comes from and how it waits for its next timer.
 * `SystemClock` reads `performance.now()` and drives one host timer for the whole
 * timer heap; `VirtualClock` (in `corio/testing`) keeps time of its own.
 *
 * A clock is told only the loop's next deadline (`setAlarm`), never every timer,
 * so 100,000 sleeps cost one host timer, not 100,000.
 *
 * @example
 * ```ts
 * import { SystemClock, run, getRunningLoop } from 'corio';
 *
 * await run(() => console.log(getRunningLoop().time() >= 0), { clock: new SystemClock() });
 * // => true
 * ```
 * @module
 */

/** The interface a loop needs from its clock. Implement it to drive time yourself. */
export interface Clock {
  /** The current time in ms. Never decreases. */
  now(): number;
  /**
   * The loop's earliest timer is due at `deadline` (`Infinity`: no timer). Call
   * `wake()` once `now() >= deadline`. Each call replaces the previous one.
   */
  setAlarm(deadline: number, wake: () => void): void;
  /**
   * Called when every task of the loop is blocked. A clock that moves time by
   * itself here (an autojumping virtual clock) returns true.
   */
  onIdle?(): boolean;
  /** Called when the loop closes: release host resources. */
  close?(): void;
}

// setTimeout clamps longer delays to 1 ms (with a warning): wait in steps instead.
const MAX_HOST_DELAY = 2 ** 31 - 1;

/** Real time, from `performance.now()`, with one host timer per loop. */
export class SystemClock implements Clock {
  #timer: ReturnType<typeof setTimeout> | null = null;
  // When #timer fires; the timer is referenced (keeps the process alive) iff
  // #want is finite.
  #timerAt = Infinity;
  #want = Infinity;
  #wake: (() => void) | null = null;
  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#timerAt = Infinity;
    if (this.#want === Infinity) return;
    if (performance.now() >= this.#want) {
      this.#want = Infinity;
      this.#wake?.();
    } else {
      this.#arm(this.#want);
    }
  };

  now(): number {
    return performance.now();
  }

  setAlarm(deadline: number, wake: () => void): void {
    this.#wake = wake;
    this.#want = deadline;
    if (deadline === Infinity) {
      // Lazy: keep the host timer but let the process exit. A loop that sets and
      // cancels a timeout per call (W8) then costs an unref/ref pair, not a
      // setTimeout/clearTimeout pair.
      this.#timer?.unref();
      return;
    }
    if (this.#timer !== null && this.#timerAt <= deadline) {
      this.#timer.ref();
      return;
    }
    this.#arm(deadline);
  }

  #arm(deadline: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    const delay = Math.min(Math.max(Math.ceil(deadline - performance.now()), 1), MAX_HOST_DELAY);
    this.#timer = setTimeout(this.#onTimer, delay);
    this.#timerAt = performance.now() + delay;
  }

  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
    this.#want = Infinity;
  }
}
