/**
 * Cancel scopes (Trio's `CancelScope`): a region of code that can be cancelled as
 * a whole, by `cancel()` or by a deadline, with every task and wait inside it.
 * Cancellation is level-triggered: once the scope is cancelled, every
 * cancellation point inside it throws `CancelledError` until the scope exits,
 * where the error is caught (`cancelledCaught`). A shielded scope is not reached
 * by cancellations from outside it.
 *
 * @example
 * ```ts
 * import { cancelScope, getRunningLoop, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const result = await cancelScope(async (scope) => {
 *     scope.deadline = loop.time() + 100;
 *     await sleep(1000);
 *     return 'finished';
 *   });
 *   console.log(result, loop.time());
 * }, { clock: new VirtualClock() });
 * // => undefined 100
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkBoolean,
  checkDeadline,
  checkFunction,
  checkOptions,
  checkString,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError, InvalidStateError, isCancellation } from '../errors.js';
import { CancelNode, attach, detach, effectiveCancel } from './cancel-node.js';
import { cancelNode, deliver } from './cancel.js';
import { currentNode, runIn } from './context.js';
import { currentLoop } from './loop.js';
import { rejected } from './suspend.js';
import type { TimerHandle } from './timers.js';

export interface CancelScopeOptions {
  /** Loop time (ms) at which the scope cancels itself; `Infinity` (default) for none. */
  readonly deadline?: number;
  /** When true, cancellations from outside do not reach inside. */
  readonly shield?: boolean;
}

const SCOPE_OPTIONS = optionNames<CancelScopeOptions>({ deadline: true, shield: true });

// The scope's options, for `new CancelScope()` and `cancelScope()` (each names itself).
function checkScopeOptions(fn: string, options: CancelScopeOptions | undefined): number {
  checkOptions(fn, 'options', options, SCOPE_OPTIONS);
  const deadline = options?.deadline ?? Infinity;
  checkDeadline(fn, 'options.deadline', deadline);
  checkBoolean(fn, 'options.shield', options?.shield);
  return deadline;
}

const onDeadline = (scope: unknown): void => {
  (scope as CancelScope)._expire();
};

export class CancelScope extends CancelNode {
  #deadline: number;
  #timer: TimerHandle | null = null;
  #entered = false;
  #cancelledCaught = false;

  constructor(options?: CancelScopeOptions) {
    const deadline = checkScopeOptions('new CancelScope()', options);
    super(currentLoop(), null, options?.shield === true);
    this.#deadline = deadline;
  }

  /** @internal A scope with a deadline its caller has checked (`timeout()` and kin). */
  static _until(deadline: number): CancelScope {
    const scope = new CancelScope();
    scope.#deadline = deadline;
    return scope;
  }

  /**
   * Runs `fn(scope)` inside the scope and returns its value, or `undefined` when the
   * scope's own cancellation cut it short. A scope is entered at most once.
   *
   * **Cancellation:** not a cancellation point itself; `fn`'s are. A cancellation
   * of this scope is caught here; one from outside propagates.
   *
   * @throws {InvalidStateError} if the scope was already entered.
   */
  run<T>(fn: (scope: this) => T | PromiseLike<T>): Promise<T | undefined> {
    return this._run(fn, null, undefined);
  }

  /**
   * @internal `run(fn)`, for `timeout()` and its kin too: when the scope catches
   * its own cancellation, it throws `expired(scope, arg)` (a `TimeoutError`)
   * instead of returning `undefined`; one shared function, so no closure per call. One async frame per scope, not one per layer: a
   * wrapper that awaits `run()` cost W8 a frame, a promise and two hops a call.
   */
  async _run<T>(
    fn: (scope: this) => T | PromiseLike<T>,
    expired: ((scope: CancelScope, arg: number | undefined) => unknown) | null,
    arg: number | undefined,
  ): Promise<T | undefined> {
    checkFunction('CancelScope.run()', 'fn', fn);
    if (this.#entered) {
      throw new InvalidStateError('CancelScope.run(): a cancel scope can be entered only once');
    }
    this.#entered = true;
    const parent = currentNode();
    if (parent !== null) this.loop = parent.loop;
    this.task = parent === null ? null : parent.task;
    attach(this, parent);
    this.loop._instrument?.scopeEntered?.(this, this.task);
    this.#arm();
    try {
      return await runIn(this, fn, this, undefined);
    } catch (error) {
      if (this.#catches(error)) {
        this.#cancelledCaught = true;
        if (expired !== null) throw expired(this, arg);
        return undefined;
      }
      throw error;
    } finally {
      this.#timer?.cancel();
      this.#timer = null;
      detach(this);
      this.loop._instrument?.scopeExited?.(this);
    }
  }

  // A cancellation this scope caused is caught here, unless an outer one also
  // reaches inside: then the outer scope catches it (Trio's rule).
  #catches(error: unknown): boolean {
    if (this.cancelReason === null || !isCancellation(error)) return false;
    return this.shielded || this.parent === null || effectiveCancel(this.parent) === null;
  }

  /**
   * Cancels everything inside the scope: each cancellation point in it throws
   * `CancelledError` until the scope exits. Idempotent; the first reason stays.
   */
  cancel(message?: string): void {
    checkString('CancelScope.cancel()', 'message', message);
    this._cancel(
      new CancelledError(message ?? 'the cancel scope was cancelled', { source: 'explicit' }),
    );
  }

  /** @internal */
  _cancel(reason: CancelledError): void {
    if (this.#entered && !this.live) return;
    if (cancelNode(this, reason)) {
      this.loop._instrument?.scopeCancelled?.(this, reason);
      this.#timer?.cancel();
      this.#timer = null;
    }
  }

  /** @internal The deadline timer fired. */
  _expire(): void {
    this.#timer = null;
    this._cancel(
      new CancelledError(`the deadline ${this.#deadline} passed`, { source: 'deadline' }),
    );
  }

  /**
   * The loop time at which the scope cancels itself (`Infinity`: never). It can be
   * moved at any time, even after it passed; a scope once cancelled stays cancelled.
   */
  get deadline(): number {
    return this.#deadline;
  }

  set deadline(value: number) {
    checkDeadline('CancelScope.deadline', 'deadline', value);
    this.#deadline = value;
    if (this.live) this.#arm();
  }

  #arm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    if (this.cancelReason !== null || this.#deadline === Infinity) return;
    if (this.#deadline <= this.loop.time()) this._expire();
    else this.#timer = this.loop._schedule(this.#deadline, onDeadline, this);
  }

  /** When true, cancellations from outside the scope do not reach inside it. */
  get shield(): boolean {
    return this.shielded;
  }

  set shield(value: boolean) {
    checkBoolean('CancelScope.shield', 'shield', value, true);
    const unshielding = this.shielded && !value;
    this.shielded = value;
    if (unshielding && this.live && this.cancelReason === null) {
      const reason = effectiveCancel(this);
      if (reason !== null) deliver(this, reason);
    }
  }

  /** `true` once `cancel()` was called or the deadline passed. */
  get cancelCalled(): boolean {
    return this.cancelReason !== null;
  }

  /** `true` if the scope caught the `CancelledError` of its own cancellation on exit. */
  get cancelledCaught(): boolean {
    return this.#cancelledCaught;
  }

  [inspectSymbol](): string {
    const state = this.#entered ? (this.live ? 'active' : 'exited') : 'fresh';
    const words = [state];
    if (this.cancelReason !== null) words.push('cancelled');
    if (this.shielded) words.push('shielded');
    return show('CancelScope', words, {
      deadline: this.#deadline === Infinity ? undefined : this.#deadline,
    });
  }
}

/**
 * Runs `fn(scope)` in a new cancel scope (Trio's `with CancelScope()`), returning
 * `fn`'s value, or `undefined` if the scope's own cancellation cut it short.
 *
 * **Cancellation:** see `CancelScope.run`.
 */
export function cancelScope<T>(
  fn: (scope: CancelScope) => T | PromiseLike<T>,
  options?: CancelScopeOptions,
): Promise<T | undefined> {
  // Not async (see CancelScope._run); bad input still rejects rather than throws.
  try {
    checkFunction('cancelScope()', 'fn', fn);
    checkScopeOptions('cancelScope()', options);
    return new CancelScope(options)._run(fn, null, undefined);
  } catch (error) {
    return rejected(error);
  }
}

/**
 * The earliest deadline of the cancel scopes around the calling code, up to the
 * nearest shield (Trio's `current_effective_deadline()`); `Infinity` when none has
 * one, `-Infinity` when the code is already cancelled.
 */
export function currentEffectiveDeadline(): number {
  let deadline = Infinity;
  for (let n = currentNode(); n !== null; n = n.parent) {
    if (n.cancelReason !== null) return -Infinity;
    if (n instanceof CancelScope) deadline = Math.min(deadline, n.deadline);
    if (n.shielded) break;
  }
  return deadline;
}
