/**
 * What `acquire()` returns: a `Disposable` that releases what was acquired, once.
 * `using _held = await lock.acquire()` releases at the end of the block, whether
 * it ends by return, by throw or by cancellation.
 *
 * @example
 * ```ts
 * import { Semaphore, run } from 'corio';
 *
 * await run(async () => {
 *   const sem = new Semaphore(2);
 *   {
 *     using _permit = await sem.acquire();
 *     console.log(String(sem));
 *   }
 *   console.log(String(sem));
 * });
 * // => Semaphore<value=1>
 * // => Semaphore<value=2>
 * ```
 * @module
 */
import { checkFunction, checkSignalOptions, isThenable } from '../_internal/validate.js';
import { hostOf } from '../core/parking-lot.js';
import {
  RESOLVED,
  parkThen,
  rejected,
  resumed,
  type SignalOptions,
  type Suspension,
} from '../core/suspend.js';
import { InvalidStateError } from '../errors.js';

/** @internal What a guard releases. */
export interface Releasable {
  _releaseGuard(token: unknown): void;
}

export class Guard implements Disposable {
  #owner: Releasable | null;
  readonly #token: unknown;

  /** @internal Made by the primitives' `acquire()`. */
  static _for(owner: Releasable, token: unknown): Guard {
    return new Guard(owner, token);
  }

  // Private: a guard comes from an acquire(); one made by hand would release
  // something it never held.
  private constructor(owner: Releasable, token: unknown) {
    this.#owner = owner;
    this.#token = token;
  }

  /** `true` once the guard has released what it held. */
  get released(): boolean {
    return this.#owner === null;
  }

  /**
   * Releases what was acquired.
   *
   * @throws {InvalidStateError} if this guard already released it.
   */
  release(): void {
    const owner = this.#owner;
    if (owner === null)
      throw new InvalidStateError('Guard.release(): this guard was already released');
    this.#owner = null;
    owner._releaseGuard(this.#token);
  }

  /** Releases unless already released (the end of a `using` block). */
  [Symbol.dispose](): void {
    if (this.#owner !== null) this.release();
  }
}

/**
 * @internal The reaction that ends a parked acquire: the guard for the primitive
 * (its ParkingLot's host), with the waiter's ticket as the token. One function for
 * every acquire that waits, so none allocates a closure.
 */
export const guardOnWake = (s: unknown): Guard => {
  resumed(s as Suspension);
  return Guard._for(hostOf(s as Suspension) as Releasable, (s as Suspension).ticket);
};

/**
 * @internal What `holding()` needs of a primitive: its `acquire()` split at the
 * wait, so that `run(fn)` need not keep an async function's frame per waiter.
 */
export interface Holdable {
  acquire(options?: SignalOptions): Promise<Guard>;
  /**
   * Takes the primitive and returns its guard, or parks the caller and returns
   * its wait, which becomes the guard once woken (`_guardOnWake`). Throws what
   * `acquire()` rejects with.
   */
  _acquireOrPark(options: SignalOptions | undefined): Guard | Suspension;
  /**
   * A woken wait's guard, after the resumption check (`resumed(s)`), when the
   * primitive does more than `guardOnWake` (a lock records its holder).
   */
  _guardOnWake?(s: Suspension): Guard;
  /** True when a subclass overrides another method `acquire()` goes through. */
  _overridden?(): boolean;
}

/**
 * @internal The primitives' `run(fn)`: acquires, runs `fn`, releases however it
 * ends. A caller that has to wait is one wait and one promise reaction, with no
 * frame until it holds the primitive: a `CapacityLimiter` in front of a task per
 * item parks most of them at once (bench W2's limiter, where an async frame per
 * parked task was a quarter of its heap: 1,466 -> 1,098 bytes per parked task).
 * The reaction is registered here, so `fn` runs in the caller's context, not in
 * the drain's that woke the wait. `own` is the class's prototype: a subclass
 * that overrides its `acquire` (or a limiter's `acquireOnBehalfOf`) has `run()`
 * go through the override, as `async with` does in asyncio.
 */
export function holding<T>(
  name: string,
  holdable: Holdable,
  own: Holdable,
  fn: () => T | PromiseLike<T>,
  options: SignalOptions | undefined,
): Promise<T> {
  let got: Guard | Suspension;
  try {
    checkFunction(name, 'fn', fn);
    checkSignalOptions(name, options);
    if (holdable.acquire !== own.acquire || holdable._overridden?.() === true) {
      return holdingVia(holdable, fn, options);
    }
    got = holdable._acquireOrPark(options);
  } catch (error) {
    return rejected(error);
  }
  if (got instanceof Guard) return callHolding(got, fn, true);
  got.arg = fn;
  return parkThen(got, guardInValue).then(callWoken) as Promise<T>;
}

// In the drain that ends a woken wait: the guard (or the resumption check's
// throw), kept in the wait for callWoken. The wait resolves with itself: not a
// thenable, so nothing adopts it.
const guardInValue = (s: Suspension): Suspension => {
  const host = hostOf(s) as Holdable;
  s.value = host._guardOnWake === undefined ? guardOnWake(s) : host._guardOnWake(s);
  return s;
};

async function holdingVia<T>(
  holdable: Holdable,
  fn: () => T | PromiseLike<T>,
  options: SignalOptions | undefined,
): Promise<T> {
  return callHolding(await holdable.acquire(options), fn, false);
}

// The woken caller, in its own context: calls fn holding the guard. The wait
// forgets both, so nothing that keeps the wait (an instrument) keeps them.
const callWoken = (s: Suspension): unknown => {
  const guard = s.value as Guard;
  const fn = s.arg as () => unknown;
  s.value = s.arg = undefined;
  let result: unknown;
  let thenable: boolean;
  try {
    result = fn();
    // Inside the try: a `then` getter may throw too.
    thenable = isThenable(result);
  } catch (error) {
    guard[Symbol.dispose]();
    throw error;
  }
  if (!thenable) {
    guard[Symbol.dispose]();
    return result;
  }
  return new Releasing(guard, result as PromiseLike<unknown>);
};

/**
 * What a woken caller's promise adopts: fn's promise, with the release in the
 * one reaction that settles the caller's promise, in that order, as an async
 * function's `finally` does. Adopting fn's promise itself would settle the
 * caller's a step after the release, and the caller would resume after the
 * next waiter's `fn` started, where asyncio (and `acquire()` with `using`)
 * resumes it first. A release that throws (the primitive was released by hand
 * inside fn) rejects the caller's promise, as that `finally` would.
 */
class Releasing<T> implements PromiseLike<T> {
  readonly #guard: Guard;
  readonly #result: PromiseLike<T>;

  constructor(guard: Guard, result: PromiseLike<T>) {
    this.#guard = guard;
    this.#result = result;
  }

  // Called once, by the adoption, with the caller's promise's resolving functions.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    const guard = this.#guard;
    const resolve = onFulfilled as (value: unknown) => R1;
    const reject = onRejected as (reason: unknown) => R2;
    try {
      return this.#result.then(
        (value) => releaseThen(guard, resolve, value, reject),
        (error: unknown) => releaseThen(guard, reject, error, reject),
      );
    } catch (error) {
      // fn returned a thenable whose then() threw: fn failed, as `await` says.
      return Promise.resolve(releaseThen(guard, reject, error, reject));
    }
  }
}

// Releases, then settles with fn's outcome; a release that throws wins, as in
// a `finally` block.
function releaseThen<A, B>(
  guard: Guard,
  settle: (outcome: unknown) => A,
  outcome: unknown,
  reject: (reason: unknown) => B,
): A | B {
  try {
    guard[Symbol.dispose]();
  } catch (error) {
    return reject(error);
  }
  return settle(outcome);
}

/**
 * Written out rather than with `using`, which the ES2022 build lowers to a
 * disposal stack and two helper calls per call. Taken at once (`next`), `fn`
 * still starts a microtask later, as after `await acquire()`, so that tasks
 * started together all acquire before the first one's `fn` runs.
 */
async function callHolding<T>(
  guard: Guard,
  fn: () => T | PromiseLike<T>,
  next: boolean,
): Promise<T> {
  try {
    if (next) await RESOLVED;
    return await fn();
  } finally {
    guard[Symbol.dispose]();
  }
}
