// Hand-written primitives on plain promises: the "raw" baselines, about the
// physical limit a promise-based library can reach. An operation that can
// complete at once returns its value directly (callers still `await` it, one
// microtask); it returns a promise only when it must wait.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';

/** A FIFO ring buffer. */
class Ring<T> {
  #buf: (T | undefined)[] = new Array<T | undefined>(16);
  #head = 0;
  size = 0;

  push(x: T): void {
    if (this.size === this.#buf.length) {
      const old = this.#buf;
      const buf = new Array<T | undefined>(old.length * 2);
      for (let i = 0; i < this.size; i++) buf[i] = old[(this.#head + i) % old.length];
      this.#buf = buf;
      this.#head = 0;
    }
    this.#buf[(this.#head + this.size) % this.#buf.length] = x;
    this.size++;
  }

  shift(): T {
    const x = this.#buf[this.#head] as T;
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#buf.length;
    this.size--;
    return x;
  }
}

/** A bounded FIFO queue: a put hands its item to a waiting getter; a get admits a waiting putter. */
export class RawQueue<T> {
  readonly #items = new Ring<T>();
  readonly #getters = new Ring<(item: T) => void>();
  readonly #putters = new Ring<[T, () => void]>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  put(item: T): Promise<void> | undefined {
    if (this.#getters.size > 0) {
      this.#getters.shift()(item);
      return undefined;
    }
    if (this.#items.size < this.#capacity) {
      this.#items.push(item);
      return undefined;
    }
    return new Promise((resolve) => {
      this.#putters.push([item, resolve]);
    });
  }

  get(): Promise<T> | T {
    if (this.#items.size > 0) {
      const item = this.#items.shift();
      if (this.#putters.size > 0) {
        const [pending, resolve] = this.#putters.shift();
        this.#items.push(pending);
        resolve();
      }
      return item;
    }
    return new Promise((resolve) => {
      this.#getters.push(resolve);
    });
  }
}

/** A FIFO mutex: unlock hands the lock to the oldest waiter. */
export class RawMutex {
  #locked = false;
  readonly #waiters = new Ring<() => void>();

  lock(): Promise<void> | undefined {
    if (!this.#locked) {
      this.#locked = true;
      return undefined;
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  unlock(): void {
    if (this.#waiters.size > 0) this.#waiters.shift()();
    else this.#locked = false;
  }
}

/**
 * The floor of a lock with asyncio's hand-over (W4's `floor-checked`): the FIFO
 * mutex above, with what the contract adds and nothing of corio. A waiter woken
 * with the lock resumes through a reaction that first checks whether it was
 * cancelled meanwhile (it would pass the lock on), so a hand-over is a wake-up
 * plus that reaction, not the wake-up alone; and `acquire()` gives a guard that
 * `using` disposes. Nothing here is ever cancelled: the check costs what it
 * costs when nothing is.
 */
export class RawCheckedMutex {
  #locked = false;
  readonly #waiters = new Ring<(m: RawCheckedMutex) => void>();
  /** Would be a waiter's own cancellation state; never set in the bench. */
  static abandoned = false;

  acquire(): Promise<RawGuard> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(new RawGuard(this));
    }
    return new Promise<RawCheckedMutex>((resolve) => {
      this.#waiters.push(resolve);
    }).then(claim);
  }

  unlock(): void {
    if (this.#waiters.size > 0) this.#waiters.shift()(this);
    else this.#locked = false;
  }
}

// The resumption check: a waiter cancelled after the wake-up passes the lock on.
const claim = (m: RawCheckedMutex): RawGuard => {
  if (RawCheckedMutex.abandoned) {
    m.unlock();
    throw new Error('cancelled');
  }
  return new RawGuard(m);
};

/** What `RawCheckedMutex.acquire()` gives: unlocks once, at the end of a `using` block. */
export class RawGuard implements Disposable {
  #mutex: RawCheckedMutex | null;

  constructor(mutex: RawCheckedMutex) {
    this.#mutex = mutex;
  }

  [Symbol.dispose](): void {
    const mutex = this.#mutex;
    if (mutex === null) return;
    this.#mutex = null;
    mutex.unlock();
  }
}

/** A counting semaphore: a release hands its permit straight to the first waiter. */
export class RawSemaphore {
  #free: number;
  readonly #waiters = new Ring<() => void>();

  constructor(permits: number) {
    this.#free = permits;
  }

  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  release(): void {
    if (this.#waiters.size > 0) this.#waiters.shift()();
    else this.#free++;
  }
}

/**
 * Calls `fn(arg)` with `store` in `als`, the cheapest way the runtime allows: the
 * floors' context entry, so that a library entering a context per task is
 * measured against the best it could do. Where contexts are copied frames (Node
 * 24 and 26), `als.run` copies the frame twice (to enter, and to restore the
 * prior store); an `AsyncResource` holds the caller's frame and puts it back
 * without a copy, so entering costs one copy. In the async_hooks model (Node 20)
 * `als.run` is already the cheap way. corio's core/context.ts does the same.
 */
export function contextEntry<S>(
  als: AsyncLocalStorage<S>,
): <A, R>(store: S, fn: (arg: A) => R, arg: A) => R {
  const probe = new AsyncLocalStorage<number>();
  const resource = new AsyncResource('bench.probe');
  resource.runInAsyncScope(() => {
    probe.enterWith(1);
  });
  const framesAreCopied = resource.runInAsyncScope(() => probe.getStore()) === undefined;
  probe.disable();
  if (!framesAreCopied) return (store, fn, arg) => als.run(store, fn, arg);
  const enterAndCall = <A, R>(store: S, fn: (arg: A) => R, arg: A): R => {
    als.enterWith(store);
    return fn(arg);
  };
  return <A, R>(store: S, fn: (arg: A) => R, arg: A): R =>
    new AsyncResource('bench.context').runInAsyncScope(enterAndCall<A, R>, null, store, fn, arg);
}
