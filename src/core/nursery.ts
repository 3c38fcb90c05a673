/**
 * A nursery (Trio's word): a set of helper tasks owned by the code that opened
 * it, under a cancel node of its own below that code's. A cancellation of the
 * opener reaches them; `cancel()` reaches exactly them; `join()` waits for them
 * as a corio wait that is not a cancellation point (virtual time moves while
 * their cleanup sleeps); `close()` does both. What `TaskGroup`, `map` with
 * concurrency, `merge`/`buffer`/`flatMap`, `asCompleted` and a server's
 * connection handlers are built on, and what a third-party operator uses to own
 * tasks of its own (`corio/lowlevel`).
 *
 * A helper task's outcome goes to its `onEnd` callback at the moment it ends,
 * before anyone awaiting it resumes. Without `onEnd`, a helper's error is any
 * task's: reported through the loop's exception handler if nobody retrieves it
 * (awaits the task, reads `result()`), so it is never lost.
 *
 * Invariants:
 * - `#living` counts the helpers spawned and not yet ended.
 * - The node is attached iff the nursery is open (`closed` is false): `exit()`
 *   detaches it, after which nothing can be spawned into it.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { Nursery } from 'corio/lowlevel';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const nursery = new Nursery();
 *   for (const ms of [30, 10, 20]) {
 *     nursery.spawn(async () => {
 *       try { await sleep(ms); console.log('helper', ms, 'done'); }
 *       finally { if (ms === 30) console.log('helper 30 cancelled'); }
 *     });
 *   }
 *   await sleep(25);
 *   await nursery.close(); // cancels what is left, waits for it
 *   nursery.exit();
 *   console.log('closed at', 25, 'living:', nursery.size);
 * }, { clock: new VirtualClock() });
 * // => helper 10 done
 * // => helper 20 done
 * // => helper 30 cancelled
 * // => closed at 25 living: 0
 * ```
 * @module
 */
import {
  checkBoolean,
  checkFunction,
  checkOptions,
  checkString,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError, InvalidStateError } from '../errors.js';
import { CancelNode, attach, childTasks, detach, effectiveCancel } from './cancel-node.js';
import { cancelNode, reparent } from './cancel.js';
import { currentNode, runIn } from './context.js';
import { currentLoop } from './loop.js';
import {
  RESOLVED,
  type Suspension,
  UNABORTABLE,
  type WaitKind,
  park,
  suspend,
  wake,
} from './suspend.js';
import { type Task, type TaskFunction, startTask } from './task.js';

export interface NurseryOptions {
  /** When true, cancellations from outside do not reach the helpers (a shielded node). */
  readonly shield?: boolean;
  /**
   * Receives each helper when it ends (unless `spawn()` gave it one of its own):
   * one callback for all, as a task group has, so a spawn allocates nothing for it.
   */
  readonly onEnd?: (task: Task) => void;
}

export interface NurserySpawnOptions<T> {
  /** The helper's name, for task trees and reports. */
  readonly name?: string;
  /**
   * Receives the helper when it ends, before anyone awaiting it resumes; its
   * outcome then counts as received. Without it, a helper's error is reported
   * if nobody retrieves it, as any task's.
   */
  readonly onEnd?: (task: Task<T>) => void;
}

// A nursery's join: not a cancellation point; its helpers end it.
const JOIN: WaitKind = {
  ...UNABORTABLE,
  waitingOn: (s) => childTasks((s.owner as Nursery)._node),
  describe: (s) => String(s.ticket),
};

const NURSERY_OPTIONS = optionNames<NurseryOptions>({ shield: true, onEnd: true });
const SPAWN_OPTIONS = optionNames<NurserySpawnOptions<unknown>>({ name: true, onEnd: true });

export class Nursery {
  /** @internal The nursery's cancel node: parent of its helpers. */
  readonly _node: CancelNode;
  #living = 0;
  #joiner: Suspension<undefined> | null = null;
  #closed = false;
  // Every helper's onEnd, unless it has its own in #ownOnEnd (made on first use:
  // most nurseries give none per helper).
  readonly #onEnd: ((task: Task) => void) | null;
  #ownOnEnd: Map<Task, (task: never) => void> | null = null;

  /**
   * Opens a nursery under the calling code's cancel node (a task, a cancel
   * scope, another nursery), or at the top of the current loop outside tasks.
   */
  constructor(options?: NurseryOptions) {
    checkOptions('new Nursery()', 'options', options, NURSERY_OPTIONS);
    checkBoolean('new Nursery()', 'options.shield', options?.shield);
    if (options?.onEnd !== undefined)
      checkFunction('new Nursery()', 'options.onEnd', options.onEnd);
    this.#onEnd = options?.onEnd ?? null;
    const parent = currentNode();
    const loop = parent === null ? currentLoop() : parent.loop;
    this._node = CancelNode._new(
      loop,
      parent === null ? null : parent.task,
      options?.shield === true,
    );
    attach(this._node, parent);
  }

  /** Helpers spawned and not yet ended. */
  get size(): number {
    return this.#living;
  }

  /** `true` once `exit()` has detached the nursery: nothing more can be spawned. */
  get closed(): boolean {
    return this.#closed;
  }

  /** `true` once the nursery itself was cancelled (by `cancel()`). */
  get cancelCalled(): boolean {
    return this._node.cancelReason !== null;
  }

  /**
   * The `CancelledError` in force for the helpers: the nursery's own
   * cancellation, or one that reached it from outside (its opener's); `null`
   * while they may run on. A helper that ends with this error was cancelled,
   * not failed.
   */
  get cancelReason(): CancelledError | null {
    return effectiveCancel(this._node);
  }

  /**
   * Starts `fn` as a helper task. It starts on the next microtask; in a
   * cancelled nursery (or under a cancelled opener) it ends cancelled without
   * running its function.
   *
   * @throws {InvalidStateError} once the nursery has exited.
   */
  spawn<T>(fn: TaskFunction<T>, options?: NurserySpawnOptions<T>): Task<T> {
    checkFunction('Nursery.spawn()', 'fn', fn);
    checkOptions('Nursery.spawn()', 'options', options, SPAWN_OPTIONS);
    checkString('Nursery.spawn()', 'options.name', options?.name);
    if (options?.onEnd !== undefined)
      checkFunction('Nursery.spawn()', 'options.onEnd', options.onEnd);
    this.#checkOpen('spawn');
    const task = startTask(this._node.loop, fn, options?.name, this._node);
    this.#own(task, options?.onEnd);
    return task;
  }

  /**
   * Moves a living task (started elsewhere, say in its caller's scope, as
   * `TaskGroup.start()` does) into the nursery: it is now a helper, and a
   * cancellation of the nursery reaches it.
   *
   * @throws {InvalidStateError} once the nursery has exited.
   */
  adopt<T>(task: Task<T>, onEnd?: (task: Task<T>) => void): void {
    this.#checkOpen('adopt');
    this.#own(task, onEnd);
    reparent(task, this._node);
  }

  #own<T>(task: Task<T>, onEnd: ((task: Task<T>) => void) | undefined): void {
    const previous = task._owner;
    if (previous instanceof Nursery) previous.#release(task);
    task._owner = this;
    this.#living++;
    if (onEnd !== undefined) (this.#ownOnEnd ??= new Map()).set(task, onEnd);
  }

  /** @internal A helper ended (the task calls its owner first, before its awaiters). */
  _childDone(task: Task): void {
    const onEnd = this.#ownOnEnd?.get(task) ?? this.#onEnd;
    this.#release(task);
    if (onEnd !== null) {
      task._retrieve();
      onEnd(task as never);
    }
  }

  // The task is no longer this nursery's helper: it ended, or moved to another.
  #release(task: Task): void {
    this.#living--;
    this.#ownOnEnd?.delete(task);
    if (this.#living === 0 && this.#joiner !== null) {
      const s = this.#joiner;
      this.#joiner = null;
      wake(s, undefined);
    }
  }

  /**
   * Cancels every helper, now and later spawned ones, with a `CancelledError` of
   * `reason` (a message, or the error itself). Idempotent; the first reason stays.
   */
  cancel(reason: string | CancelledError = 'the nursery was cancelled'): void {
    if (!(reason instanceof CancelledError)) checkString('Nursery.cancel()', 'reason', reason);
    cancelNode(
      this._node,
      reason instanceof CancelledError ? reason : new CancelledError(reason, { source: 'parent' }),
    );
  }

  /**
   * Runs `fn(arg)` inside the nursery's cancel node, as Trio runs a nursery's body
   * inside its scope: a cancellation of the nursery reaches `fn`'s own waits too.
   */
  enter<A, R>(fn: (arg: A) => R, arg: A): R {
    this.#checkOpen('enter');
    return runIn(this._node, fn, arg, undefined);
  }

  /**
   * Waits until every helper has ended. Not a cancellation point: a cancelled
   * caller still waits (the cancellation reached the helpers through the tree).
   *
   * **Cancellation:** not a cancellation point; nothing is lost by it.
   */
  join(description = 'Nursery.join'): Promise<void> {
    if (this.#living === 0) return RESOLVED;
    const s = suspend<undefined>('Nursery.join', this, JOIN, null, description);
    this.#joiner = s;
    return park(s);
  }

  /**
   * Cancels every helper and waits until they have all ended (`cancel()` then
   * `join()`): the one way an operator ends the tasks it started.
   *
   * **Cancellation:** not a cancellation point, as `join()`.
   */
  close(message?: string, description?: string): Promise<void> {
    this.cancel(message);
    return this.join(description);
  }

  /**
   * Detaches the nursery from the tree, once its helpers have ended, and returns
   * the cancellation that reached it from outside, if any (read before the
   * detach, which forgets the parent): a structured construct throws it on exit
   * (#11). Idempotent.
   *
   * @throws {InvalidStateError} while helpers are still living.
   */
  exit(): CancelledError | null {
    if (this.#living > 0) {
      throw new InvalidStateError(
        `Nursery.exit(): ${this.#living} helper task(s) are still living; join() first`,
      );
    }
    const parent = this._node.parent;
    const outer = parent === null ? null : effectiveCancel(parent);
    if (!this.#closed) {
      this.#closed = true;
      detach(this._node);
    }
    return outer;
  }

  #checkOpen(method: string): void {
    if (this.#closed) {
      throw new InvalidStateError(`Nursery.${method}(): the nursery has exited`);
    }
  }
}
