/**
 * `AsyncExitStack` (Python's `contextlib.AsyncExitStack`): a dynamic `await using`.
 * Enter any number of resources, push disposables and callbacks; `aclose()` (or
 * the end of an `await using` block) releases them in reverse order, every one
 * of them even when some fail. Several failures combine as `await using` combines
 * them: a `SuppressedError` whose `error` is the last failure and `suppressed`
 * the one before — the platform's class where it exists (Node 24), corio's own on
 * Node 20.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { AsyncExitStack } from 'corio/iter';
 *
 * const open = (name: string) => ({
 *   name,
 *   async [Symbol.asyncDispose]() { console.log('close', name); },
 * });
 *
 * await run(async () => {
 *   await using stack = new AsyncExitStack();
 *   for (const name of ['a', 'b']) console.log('opened', (await stack.enter(open(name))).name);
 *   stack.callback(() => console.log('callback'));
 * });
 * // => opened a
 * // => opened b
 * // => callback
 * // => close b
 * // => close a
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkFunction, checkMadeBy, describe } from '../_internal/validate.js';
import { throwIfCancelled } from '../core/suspend.js';
import { InvalidStateError } from '../errors.js';

type Cleanup = () => unknown;

/** The shape of `SuppressedError` instances (ES2026's, or corio's on Node 20). */
export interface SuppressedErrorLike extends Error {
  readonly error: unknown;
  readonly suppressed: unknown;
}

/** `SuppressedError`'s constructor: `new SuppressedError(error, suppressed, message?)`. */
export type SuppressedErrorConstructor = new (
  error: unknown,
  suppressed: unknown,
  message?: string,
) => SuppressedErrorLike;

/** `await using`'s error for a cleanup that failed while another error was pending (ES2026). */
class CorioSuppressedError extends Error implements SuppressedErrorLike {
  static {
    this.prototype.name = 'SuppressedError';
  }
  readonly error: unknown;
  readonly suppressed: unknown;

  constructor(
    error: unknown,
    suppressed: unknown,
    message = 'An error was suppressed during disposal.',
  ) {
    super(message);
    this.error = error;
    this.suppressed = suppressed;
  }
}

/**
 * The platform's `SuppressedError` where it exists (Node 24), else corio's class of
 * the same shape (`name`, `error`, `suppressed`).
 */
export const SuppressedError: SuppressedErrorConstructor =
  (globalThis as { SuppressedError?: SuppressedErrorConstructor }).SuppressedError ??
  CorioSuppressedError;

function disposerOf(fn: string, resource: unknown): Cleanup {
  if (resource !== null && (typeof resource === 'object' || typeof resource === 'function')) {
    const asyncDispose = (resource as Partial<AsyncDisposable>)[Symbol.asyncDispose];
    if (typeof asyncDispose === 'function') return () => asyncDispose.call(resource);
    const dispose = (resource as Partial<Disposable>)[Symbol.dispose];
    if (typeof dispose === 'function') {
      return () => {
        dispose.call(resource);
      };
    }
  }
  throw new TypeError(
    `${fn}: \`resource\` must be disposable (Symbol.asyncDispose or Symbol.dispose), got ${describe(resource)}`,
  );
}

export class AsyncExitStack implements AsyncDisposable {
  #cleanups: Cleanup[] = [];
  #closed = false;

  /**
   * Registers `resource` for release and returns what it holds: the `value` of an
   * async context manager handle, else the resource itself. Accepts a promise of
   * one (awaited first).
   *
   * **Cancellation:** always a cancellation point, checked after the resource is
   * registered: a cancelled caller gets `CancelledError`, and the resource it
   * handed over is still released when the stack closes.
   *
   * @throws {TypeError} if the resource is not disposable.
   */
  async enter<R>(
    resource: R | PromiseLike<R>,
  ): Promise<R extends { readonly value: infer V } ? V : R> {
    this.#checkOpen('enter');
    const r = await resource;
    const release = disposerOf('AsyncExitStack.enter()', r);
    if (this.#isClosed()) {
      // aclose() ran while the resource was being awaited: nobody would ever
      // release it on this stack, so it is released here, before the throw.
      await release();
      throw new InvalidStateError(
        'AsyncExitStack.enter(): the stack was closed while the resource was being entered; it was released',
      );
    }
    this.#cleanups.push(release);
    // A cancellation point (#11), after the registration: the resource is already
    // open, so a cancelled caller's stack still releases it when it closes.
    throwIfCancelled();
    const held = r instanceof ContextManagerHandle ? (r.value as unknown) : r;
    return held as R extends { readonly value: infer V } ? V : R;
  }

  /** Registers a disposable (sync or async) and returns it. */
  push<D extends AsyncDisposable | Disposable>(disposable: D): D {
    this.#checkOpen('push');
    this.#cleanups.push(disposerOf('AsyncExitStack.push()', disposable));
    return disposable;
  }

  /** Registers `fn(...args)` to run at release (it may be async). */
  callback<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    checkFunction('AsyncExitStack.callback()', 'fn', fn);
    this.#checkOpen('callback');
    this.#cleanups.push(() => fn(...args));
  }

  /** Moves every registration to a new stack, leaving this one empty (Python's `pop_all`). */
  popAll(): AsyncExitStack {
    const stack = new AsyncExitStack();
    stack.#cleanups = this.#cleanups;
    this.#cleanups = [];
    return stack;
  }

  /**
   * Releases everything, newest first; each release runs even if an earlier one
   * failed. Idempotent.
   *
   * **Cancellation:** not a cancellation point itself, and the releases are not
   * shielded: a release that awaits a corio wait in a cancelled task throws, and
   * the next release still runs. Wrap cleanup that must finish in
   * `cancelScope(fn, { shield: true })`.
   *
   * @throws the failure of a release, or a `SuppressedError` chain of several.
   */
  async aclose(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const cleanups = this.#cleanups;
    this.#cleanups = [];
    let failed = false;
    let pending: unknown;
    for (let i = cleanups.length - 1; i >= 0; i--) {
      try {
        await (cleanups[i] as Cleanup)();
      } catch (error) {
        pending = failed ? new SuppressedError(error, pending) : error;
        failed = true;
      }
    }
    if (failed) throw pending;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  // A method, not the field: the read after an await must not be narrowed away.
  #isClosed(): boolean {
    return this.#closed;
  }

  #checkOpen(method: string): void {
    if (this.#closed)
      throw new InvalidStateError(`AsyncExitStack.${method}(): the stack is closed`);
  }

  [inspectSymbol](): string {
    return show('AsyncExitStack', [this.#closed ? 'closed' : 'open'], {
      cleanups: this.#cleanups.length,
    });
  }
}

/**
 * What an `asyncContextManager` function resolves to: an `AsyncDisposable` holding
 * the generator's yielded value.
 */
export class ContextManagerHandle<T> implements AsyncDisposable {
  /** The value the generator yielded. */
  readonly value: T;
  readonly #generator: AsyncGenerator<T, unknown, undefined>;
  #exited = false;

  /** @internal Made by asyncContextManager(). */
  static _entered<T>(
    value: T,
    generator: AsyncGenerator<T, unknown, undefined>,
  ): ContextManagerHandle<T> {
    return new ContextManagerHandle(value, generator);
  }

  private constructor(value: T, generator: AsyncGenerator<T, unknown, undefined>) {
    checkMadeBy(
      'new ContextManagerHandle()',
      typeof (generator as Partial<AsyncGenerator> | undefined)?.next === 'function',
      'a function made by asyncContextManager()',
    );
    this.value = value;
    this.#generator = generator;
  }

  /**
   * Resumes the generator after its `yield`, so its cleanup runs.
   *
   * @throws {InvalidStateError} if the generator yields a second time.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#exited) return;
    this.#exited = true;
    const next = await this.#generator.next();
    if (next.done !== true) {
      await this.#generator.return(undefined);
      throw new InvalidStateError('asyncContextManager(): the generator yielded more than once');
    }
  }
}

/**
 * Turns an async generator function that yields once into a resource factory
 * (Python's `@asynccontextmanager`): code before the `yield` acquires, code after
 * it (put it in `finally`) releases. The factory resolves to a handle for
 * `await using`, whose `value` is what was yielded.
 *
 * JavaScript's `await using` does not pass the block's error to the release, so
 * the generator sees no error at its `yield`: use `finally`, not `catch`.
 *
 * **Cancellation:** calling the factory is a cancellation point: a cancelled
 * caller gets `CancelledError` before the generator starts. A cancellation while
 * the generator acquires (before its `yield`) is thrown from the call; the
 * generator's own `finally` runs.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { asyncContextManager } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * const connection = asyncContextManager(async function* (host: string) {
 *   console.log('connect', host);
 *   try {
 *     yield { host, query: (q: string) => sleep(5, `${q} from ${host}`) };
 *   } finally {
 *     console.log('disconnect', host);
 *   }
 * });
 *
 * await run(async () => {
 *   await using db = await connection('db-1');
 *   console.log(await db.value.query('select 1'));
 * }, { clock: new VirtualClock() });
 * // => connect db-1
 * // => select 1 from db-1
 * // => disconnect db-1
 * ```
 */
export function asyncContextManager<A extends unknown[], T>(
  genFn: (...args: A) => AsyncGenerator<T, unknown, undefined>,
): (...args: A) => Promise<ContextManagerHandle<T>> {
  checkFunction('asyncContextManager()', 'genFn', genFn);
  return async (...args: A) => {
    // A cancellation point (#11): a cancelled caller never starts the generator.
    throwIfCancelled();
    const generator = genFn(...args);
    if (typeof (generator as Partial<AsyncGenerator> | null)?.next !== 'function') {
      throw new TypeError(
        `asyncContextManager(): \`genFn\` must be an async generator function; it returned ${describe(generator)}`,
      );
    }
    const first = await generator.next();
    if (first.done === true) {
      throw new InvalidStateError('asyncContextManager(): the generator returned without yielding');
    }
    return ContextManagerHandle._entered(first.value, generator);
  };
}
