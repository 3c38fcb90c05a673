/**
 * The one blocking primitive (Trio's `wait_task_rescheduled` with its `abort_fn`).
 * Every corio operation that waits — sleep, lock and semaphore acquire, event
 * wait, queue get and put, awaiting a task, joining a group — parks through
 * `suspend()`, so cancellation safety and "what does this task await" are written
 * once.
 *
 * A wait goes PARKED → WOKEN (its owner handed it a value or an error) or
 * PARKED → ABORTED (its scope was cancelled, or its signal aborted, and the
 * owner's `abort` hook agreed to withdraw it). Then the waiting code resumes and
 * calls `resumed()`, the level-triggered check: if the task was cancelled between
 * the wake-up and the resumption, the wait throws after all, and the owner's
 * `unclaimed` hook hands on what the waiter was given (docs/design.md: "a waiter cancelled
 * at the moment it is woken passes the wake-up on").
 *
 * Invariants:
 * - A Suspension is linked into its node's wait list iff it is PARKED.
 * - `task._waits` counts the task's PARKED waits; the loop counts a task runnable
 *   iff it is alive with no PARKED wait. Virtual time only moves when no task is
 *   runnable.
 *
 * @example
 * ```ts
 * import { Event, createTask, getRunningLoop, run } from 'corio';
 * import { VirtualClock, waitAllTasksBlocked } from 'corio/testing';
 *
 * await run(async () => {
 *   const event = new Event();
 *   const waiter = createTask(() => event.wait());
 *   await waitAllTasksBlocked();
 *   console.log(getRunningLoop().statistics().tasksRunnable, event.statistics().tasksWaiting);
 *   waiter.cancel(); // the parked wait is withdrawn at once
 *   console.log(event.statistics().tasksWaiting);
 *   await Promise.resolve(waiter).catch((err: Error) => console.log(err.name));
 * }, { clock: new VirtualClock() });
 * // => 1 1
 * // => 0
 * // => CancelledError
 * ```
 * @module
 */
import { checkSignalOptions } from '../_internal/validate.js';
import { CancelledError } from '../errors.js';
import { type CancelNode, cancelsInForce, effectiveCancel } from './cancel-node.js';
import { currentNode } from './context.js';
import type { WaitOutcome } from './instrument.js';
import { heldResume } from './scheduler.js';
import type { Task } from './task.js';

const PARKED = 0;
const WOKEN = 1;
const ABORTED = 2;

/** What a waiting primitive tells the kernel about its waits. One object per kind of wait. */
export interface WaitKind {
  /**
   * Called synchronously when the waiting task's scope is cancelled (or its signal
   * aborts). Return true when the wait is withdrawn (it then rejects with the
   * CancelledError), false when it must go on and will be woken later.
   */
  abort(s: Suspension): boolean;
  /** A woken waiter's task was cancelled before it resumed: hand on what it was given. */
  unclaimed?(s: Suspension): void;
  /**
   * Not a cancellation point: may park in a cancelled scope, and resumes without
   * throwing there (a group's join).
   */
  readonly uncancellable?: boolean;
  /**
   * Formats what the wait is for from the Suspension (`sleep(500)`), when asked:
   * most waits are never described, so the string is not built per wait.
   */
  describe?(s: Suspension): string;
  /**
   * For introspection (task trees, deadlock reports): the tasks that can end the
   * wait (a lock's holder, an awaited task, a group's children), or null when
   * something outside the loop's tasks can (a timer, a host promise). Undefined:
   * any task can (an event, a queue).
   */
  waitingOn?(s: Suspension): readonly Task[] | null;
  /**
   * The wake-up completes the operation and cannot be undone (a receiver took the
   * sender's value): a woken wait then returns even if its task was cancelled
   * meanwhile, and the cancellation is thrown at the task's next checkpoint.
   */
  readonly committed?: boolean;
  /**
   * The wait's own promise is the one its caller awaits, fulfilled with the wake
   * value itself: no reaction runs between the wake-up and the caller (one
   * promise and one microtask fewer per wait: `sleep`, bench W5). Only for a
   * `committed` kind, which has no resumption check to run.
   */
  readonly direct?: boolean;
}

/** One parked wait: a node in its scope's wait list and in its owner's own list. */
export class Suspension<T = unknown> {
  state = PARKED;
  /**
   * Settles when the wait ends, rejected when aborted or failed. When the waiting
   * method ended it with `parkThen`, it is the caller's own promise (or, for a
   * primitive's `run()`, the one its reaction hangs on), fulfilled with what
   * `onWoken` returns; otherwise it is fulfilled with the Suspension
   * itself (the wake value travels in `value`: resolving a promise with a
   * thenable, a Task or a queued promise, would adopt it).
   */
  readonly promise: Promise<unknown>;
  resolve!: (self: unknown) => void;
  reject!: (error: unknown) => void;
  /** The node the wait began in; null outside every loop. */
  readonly node: CancelNode | null;
  prevWait: Suspension | null = null;
  nextWait: Suspension | null = null;
  /** Links for the owner's list (a ParkingLot, a task's awaiters). */
  prev: Suspension | null = null;
  next: Suspension | null = null;
  /** The waiting primitive: a lock, a timer handle, a task… read by its WaitKind. */
  owner: unknown;
  readonly kind: WaitKind;
  // What the task awaits; the kind's describe() may complete it (see description).
  readonly #what: string;
  readonly signal: AbortSignal | null;
  /** The value it was woken with (the item handed to a getter). */
  value: T | undefined = undefined;
  /** What the waiter brings (the item a putter waits to put, a limiter's borrower). */
  ticket: unknown = undefined;
  /**
   * What the waiting method needs again once woken, when that is more than the
   * wake value and the ticket (the function a primitive's `run()` is to call):
   * kept here, a reaction shared by every wait finds it with no closure per wait.
   * The kernel never reads it.
   */
  arg: unknown = undefined;
  /** What ends the wait once woken (see parkThen): its result fulfils `promise`. */
  onWoken: ((s: never) => unknown) | null = null;
  /** What a failed wait's error becomes, if not a rejection (see parkThen). */
  onFailed: ((error: unknown, s: never) => unknown) | null = null;

  constructor(
    node: CancelNode | null,
    owner: unknown,
    kind: WaitKind,
    description: string,
    signal: AbortSignal | null,
  ) {
    this.node = node;
    this.owner = owner;
    this.kind = kind;
    this.#what = description;
    this.signal = signal;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /**
   * The task that waits; null outside every loop. Read from the node, not kept:
   * a field per wait costs every wait (bench W5, a sleep per item).
   */
  get task(): Task | null {
    return this.node === null ? null : this.node.task;
  }

  /** What the task awaits, for humans: `sleep(500)`, `Lock.acquire`, `await Task-3`. */
  get description(): string {
    return this.kind.describe === undefined ? this.#what : this.kind.describe(this);
  }

  get parked(): boolean {
    return this.state === PARKED;
  }

  get woken(): boolean {
    return this.state === WOKEN;
  }
}

// The parked waits that use one AbortSignal, behind a single 'abort' listener.
// A listener per wait made Node warn of a leak (MaxListenersExceededWarning)
// once 11 waits shared a signal: 16 workers each waiting on one queue with the
// job's signal is no leak. The listener leaves when its last wait does, so a
// long-lived signal keeps none.
class SignalWaits {
  readonly #signal: AbortSignal;
  readonly waits = new Set<Suspension>();

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  // Aborts them in the order they parked, as listeners of their own would have
  // run (all at the place of the first one's, among the signal's other
  // listeners). Each leaves the set as it is released (a Set's iteration allows
  // that). A wait whose abort throws (a third party's kind, an instrument) does
  // not keep the others parked: its loop's exception handler gets the error
  // (outside every loop, the signal reports it once all are aborted, as it
  // would a listener's own).
  handleEvent(): void {
    let failed = false;
    let first: unknown;
    for (const s of this.waits) {
      try {
        abortSuspension(s, signalCancel(this.#signal));
      } catch (error) {
        if (s.node !== null) {
          s.node.loop.callExceptionHandler({
            message: 'a wait threw when its signal aborted it',
            error,
            ...(s.task === null ? {} : { task: s.task }),
          });
        } else if (!failed) {
          failed = true;
          first = error;
        }
      }
    }
    if (failed) throw first;
  }
}

const signalWaits = new WeakMap<AbortSignal, SignalWaits>();

function watchSignal(signal: AbortSignal, s: Suspension): void {
  let entry = signalWaits.get(signal);
  if (entry === undefined) {
    entry = new SignalWaits(signal);
    signalWaits.set(signal, entry);
    signal.addEventListener('abort', entry);
  }
  entry.waits.add(s);
}

function unwatchSignal(signal: AbortSignal, s: Suspension): void {
  const entry = signalWaits.get(signal);
  if (entry === undefined || !entry.waits.delete(s) || entry.waits.size > 0) return;
  signalWaits.delete(signal);
  signal.removeEventListener('abort', entry);
}

function linkWait(node: CancelNode, s: Suspension): void {
  s.prevWait = node.lastWait;
  s.nextWait = null;
  if (node.lastWait === null) node.firstWait = s;
  else node.lastWait.nextWait = s;
  node.lastWait = s;
}

function unlinkWait(node: CancelNode, s: Suspension): void {
  if (s.prevWait === null) node.firstWait = s.nextWait;
  else s.prevWait.nextWait = s.nextWait;
  if (s.nextWait === null) node.lastWait = s.prevWait;
  else s.nextWait.prevWait = s.prevWait;
  s.prevWait = null;
  s.nextWait = null;
}

/** The CancelledError for a wait whose `signal` aborted. */
export function signalCancel(signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledError) return reason;
  return new CancelledError('the operation was aborted by its signal', {
    source: 'signal',
    cause: reason,
  });
}

/**
 * Throws the CancelledError in force for the calling code (its scope's, or its
 * signal's), if any. The checkpoint test every async corio API starts with.
 * While nothing is cancelled anywhere it does not look up where it runs, so it
 * costs next to nothing on the paths that do not wait (`currentCancelNode()`
 * tells where the code runs).
 */
export function throwIfCancelled(signal?: AbortSignal | null): void {
  if (cancelsInForce() !== 0) {
    const node = currentNode();
    if (node !== null) {
      const reason = effectiveCancel(node);
      if (reason !== null) throw reason;
    }
  }
  if (signal != null && signal.aborted) throw signalCancel(signal);
}

/** The options every waiting method takes: `{ signal }`, to wait outside tasks too. */
export interface SignalOptions {
  /** Stop waiting (with `CancelledError`) when this signal aborts. */
  readonly signal?: AbortSignal;
}

/**
 * The opening of every waiting method: checks its `options` (`undefined`, or
 * `{ signal }` with an `AbortSignal`), then `throwIfCancelled(options.signal)`.
 * Bad options throw a `TypeError` naming `fn`; a waiting method that is a plain
 * function catches and rejects.
 */
export function enterWait(fn: string, options: SignalOptions | undefined): void {
  if (options === undefined) {
    throwIfCancelled(null);
    return;
  }
  checkSignalOptions(fn, options);
  throwIfCancelled(options.signal);
}

/**
 * Parks the calling code. Throws at once, registering nothing, when it is already
 * cancelled. The caller then links the Suspension into its own structure, awaits
 * `s.promise`, calls `resumed(s)`, and reads what it was woken with in `s.value`.
 */
export function suspend<T>(
  description: string,
  owner: unknown,
  kind: WaitKind,
  signal?: AbortSignal | null,
  ticket?: unknown,
): Suspension<T> {
  const node = parkingNode(kind, signal);
  return register(new Suspension<T>(node, owner, kind, description, signal ?? null), ticket);
}

/**
 * `suspend()` in two halves, for a wait that is a subclass of Suspension (a
 * sleep's own timer entry, timers.ts): the node the calling code would park in,
 * after the same check (it throws, registering nothing, when already cancelled).
 */
export function parkingNode(kind: WaitKind, signal?: AbortSignal | null): CancelNode | null {
  const node = currentNode();
  if (kind.uncancellable !== true) {
    if (node !== null && cancelsInForce() !== 0) {
      const reason = effectiveCancel(node);
      if (reason !== null) throw reason;
    }
    if (signal != null && signal.aborted) throw signalCancel(signal);
  }
  return node;
}

/** The other half: parks `s`, made for the node `parkingNode()` gave. */
export function register<S extends Suspension>(s: S, ticket: unknown): S {
  // Set before the instrument sees the wait: a kind's describe() may read it.
  s.ticket = ticket;
  const node = s.node;
  if (node !== null) {
    linkWait(node, s);
    const task = node.task;
    if (task !== null) {
      if (task._waits++ === 0) task.loop._taskBlocked();
      task.loop._instrument?.taskSuspended?.(task, s);
    }
  }
  if (s.signal !== null) watchSignal(s.signal, s);
  return s;
}

// Ends a parked wait's bookkeeping (every way out of PARKED goes through here),
// and tells the loop's instrument how it ended.
function release(s: Suspension, outcome: WaitOutcome): void {
  const node = s.node;
  if (node !== null) {
    unlinkWait(node, s);
    const task = node.task;
    if (task !== null) {
      // A task that ended with a wait still parked (reaped, unabortable) is no
      // longer counted by its loop.
      if (--task._waits === 0 && task.live) task.loop._taskUnblocked();
      task.loop._instrument?.taskWoken?.(task, s, outcome);
    }
  }
  if (s.signal !== null) unwatchSignal(s.signal, s);
}

/** Wakes a parked wait with a value. Returns false if it was no longer parked. */
export function wake<T>(s: Suspension<T>, value: T): boolean {
  if (s.state !== PARKED) return false;
  s.state = WOKEN;
  s.value = value;
  release(s, 'value');
  // The scheduler hook (scheduler.ts): off, one null check per wake-up.
  const node = s.node;
  if (node === null || node.loop._scheduler === null) resumeWoken(s);
  else node.loop._scheduler.hold(heldResume(node.loop, s, 0, undefined, resumeHeld));
  return true;
}

// A woken wait's caller goes on: its promise settles (now, or in the next drain
// of onWoken reactions).
function resumeWoken(s: Suspension): void {
  if (s.onWoken === null) s.resolve(s.kind.direct === true ? s.value : s);
  else queueResume(s);
}

// A failed wait's caller goes on: a rejection now, or its onFailed in the next
// drain, as a woken wait's onWoken (the resumption check then runs when the
// caller resumes, not when the owner failed it). The error rides in `value`.
function resumeFailed(s: Suspension, error: unknown): void {
  if (s.onFailed === null) {
    s.reject(error);
    return;
  }
  s.value = error;
  s.onWoken = runOnFailed;
  queueResume(s);
}

const runOnFailed = (s: Suspension): unknown =>
  (s.onFailed as (error: unknown, s: Suspension) => unknown)(s.value, s);

// A resumption a scheduler held (scheduler.ts) goes on: 0 woken, 1 failed, 2 aborted.
function resumeHeld(s: Suspension, outcome: number, error: unknown): void {
  if (outcome === 0) resumeWoken(s);
  else if (outcome === 1) resumeFailed(s, error);
  else s.reject(error);
}

/** Wakes a parked wait with an error. Returns false if it was no longer parked. */
export function fail(s: Suspension, error: unknown): boolean {
  if (s.state !== PARKED) return false;
  s.state = WOKEN;
  release(s, 'error');
  const node = s.node;
  if (node === null || node.loop._scheduler === null) resumeFailed(s, error);
  else node.loop._scheduler.hold(heldResume(node.loop, s, 1, error, resumeHeld));
  return true;
}

// Woken waits whose caller's promise is settled by their onWoken, in wake order:
// one microtask runs them all (a promise reaction per wait, and the promise it
// makes, cost a third of a wait). Two arrays take turns, so a drain allocates
// none: each keeps its capacity, with its own count (`length = 0` drops an
// array's backing store, and the next push allocates one again: 150 bytes a
// drain, and a contended lock's drain holds one wait, bench W4). Only an array
// a burst made large is let go, so a burst does not hold memory for good.
const KEPT_CAPACITY = 1024;
let resumes: (Suspension | null)[] = [];
let resumeCount = 0;
let spare: (Suspension | null)[] = [];
let drainQueued = false;

function queueResume(s: Suspension): void {
  if (resumeCount < resumes.length) resumes[resumeCount] = s;
  else resumes.push(s);
  resumeCount++;
  if (!drainQueued) {
    drainQueued = true;
    // A promise reaction, not queueMicrotask: Node wraps each queued microtask
    // in an AsyncResource, which cost more than the reaction it saved (W4).
    void RESOLVED.then(drainResumes);
  }
}

// Runs each woken wait's onWoken (it starts with resumed(s), the level-triggered
// check) and settles the caller's promise with the result. Waits woken while it
// runs wait for the next drain, as a reaction queued then would run after these.
function drainResumes(): void {
  const batch = resumes;
  const count = resumeCount;
  resumes = spare;
  resumeCount = 0;
  drainQueued = false;
  for (let i = 0; i < count; i++) {
    const s = batch[i] as Suspension;
    batch[i] = null;
    let result: unknown;
    try {
      result = (s.onWoken as (s: Suspension) => unknown)(s);
    } catch (error) {
      s.reject(error);
      continue;
    }
    s.resolve(result);
  }
  if (batch.length > KEPT_CAPACITY) batch.length = 0;
  spare = batch;
}

/** Asks the owner to withdraw a parked wait; rejects it with `reason` if it agrees. */
export function abortSuspension(s: Suspension, reason: unknown): void {
  if (s.state !== PARKED || !s.kind.abort(s)) return;
  s.state = ABORTED;
  release(s, 'cancelled');
  const node = s.node;
  if (node === null || node.loop._scheduler === null) s.reject(reason);
  else node.loop._scheduler.hold(heldResume(node.loop, s, 2, reason, resumeHeld));
}

/**
 * The level-triggered check after a woken wait resumes: if its scope or signal was
 * cancelled meanwhile, the owner takes back what it handed over, and this throws.
 */
export function resumed(s: Suspension): void {
  // Not a cancellation point (a join): nothing to check, nothing to hand on.
  if (s.kind.uncancellable === true) return;
  let reason: CancelledError | null = s.node === null ? null : effectiveCancel(s.node);
  if (reason === null && s.signal !== null && s.signal.aborted) reason = signalCancel(s.signal);
  if (reason === null) return;
  if (s.state === WOKEN) {
    if (s.kind.committed === true) return;
    s.kind.unclaimed?.(s);
  }
  throw reason;
}

/**
 * A wait whose owner remembers it in a field: cancellation withdraws it and the
 * owner's `_clear(s)` forgets it. The owner is the suspension's `owner`.
 */
export const CLEAR_ON_ABORT: WaitKind = {
  abort(s) {
    (s.owner as { _clear(s: Suspension): void })._clear(s);
    return true;
  },
};

/** A wait that nothing but its owner ends (a group's join): cancellation does not abort it. */
export const UNABORTABLE: WaitKind = { abort: () => false, uncancellable: true };

/**
 * A kind's `waitingOn` for a wait that only something outside the loop's tasks
 * ends: a timer, a host promise, the next turn of the event loop.
 */
export const endedFromOutside = (): null => null;

/** @internal The onWoken of a plain wait: the resumption check, then the wake value. */
export const afterWait = (s: unknown): unknown => {
  resumed(s as Suspension);
  return (s as Suspension).value;
};

/**
 * The one way a waiting method ends its wait: it returns the wait's own promise to
 * its caller, and once the wait is woken `onWoken(s)` runs (in one microtask with
 * every other wait woken meanwhile) and fulfils it with its result; a wait its
 * owner failed (`fail(s, error)`) becomes `onFailed(error, s)`'s result, run in
 * the same drain, or a rejection with `error`. A wait a cancellation withdrew
 * rejects with the `CancelledError` and calls neither. `onWoken` starts with
 * `resumed(s)`; one shared function per kind of wait, so no closure is made per
 * wait, and no second promise or promise reaction either. Not an `async`
 * function: an async frame per wait cost a third of W5's time.
 *
 * **Cancellation:** as the wait's kind decides: `suspend()` has already checked
 * the caller (it throws before parking a cancelled one), the kind's `abort` hook
 * withdraws a parked wait, and `resumed(s)` in `onWoken` throws for a waiter
 * cancelled after it was woken (handing on through `unclaimed`).
 */
export function parkThen<R>(
  s: Suspension,
  onWoken: (s: never) => R,
  onFailed?: (error: unknown, s: never) => R,
): Promise<R> {
  s.onWoken = onWoken;
  if (onFailed !== undefined) s.onFailed = onFailed;
  return s.promise as Promise<R>;
}

/**
 * Awaits a suspension and applies the resumption check: the common tail of a wait,
 * resolving with the value it was woken with.
 *
 * **Cancellation:** see `parkThen`.
 */
export function park<T>(s: Suspension<T>): Promise<T> {
  return parkThen(s, afterWait) as Promise<T>;
}

/**
 * A promise rejected with `error`, Error or not, as an async function rejects with
 * whatever it threw: what a throw in a waiting method that is not `async` (to
 * spare its frame) becomes, and a failed task's outcome.
 *
 * **Cancellation:** not a wait: already settled.
 */
export function rejected(error: unknown): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(error);
}

/**
 * The fulfilled promise a waiting method returns when it did not have to wait.
 * One for all: a promise is immutable once settled, and whoever awaits it resumes
 * in its own context.
 */
export const RESOLVED: Promise<void> = Promise.resolve();

/** A host promise's wait: cancellation withdraws it; the promise settles it. */
export const PROMISE_WAIT: WaitKind = { abort: () => true, waitingOn: endedFromOutside };

/**
 * Awaits a host promise as a corio wait: the task is parked meanwhile (so a
 * virtual clock moves), and `taskTree()` shows `description`.
 *
 * **Cancellation:** always a cancellation point. Cancellation stops the waiting at
 * once; the promise itself cannot be cancelled and is left to settle unobserved
 * (its rejection is handled, not reported).
 */
export function awaitPromise<T>(
  promise: PromiseLike<T>,
  description: string,
  signal?: AbortSignal | null,
): Promise<T> {
  const s = suspend<T>(description, promise, PROMISE_WAIT, signal);
  promise.then(
    (value) => wake(s, value),
    (error: unknown) => fail(s, error),
  );
  return park(s);
}
