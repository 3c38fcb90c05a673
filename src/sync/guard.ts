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
import { checkFunction, checkSignalOptions } from '../_internal/validate.js';
import { hostOf } from '../core/parking-lot.js';
import { resumed, type Suspension } from '../core/suspend.js';
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

/** @internal What hands out guards: a lock, a semaphore, a capacity limiter. */
export interface Acquirer<O> {
  acquire(options?: O): Promise<Guard>;
}

/**
 * @internal The primitives' `run(fn)`: acquires, runs `fn`, releases however it
 * ends. Written out rather than with `using`, which the ES2022 build lowers to a
 * disposal stack and two helper calls per call.
 */
export async function holding<T, O>(
  name: string,
  acquirer: Acquirer<O>,
  fn: () => T | PromiseLike<T>,
  options: O | undefined,
): Promise<T> {
  checkFunction(name, 'fn', fn);
  checkSignalOptions(name, options);
  const guard = await acquirer.acquire(options);
  try {
    return await fn();
  } finally {
    guard[Symbol.dispose]();
  }
}
