/**
 * `Pool<T>`: a bounded pool of reusable resources (connections, browsers,
 * workers). At most `max` exist at once; `acquire()` reuses an idle one (checked
 * by `validate` if given), creates one below `max`, or waits in FIFO order, up to
 * `acquireTimeout`. `use(fn)` returns the resource afterwards, or destroys it if
 * `fn` threw: a resource whose user failed is not handed to the next one. Idle
 * resources beyond `min` are destroyed after `idleTimeout`; `drain()` waits for
 * every lease to come back and destroys everything.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from 'corio';
 * import { Pool } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * let made = 0;
 * const pool = new Pool({
 *   create: async () => { await sleep(10); return { id: ++made }; },
 *   destroy: (conn) => console.log('closed', conn.id),
 *   max: 2,
 * });
 *
 * await run(async () => {
 *   await taskGroup((tg) => {
 *     for (const q of ['a', 'b', 'c']) {
 *       tg.spawn(() => pool.use(async (conn) => { await sleep(5); console.log(q, 'on', conn.id); }));
 *     }
 *   });
 *   await pool.drain();
 * }, { clock: new VirtualClock() });
 * // => a on 1
 * // => b on 2
 * // => c on 1
 * // => closed 1
 * // => closed 2
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkCount,
  checkDelay,
  checkFunction,
  checkMadeBy,
  checkOptions,
  checkSignalOptions,
  optionNames,
} from '../_internal/validate.js';
import { ParkingLot } from '../core/parking-lot.js';
import { type EventLoop, currentLoop } from '../core/loop.js';
import type { TimerHandle } from '../core/timers.js';
import { enterWait, RESOLVED, type SignalOptions } from '../core/suspend.js';
import { timeout } from '../core/timeout.js';
import { Event } from '../sync/event.js';
import { InvalidStateError, isCancellation } from '../errors.js';

export interface PoolOptions<T> {
  /** Makes a new resource (it may be async). */
  readonly create: () => T | PromiseLike<T>;
  /** Releases a resource for good; default: nothing. */
  readonly destroy?: (resource: T) => unknown;
  /** Checked before an idle resource is reused; a falsy answer destroys it. */
  readonly validate?: (resource: T) => unknown;
  /** The most resources at once (idle and in use). */
  readonly max: number;
  /** Idle resources kept however long they idle; default 0. */
  readonly min?: number;
  /** Destroy an idle resource (beyond `min`) after this many ms; default `Infinity`. */
  readonly idleTimeout?: number;
  /** Give up waiting for a resource after this many ms (`TimeoutError`); default `Infinity`. */
  readonly acquireTimeout?: number;
}

export interface PoolStatistics {
  /** Resources that exist (idle, in use, or being created). */
  readonly size: number;
  readonly idle: number;
  readonly inUse: number;
  readonly max: number;
  readonly tasksWaiting: number;
}

const POOL_OPTIONS = optionNames<PoolOptions<unknown>>({
  create: 'required',
  destroy: true,
  validate: true,
  max: 'required',
  min: true,
  idleTimeout: true,
  acquireTimeout: true,
});

// A waiter is woken with a resource, or with SLOT: room to create one.
const SLOT: unique symbol = Symbol('slot');

/** A resource on loan from a pool: return it with `release()` or `await using`. */
export class PoolLease<T> implements AsyncDisposable {
  /** The resource. */
  readonly value: T;
  readonly #pool: Pool<T>;
  #done = false;

  /** @internal Made by Pool.acquire(). */
  static _lend<T>(pool: Pool<T>, value: T): PoolLease<T> {
    return new PoolLease(pool, value);
  }

  private constructor(pool: Pool<T>, value: T) {
    checkMadeBy('new PoolLease()', pool instanceof Pool, 'Pool.acquire()');
    this.#pool = pool;
    this.value = value;
  }

  /** Returns the resource to the pool. Idempotent. */
  release(): void {
    if (this.#done) return;
    this.#done = true;
    this.#pool._return(this.value);
  }

  /**
   * Destroys the resource instead of returning it (it is broken). Idempotent.
   *
   * **Cancellation:** not a cancellation point itself: the slot is freed at once,
   * and only the pool's `destroy` may wait (and see a cancellation).
   */
  async discard(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#pool._discard(this.value);
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return RESOLVED;
  }
}

interface Idle<T> {
  readonly resource: T;
  readonly since: number;
}

export class Pool<T> {
  readonly #options: PoolOptions<T>;
  readonly max: number;
  readonly min: number;
  readonly #idleTimeout: number;
  readonly #acquireTimeout: number;
  readonly #idle = new Deque<Idle<T>>();
  #size = 0;
  #inUse = 0;
  readonly #waiters: ParkingLot<T | typeof SLOT>;
  #draining = false;
  #allBack: Event | null = null;
  #timer: TimerHandle | null = null;
  #loop: EventLoop | null = null;

  /** @throws {RangeError} / {TypeError} for bad options, naming them. */
  constructor(options: PoolOptions<T>) {
    checkOptions('new Pool()', 'options', options, POOL_OPTIONS);
    checkFunction('new Pool()', 'options.create', options.create);
    if (options.destroy !== undefined)
      checkFunction('new Pool()', 'options.destroy', options.destroy);
    if (options.validate !== undefined)
      checkFunction('new Pool()', 'options.validate', options.validate);
    this.max = checkCount('new Pool()', 'options.max', options.max, 1);
    this.min = checkCount('new Pool()', 'options.min', options.min ?? 0);
    if (this.min > this.max)
      throw new RangeError('new Pool(): `options.min` must not exceed `options.max`');
    this.#idleTimeout = checkDelay(
      'new Pool()',
      'options.idleTimeout',
      options.idleTimeout ?? Infinity,
    );
    this.#acquireTimeout = checkDelay(
      'new Pool()',
      'options.acquireTimeout',
      options.acquireTimeout ?? Infinity,
    );
    this.#options = options;
    this.#waiters = new ParkingLot<T | typeof SLOT>({
      // A waiter cancelled as it is served: its resource or its slot goes on.
      onUnclaimed: (value) => {
        if (value === SLOT) {
          this.#size--;
          this.#passSlot();
        } else this.#giveBack(value);
      },
    });
  }

  /**
   * Lends a resource: an idle one, a new one, or the next one returned.
   *
   * **Cancellation:** always a cancellation point; a waiter cancelled as a resource
   * is handed to it passes it on; one cancelled while `validate` or `create` runs
   * gives the resource (or its slot) back. Calling again loses nothing.
   *
   * @throws {TimeoutError} after `acquireTimeout` ms of waiting.
   * @throws {InvalidStateError} once the pool is draining.
   */
  async acquire(options?: SignalOptions): Promise<PoolLease<T>> {
    enterWait('Pool.acquire()', options);
    this.#loop = currentLoop();
    for (;;) {
      if (this.#draining) throw new InvalidStateError('Pool.acquire(): the pool is draining');
      const idle = this.#idle.size > 0 ? this.#idle.pop() : null;
      if (idle !== null) {
        if (this.#options.validate === undefined || (await this.#validate(idle.resource))) {
          return this.#lend(idle.resource);
        }
        this.#size--;
        this.#passSlot();
        await this.#options.destroy?.(idle.resource);
        continue;
      }
      if (this.#size < this.max && this.#waiters.size === 0) return this.#create();
      const got =
        this.#acquireTimeout === Infinity
          ? await this.#waiters.park('Pool.acquire', options?.signal)
          : await timeout(this.#acquireTimeout, () =>
              this.#waiters.park('Pool.acquire', options?.signal),
            );
      return got === SLOT ? this.#create(true) : this.#lend(got);
    }
  }

  // While `validate` runs, the resource belongs to nobody: if it throws (the
  // acquirer was cancelled inside it, say), the resource goes back (#11: its slot
  // leaked, and the pool could never lend again). A validate that fails with a
  // real error is treated as a falsy answer would be after the error is thrown:
  // the resource is destroyed in the background and its slot freed.
  async #validate(resource: T): Promise<unknown> {
    try {
      return await (this.#options.validate as (resource: T) => unknown)(resource);
    } catch (error) {
      if (isCancellation(error)) {
        this.#giveBack(resource);
      } else {
        this.#size--;
        this.#passSlot();
        this.#destroyInBackground(resource);
      }
      throw error;
    }
  }

  // `reserved`: the slot was reserved for this caller when it was woken.
  async #create(reserved = false): Promise<PoolLease<T>> {
    if (!reserved) this.#size++;
    let resource: T;
    try {
      resource = await this.#options.create();
    } catch (error) {
      this.#size--;
      this.#passSlot();
      throw error;
    }
    return this.#lend(resource);
  }

  #lend(resource: T): PoolLease<T> {
    this.#inUse++;
    return PoolLease._lend(this, resource);
  }

  /**
   * Runs `fn(resource)` on a lent resource. The resource goes back to the pool if
   * `fn` returns, and is destroyed if it throws.
   *
   * **Cancellation:** as `acquire()` while it waits (nothing is lent then). A
   * cancellation inside `fn` is a throw like any other: the resource, which `fn`
   * may have left half-used, is destroyed rather than lent again.
   */
  async use<R>(fn: (resource: T) => R | PromiseLike<R>, options?: SignalOptions): Promise<R> {
    checkFunction('Pool.use()', 'fn', fn);
    checkSignalOptions('Pool.use()', options);
    const lease = await this.acquire(options);
    let value: R;
    try {
      value = await fn(lease.value);
    } catch (error) {
      await lease.discard();
      throw error;
    }
    lease.release();
    return value;
  }

  // Invariant: #inUse counts the leases lent and not yet returned; a resource
  // handed to a waiter is counted again when that waiter's lease is made.

  /** @internal A lease came back. */
  _return(resource: T): void {
    this.#inUse--;
    this.#giveBack(resource);
    if (this.#inUse === 0) this.#allBack?.set();
  }

  // A free resource goes to the first waiter, else to the idle list (newest last).
  #giveBack(resource: T): void {
    if (this.#draining) {
      this.#size--;
      this.#destroyInBackground(resource);
    } else if (!this.#waiters.wakeOne(resource)) {
      this.#idle.push({ resource, since: this.#loop?.time() ?? 0 });
      this.#armEviction();
    }
  }

  /** @internal A lease came back broken: destroy the resource and free its slot. */
  async _discard(resource: T): Promise<void> {
    this.#inUse--;
    this.#size--;
    this.#passSlot();
    if (this.#inUse === 0) this.#allBack?.set();
    await this.#options.destroy?.(resource);
  }

  // A freed slot goes to the first waiter, reserved at once (counted in #size),
  // so no acquire() can take it before that waiter resumes and creates its
  // resource (fuzzer finding, #11: the pool then held more than max).
  #passSlot(): void {
    if (!this.#draining && this.#size < this.max && this.#waiters.wakeOne(SLOT)) this.#size++;
  }

  #armEviction(): void {
    const loop = this.#loop;
    if (loop === null || this.#timer !== null || this.#idleTimeout === Infinity) return;
    const oldest = this.#idle.peek();
    if (oldest === undefined || this.#size <= this.min) return;
    this.#timer = loop.callAt(oldest.since + this.#idleTimeout, () => {
      this.#timer = null;
      this.#evict();
    });
  }

  #evict(): void {
    const now = (this.#loop as EventLoop).time();
    for (
      let oldest = this.#idle.peek();
      oldest !== undefined && this.#size > this.min;
      oldest = this.#idle.peek()
    ) {
      if (oldest.since + this.#idleTimeout > now) break;
      this.#idle.shift();
      this.#size--;
      this.#destroyInBackground(oldest.resource);
    }
    this.#armEviction();
  }

  // A destroy nobody awaits: its failure, thrown or rejected, is reported.
  #destroyInBackground(resource: T): void {
    let result: unknown;
    try {
      result = this.#options.destroy?.(resource);
    } catch (error) {
      this.#report(error);
      return;
    }
    void Promise.resolve(result).catch((error: unknown) => {
      this.#report(error);
    });
  }

  #report(error: unknown): void {
    (this.#loop ?? currentLoop()).callExceptionHandler({
      message: 'Pool: destroying a resource failed',
      error,
    });
  }

  /**
   * Stops lending (waiting and later `acquire()`s throw `InvalidStateError`), waits
   * until every lease is back, then destroys every resource.
   *
   * **Cancellation:** the wait for the leases is a cancellation point.
   */
  async drain(options?: SignalOptions): Promise<void> {
    checkSignalOptions('Pool.drain()', options);
    this.#draining = true;
    this.#waiters.failAll(() => new InvalidStateError('Pool.acquire(): the pool is draining'));
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#inUse > 0) {
      this.#allBack ??= new Event();
      await this.#allBack.wait(options);
    }
    const errors: unknown[] = [];
    while (this.#idle.size > 0) {
      const { resource } = this.#idle.pop();
      this.#size--;
      try {
        await this.#options.destroy?.(resource);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0)
      throw errors.length === 1
        ? errors[0]
        : new AggregateError(errors, 'Pool.drain(): destroying resources failed');
  }

  statistics(): PoolStatistics {
    return Object.freeze({
      size: this.#size,
      idle: this.#idle.size,
      inUse: this.#inUse,
      max: this.max,
      tasksWaiting: this.#waiters.size,
    });
  }

  [inspectSymbol](): string {
    return show(
      'Pool',
      [`${this.#inUse}/${this.max} in use`, ...(this.#draining ? ['draining'] : [])],
      {
        idle: this.#idle.size,
        waiters: this.#waiters.size,
      },
    );
  }
}
