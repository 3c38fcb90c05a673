/**
 * corio's error classes, named as asyncio names them (Trio's where asyncio has none).
 *
 * `CancelledError` is how cancellation travels: let it propagate. A broad `catch`
 * should start with `if (isCancellation(err)) throw err;`.
 *
 * @example
 * ```ts
 * import { CancelledError, ExceptionGroup, TimeoutError, isCancellation } from 'corio';
 *
 * console.log(isCancellation(new CancelledError('stop')), new TimeoutError('slow').name);
 * // => true TimeoutError
 * const group = new ExceptionGroup([new TypeError('a'), new RangeError('b')], 'two failed');
 * console.log(group.errors.length, group instanceof AggregateError);
 * // => 2 true
 * ```
 * @module
 */

/** Who asked for a cancellation (after Trio's `Cancelled.source`). */
export type CancelSource = 'explicit' | 'deadline' | 'group' | 'shutdown' | 'signal' | 'parent';

export interface CancelledErrorOptions {
  readonly source?: CancelSource;
  readonly cause?: unknown;
}

/**
 * The error a cancellation point throws once its task or cancel scope is cancelled
 * (asyncio's `CancelledError`, Trio's `Cancelled`). Let it propagate: the scope or
 * task that was cancelled catches it.
 *
 * It is also the `reason` of every corio `signal`, so APIs that take an
 * `AbortSignal` reject with it.
 */
export class CancelledError extends Error {
  static {
    this.prototype.name = 'CancelledError';
  }
  /** Who asked for the cancellation. */
  readonly source: CancelSource;

  constructor(message = 'the operation was cancelled', options: CancelledErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.source = options.source ?? 'explicit';
  }
}

export interface TimeoutErrorOptions {
  /** The timeout, in ms, that expired. */
  readonly ms?: number | undefined;
  readonly cause?: unknown;
}

/**
 * Thrown by `timeout()`, `timeoutAt()` and `waitFor()` when their own deadline fired.
 * Its `name` is `'TimeoutError'`, the name `AbortSignal.timeout()` uses, so
 * `err.name === 'TimeoutError'` checks work for both.
 */
export class TimeoutError extends Error {
  static {
    this.prototype.name = 'TimeoutError';
  }
  /** The timeout that expired, in ms, when known. */
  readonly ms: number | undefined;

  constructor(message = 'the operation timed out', options: TimeoutErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.ms = options.ms;
  }
}

/** An operation was asked of an object in the wrong state (asyncio's `InvalidStateError`). */
export class InvalidStateError extends Error {
  static {
    this.prototype.name = 'InvalidStateError';
  }
}

/**
 * Debug mode found every task blocked with nothing able to wake one
 * (`run(main, { debug: true })`): `run()` ends with this error instead of hanging.
 * The message is the report; `cycle` names the wait-for cycle when there is one.
 */
export class DeadlockError extends Error {
  static {
    this.prototype.name = 'DeadlockError';
  }
  /** The tasks of the wait-for cycle, with what each waits on between them. */
  readonly cycle: readonly string[] | null;

  constructor(report: string, cycle: readonly string[] | null) {
    super(report);
    this.cycle = cycle;
  }
}

/**
 * Several errors raised together, as Python's `ExceptionGroup`: a task group throws
 * one holding every real error of its children and body. It is an `AggregateError`,
 * so `errors` lists them; `split()` and `subgroup()` work as in Python.
 */
export class ExceptionGroup extends AggregateError {
  static {
    this.prototype.name = 'ExceptionGroup';
  }
  declare readonly errors: unknown[];

  constructor(
    errors: Iterable<unknown>,
    message = 'several errors occurred',
    options?: { cause?: unknown },
  ) {
    super(errors, message, options);
  }

  /**
   * The group of the errors that match `predicate` (looking into nested groups), or
   * `undefined` when none does.
   */
  subgroup(predicate: (error: unknown) => boolean): ExceptionGroup | undefined {
    return this.split(predicate)[0];
  }

  /** `[matching, rest]`, each a group of the same message or `undefined` when empty. */
  split(
    predicate: (error: unknown) => boolean,
  ): [ExceptionGroup | undefined, ExceptionGroup | undefined] {
    const matching: unknown[] = [];
    const rest: unknown[] = [];
    for (const error of this.errors) {
      if (error instanceof ExceptionGroup && !predicate(error)) {
        const [m, r] = error.split(predicate);
        if (m !== undefined) matching.push(m);
        if (r !== undefined) rest.push(r);
      } else {
        (predicate(error) ? matching : rest).push(error);
      }
    }
    const make = (list: unknown[]): ExceptionGroup | undefined =>
      list.length === 0 ? undefined : new ExceptionGroup(list, this.message);
    return [make(matching), make(rest)];
  }
}

/**
 * @internal What an operation whose parts failed throws: nothing for no error,
 * the error itself for one, an ExceptionGroup with `message` for several.
 */
export function throwCollected(errors: readonly unknown[], message: string): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ExceptionGroup(errors, message);
}

/**
 * `true` for a corio `CancelledError` and for the `AbortError` a platform API throws
 * when its signal is aborted (`fetch`, `timers/promises`, streams).
 */
export function isCancellation(error: unknown): boolean {
  if (error instanceof CancelledError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  return name === 'CancelledError' || name === 'AbortError';
}
