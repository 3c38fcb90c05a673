/**
 * Timeouts as cancel scopes with a deadline (Trio's `fail_after` / `move_on_after`,
 * asyncio's `timeout()`): `timeout` throws `TimeoutError` when its own deadline
 * cut the work short; `moveOnAfter` returns `undefined` instead. A cancellation
 * from outside stays a `CancelledError`, and of nested timeouts only the one that
 * expired converts. `fn` receives the scope, so it can read or move
 * `scope.deadline` (asyncio's `when()` and `reschedule()`).
 *
 * @example
 * ```ts
 * import { TimeoutError, moveOnAfter, run, sleep, timeout } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   console.log(await timeout(100, () => sleep(10, 'fast')));
 *   console.log(await moveOnAfter(100, () => sleep(1000, 'slow')));
 *   try {
 *     await timeout(100, () => sleep(1000));
 *   } catch (err) {
 *     console.log(err instanceof TimeoutError, (err as TimeoutError).ms);
 *   }
 * }, { clock: new VirtualClock() });
 * // => fast
 * // => undefined
 * // => true 100
 * ```
 * @module
 */
import { checkDeadline, checkDelay, checkFunction } from '../_internal/validate.js';
import { TimeoutError } from '../errors.js';
import { CancelScope } from './cancel-scope.js';
import { currentLoop } from './loop.js';
import { rejected } from './suspend.js';

/** The body of `timeout`, `moveOnAfter` and friends: it receives their `CancelScope`. */
export type ScopeBody<T> = (scope: CancelScope) => T | PromiseLike<T>;

/**
 * Runs `fn` with a deadline `ms` from now; throws `TimeoutError` if the deadline
 * (or a `cancel()` of this scope: an early expiry) cut it short.
 *
 * **Cancellation:** `fn`'s cancellation points are; a cancellation from outside
 * propagates as `CancelledError`.
 *
 * @throws {TimeoutError} when the deadline expired, with `ms` and the
 * `CancelledError` as `cause`.
 * @throws {RangeError} if `ms` is negative or NaN.
 */
export function timeout<T>(ms: number, fn: ScopeBody<T>): Promise<T> {
  // Not async, nor are the others here: the scope's run is the one async frame
  // (CancelScope._run). Bad input still rejects rather than throws.
  try {
    checkDelay('timeout()', 'ms', ms);
    checkFunction('timeout()', 'fn', fn);
    return CancelScope._until(currentLoop().time() + ms)._run(fn, expiredAfter, ms) as Promise<T>;
  } catch (error) {
    return rejected(error);
  }
}

/**
 * As `timeout`, with an absolute loop-time `deadline`.
 *
 * **Cancellation:** as `timeout()`.
 */
export function timeoutAt<T>(deadline: number, fn: ScopeBody<T>): Promise<T> {
  try {
    checkDeadline('timeoutAt()', 'deadline', deadline);
    checkFunction('timeoutAt()', 'fn', fn);
    return CancelScope._until(deadline)._run(fn, expiredAt, deadline) as Promise<T>;
  } catch (error) {
    return rejected(error);
  }
}

// What the scope throws when it catches its own cancellation: the message names
// what the caller gave (a moved deadline does not change it).
const expiredAfter = (scope: CancelScope, ms: number | undefined): TimeoutError =>
  new TimeoutError(`timed out after ${String(ms)} ms`, { ms, cause: scope.cancelReason });
const expiredAt = (scope: CancelScope, deadline: number | undefined): TimeoutError =>
  new TimeoutError(`timed out after the deadline ${String(deadline)}`, {
    ms: undefined,
    cause: scope.cancelReason,
  });

/**
 * Runs `fn` with a deadline `ms` from now; returns `undefined` if the deadline cut
 * it short (Trio's `move_on_after`).
 *
 * **Cancellation:** as `timeout`.
 *
 * @throws {RangeError} if `ms` is negative or NaN.
 */
export function moveOnAfter<T>(ms: number, fn: ScopeBody<T>): Promise<T | undefined> {
  try {
    checkDelay('moveOnAfter()', 'ms', ms);
    checkFunction('moveOnAfter()', 'fn', fn);
    return CancelScope._until(currentLoop().time() + ms)._run(fn, null, undefined);
  } catch (error) {
    return rejected(error);
  }
}

/**
 * As `moveOnAfter`, with an absolute loop-time `deadline` (Trio's `move_on_at`).
 *
 * **Cancellation:** as `moveOnAfter()`.
 */
export function moveOnAt<T>(deadline: number, fn: ScopeBody<T>): Promise<T | undefined> {
  try {
    checkDeadline('moveOnAt()', 'deadline', deadline);
    checkFunction('moveOnAt()', 'fn', fn);
    return CancelScope._until(deadline)._run(fn, null, undefined);
  } catch (error) {
    return rejected(error);
  }
}
