/**
 * `sleep()` and `checkpoint()`: the two ways a task waits for time, and the
 * simplest cancellation points.
 *
 * `sleep(0)` and `checkpoint()` yield one turn of the event loop (asyncio's
 * `sleep(0)`), so a task that loops on them lets I/O and timers run.
 * `sleep(Infinity)` waits until cancelled.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const value = await sleep(3_600_000, 'an hour later');
 *   console.log(value, getRunningLoop().time());
 * }, { clock: new VirtualClock() });
 * // => an hour later 3600000
 * ```
 * @module
 */
import { checkDelay, checkSignalOptions } from '../_internal/validate.js';
import { type EventLoop, currentLoop } from './loop.js';
import { TimedWait, TimerHandle, Timers } from './timers.js';
import {
  endedFromOutside,
  park,
  parkingNode,
  register,
  rejected,
  type SignalOptions,
  suspend,
  type Suspension,
  throwIfCancelled,
  type WaitKind,
  wake,
} from './suspend.js';

/** @deprecated The same as `SignalOptions`, the one options type of every wait. */
export type SleepOptions = SignalOptions;

// The sleep's duration rides in the ticket, for the description only.
// A sleep whose timer fired has done its work: it returns even if its task was
// cancelled in between, and the cancellation comes at the next checkpoint
// (Trio's rule for a rescheduled task). So its promise is the caller's, with no
// resumption reaction: one promise and one microtask fewer per sleep (#16, W5).
// Its owner is the loop's Timers, where the wait is its own timer entry, or a
// TimerHandle (a loop with instruments: see EventLoop._wakeIn), or null (Infinity).
const SLEEP: WaitKind = {
  abort(s) {
    const owner = s.owner;
    if (owner instanceof TimerHandle) owner.cancel();
    else if (owner instanceof Timers && s instanceof TimedWait) owner.remove(s);
    return true;
  },
  committed: true,
  direct: true,
  describe: (s) => `sleep(${String(s.ticket)})`,
  waitingOn: endedFromOutside,
};

// checkpoint(): the resumption is queued for the next turn; a cancellation in
// between is thrown by resumed() when it runs.
const YIELD: WaitKind = { abort: () => false, waitingOn: endedFromOutside };

// The loop a wait was made in: its node's (suspend() has looked it up already),
// or currentLoop()'s outside every task, without a second look-up.
const loopOf = (s: Suspension): EventLoop => {
  const node = s.node;
  return node !== null && !node.loop.isClosed() ? node.loop : currentLoop();
};

const wakeUp = (s: unknown): void => {
  wake(s as Suspension, (s as Suspension).value);
};

/**
 * Waits `ms` milliseconds of loop time, then resolves with `value`.
 *
 * **Cancellation:** always a cancellation point. Cancelled while sleeping, it
 * throws `CancelledError` at once and its timer is removed.
 *
 * @throws {RangeError} if `ms` is negative or NaN.
 * @throws {CancelledError} if the task, scope or `signal` is cancelled.
 */
export function sleep(ms: number): Promise<void>;
export function sleep<T>(ms: number, value: T, options?: SignalOptions): Promise<T>;
export function sleep<T>(ms: number, value?: T, options?: SignalOptions): Promise<T | undefined> {
  // Not async: an async function's frame per sleep cost a third of W5's time.
  // Bad input and a cancelled caller still reject rather than throw.
  try {
    checkDelay('sleep()', 'ms', ms);
    checkSignalOptions('sleep()', options);
    return ms === 0 ? yieldTurn(options?.signal, value) : sleepFor(ms, value, options?.signal);
  } catch (error) {
    return rejected(error);
  }
}

function sleepFor<T>(ms: number, value: T, signal: AbortSignal | undefined): Promise<T> {
  const node = parkingNode(SLEEP, signal);
  const s = register(new TimedWait<T>(node, null, SLEEP, 'sleep', signal ?? null), ms);
  s.value = value;
  if (ms !== Infinity) loopOf(s)._wakeIn(ms, s);
  return s.promise as Promise<T>;
}

function yieldTurn<T>(signal: AbortSignal | undefined, value: T): Promise<T> {
  const s = suspend<T>('checkpoint', null, YIELD, signal);
  s.value = value;
  loopOf(s)._soon(wakeUp, s);
  return park(s);
}

// cancelShieldedCheckpoint(): a yield that is no cancellation point.
const SHIELDED_YIELD: WaitKind = {
  abort: () => false,
  uncancellable: true,
  waitingOn: endedFromOutside,
};

/**
 * Yields to the loop for one turn without being a cancellation point (Trio's
 * `cancel_shielded_checkpoint`): for a primitive that has made progress it must
 * not undo, and still owes the other tasks their turn.
 *
 * **Cancellation:** never throws `CancelledError`; a cancellation stays pending
 * for the next checkpoint.
 *
 * @example
 * ```ts
 * import { cancelScope, run } from 'corio';
 * import { cancelShieldedCheckpoint } from 'corio/lowlevel';
 *
 * await run(() => cancelScope(async (scope) => {
 *   scope.cancel();
 *   await cancelShieldedCheckpoint();
 *   console.log('yielded in a cancelled scope without throwing');
 * }));
 * // => yielded in a cancelled scope without throwing
 * ```
 */
export function cancelShieldedCheckpoint(): Promise<void> {
  const s = suspend<undefined>('cancelShieldedCheckpoint', null, SHIELDED_YIELD);
  loopOf(s)._soon(wakeUp, s);
  return park(s);
}

/**
 * Yields to the loop for one turn, then returns; throws `CancelledError` if the
 * task is cancelled (Trio's `checkpoint`, asyncio's `sleep(0)`). Put it in long
 * computations to let other tasks, I/O and cancellation in.
 *
 * **Cancellation:** always a cancellation point, before and after the yield.
 */
export function checkpoint(): Promise<void> {
  try {
    throwIfCancelled();
    return yieldTurn(undefined, undefined);
  } catch (error) {
    return rejected(error);
  }
}
