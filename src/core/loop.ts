/**
 * The event loop of a `run()` (asyncio's `AbstractEventLoop`, reduced to what a
 * loop on top of Node's own needs): its clock, one timer heap behind one host
 * timer, `callSoon`/`callLater`/`callAt`, the tasks it tracks, and the exception
 * handler that hears about errors nobody else can receive.
 *
 * Scheduling:
 * - tasks start on the next microtask, in creation order (one microtask drains
 *   every pending start);
 * - `callSoon` callbacks and `checkpoint()` resumptions run on the next turn of
 *   Node's event loop (one `setImmediate` per batch), so a task that checkpoints
 *   in a loop lets I/O and timers run, as asyncio's `sleep(0)` does;
 * - timers fire in deadline order, ties in the order they were set.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   loop.callLater(50, () => console.log('later at', loop.time()));
 *   loop.callSoon(() => console.log('soon at', loop.time()));
 *   await sleep(100);
 * }, { clock: new VirtualClock() });
 * // => soon at 0
 * // => later at 50
 * ```
 * @module
 */
import { formatValue, inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkClock,
  checkDeadline,
  checkDelay,
  checkFunction,
  checkObject,
  checkString,
} from '../_internal/validate.js';
import { InvalidStateError } from '../errors.js';
import { CancelNode } from './cancel-node.js';
import { type Clock, SystemClock } from './clock.js';
import type { Instrument } from './instrument.js';
import { type InContext, type Origin, captureOrigin, currentNode, startIn } from './context.js';
import { type Scheduler, heldStart, heldTimer } from './scheduler.js';
import { RESOLVED, Suspension, wake } from './suspend.js';
import type { Task } from './task.js';
import { Handle, type TimedWait, TimerHandle, Timers } from './timers.js';
import { UnretrievedErrors } from './unretrieved.js';

/** What the exception handler is told (asyncio's exception handler context). */
export interface ExceptionContext {
  readonly message: string;
  readonly error?: unknown;
  readonly task?: Task;
}

export type ExceptionHandler = (context: ExceptionContext, loop: EventLoop) => void;

/** A snapshot of a loop's load (after Trio's `current_statistics()`). */
export interface LoopStatistics {
  /** Tasks started or waiting to start, not yet done. */
  readonly tasksLiving: number;
  /** Living tasks not parked in a corio wait. */
  readonly tasksRunnable: number;
  /** Timers in the heap (sleeps, deadlines, `callLater`). */
  readonly timers: number;
  /** `callSoon` callbacks and checkpoints waiting for the next turn. */
  readonly callbacksPending: number;
}

// A user's callback runs in the context it was scheduled in, as asyncio's
// call_soon() runs it in a copy of the caller's context: not in the context of
// whatever queued the loop's turn (context.ts, Origin).
type UserCallback = InContext<() => void>;

const runUserCallback = (cb: unknown): void => {
  (cb as UserCallback).callback();
};

const userCallback = (callback: () => void): UserCallback => ({
  callback,
  origin: captureOrigin(),
});

// A sleep's timer fired: its wait is woken with what the sleep returns (a wait
// no longer parked, cancelled while a scheduler held the step, stays as it is).
const wakeTimed = (s: unknown): void => {
  wake(s as Suspension, (s as Suspension).value);
};

export class EventLoop {
  readonly #clock: Clock;
  // The loop's timers: one heap behind one alarm on the clock (timers.ts).
  readonly #timers: Timers;
  #soon: Handle[] = [];
  #soonScheduled = false;
  readonly #drainSoon = (): void => {
    this.#runSoon();
  };
  #starting: Task[] = [];
  #startScheduled = false;
  readonly #drainStarts = (): void => {
    this.#runStarts();
  };
  #idleScheduled = false;
  readonly #idleCheck = (): void => {
    this.#onIdle();
  };
  #exceptionHandler: ExceptionHandler | null = null;
  #closed = false;
  /** @internal Failed tasks whose error nobody retrieved yet (unretrieved.ts). */
  readonly _unretrieved: UnretrievedErrors = new UnretrievedErrors(this);
  /** @internal The node callbacks run in: no task, never cancelled. */
  readonly _root: CancelNode;
  /** @internal Living tasks, an intrusive list in creation order. */
  _firstTask: Task | null = null;
  /** @internal */ _lastTask: Task | null = null;
  /** @internal */ _tasksLiving = 0;
  /** @internal Living tasks with no parked wait (see suspend.ts). */
  _runnable = 0;
  /** @internal The loop's instrument (see instrument.ts); null: no hook runs. */
  _instrument: Instrument | null = null;
  /** @internal Waiters of waitAllTasksBlocked(), woken when no task is runnable. */
  _blockedWaiters: Suspension[] = [];
  /**
   * @internal The scheduler that orders this loop's steps (see scheduler.ts,
   * `setScheduler()`); null: the loop's own order, at one null check per step.
   */
  _scheduler: Scheduler | null = null;

  constructor(clock: Clock = new SystemClock()) {
    checkClock('new EventLoop()', 'clock', clock);
    this.#clock = clock;
    this.#timers = new Timers(
      this,
      clock,
      () => {
        this.#fireTimers();
      },
      () => {
        this.#timerArmed();
      },
    );
    this._root = CancelNode._new(this, null, true);
    this._root.live = true;
  }

  /** The loop's clock (a `VirtualClock` in tests). */
  get clock(): Clock {
    return this.#clock;
  }

  /** The current loop time in ms, from its clock (asyncio's `loop.time()`). */
  time(): number {
    return this.#clock.now();
  }

  /** `true` once the `run()` that owned the loop has ended. */
  isClosed(): boolean {
    return this.#closed;
  }

  /** Runs `callback` on the next turn of the event loop, after the current callbacks. */
  callSoon(callback: () => void): Handle {
    checkFunction('EventLoop.callSoon()', 'callback', callback);
    return this._soon(runUserCallback, userCallback(callback));
  }

  /** @internal `callSoon()` in a context captured before (a task's done callback). */
  _callSoonIn(origin: Origin, callback: () => void): Handle {
    return this._soon(runUserCallback, { callback, origin });
  }

  /** Runs `callback` once `ms` have passed on the loop's clock. */
  callLater(ms: number, callback: () => void): TimerHandle {
    checkDelay('EventLoop.callLater()', 'ms', ms);
    checkFunction('EventLoop.callLater()', 'callback', callback);
    return this._scheduleIn(ms, runUserCallback, userCallback(callback));
  }

  /** Runs `callback` once the loop time reaches `when`. */
  callAt(when: number, callback: () => void): TimerHandle {
    checkDeadline('EventLoop.callAt()', 'when', when);
    checkFunction('EventLoop.callAt()', 'callback', callback);
    return this._schedule(when, runUserCallback, userCallback(callback));
  }

  /**
   * Sets the handler for errors that no caller can receive: failed tasks whose
   * error nobody retrieved, throwing callbacks. `null` restores the default,
   * which prints the message, the task's name and the error's stack.
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null) checkFunction('EventLoop.setExceptionHandler()', 'handler', handler);
    this.#exceptionHandler = handler;
  }

  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /** Hands `context` to the exception handler (or the default one). */
  callExceptionHandler(context: ExceptionContext): void {
    checkObject('EventLoop.callExceptionHandler()', 'context', context, 'an ExceptionContext');
    checkString('EventLoop.callExceptionHandler()', 'context.message', context.message, true);
    const handler = this.#exceptionHandler;
    if (handler === null) {
      defaultExceptionHandler(context);
      return;
    }
    try {
      handler(context, this);
    } catch (error) {
      defaultExceptionHandler({ message: 'the exception handler threw', error });
      defaultExceptionHandler(context);
    }
  }

  statistics(): LoopStatistics {
    return Object.freeze({
      tasksLiving: this._tasksLiving,
      tasksRunnable: this._runnable,
      timers: this.#timers.size,
      callbacksPending: this.#soon.length,
    });
  }

  [inspectSymbol](): string {
    return show('EventLoop', [this.#closed ? 'closed' : 'running'], {
      tasks: this._tasksLiving,
      timers: this.#timers.size,
    });
  }

  /** @internal Schedules fn(arg) at loop time `when`. */
  _schedule(when: number, fn: (arg: unknown) => void, arg: unknown): TimerHandle {
    const handle = this.#timers.schedule(when, fn, arg);
    this._instrument?.timerSet?.(handle);
    return handle;
  }

  /** @internal Schedules fn(arg) once `ms` have passed (in the list of that duration). */
  _scheduleIn(ms: number, fn: (arg: unknown) => void, arg: unknown): TimerHandle {
    const handle = this.#timers.scheduleIn(ms, fn, arg);
    this._instrument?.timerSet?.(handle);
    return handle;
  }

  /**
   * @internal Wakes `s` with its `value` once `ms` have passed (a sleep). The
   * wait is its own timer entry; with instruments, which are told of timers by
   * their handles, it gets a TimerHandle as any timer.
   */
  _wakeIn(ms: number, s: TimedWait): void {
    if (this._instrument === null) this.#timers.wakeIn(ms, s);
    else s.owner = this._scheduleIn(ms, wakeTimed, s);
  }

  // The clock's alarm rang: run the timers that are due, in deadline order.
  // The clock is read once for the timers due together, not once per timer (a
  // twentieth of W5's time went to performance.now()), and once more when they are
  // done, so that one that came due while they ran fires now too, as before.
  // The scheduler's tie check reads it afresh: a callback may move a virtual
  // clock, and a timer due meanwhile is a tie to order (explore()).
  #fireTimers(): void {
    const timers = this.#timers;
    let now = this.#clock.now();
    for (;;) {
      let top = timers.nextDue(now);
      if (top === null) {
        const later = this.#clock.now();
        if (later === now || (top = timers.nextDue(later)) === null) break;
        now = later;
      }
      if (
        this._scheduler !== null &&
        (this._scheduler.busy() || timers.hasDue(this.#clock.now()))
      ) {
        // One of several things to order (another timer is due too, or steps
        // are held already): held, not run. Its callback runs when the
        // scheduler takes the step, unless it is cancelled before. A lone due
        // timer just fires.
        this._scheduler.hold(
          top instanceof TimerHandle
            ? heldTimer(this, top, top.arg instanceof Suspension ? top.arg : null)
            : // A sleep's own entry: the step gets a handle, as instruments' timers do.
              heldTimer(this, TimerHandle._at(timers, top.when, top.seq, wakeTimed, top), top),
        );
        continue;
      }
      if (top instanceof TimerHandle) {
        this._instrument?.timerFired?.(top);
        this.#fire(top);
      } else {
        this.#invoke(wakeTimed, top);
      }
    }
    timers.rearm();
  }

  // A timer was set while every task is blocked: a virtual clock may now jump to it.
  #timerArmed(): void {
    if (this._runnable === 0) this.#scheduleIdle();
  }

  /** @internal Runs a due timer its scheduler held (scheduler.ts), unless it was cancelled. */
  _runDueTimer(timer: TimerHandle): void {
    if (timer.fn === null) return;
    this._instrument?.timerFired?.(timer);
    this.#fire(timer);
  }

  /** @internal After a held step ran: with no task runnable, look for idleness again. */
  _afterHeldStep(): void {
    if (this._runnable === 0) this.#scheduleIdle();
  }

  // Runs a handle's callback once. The handle forgets it first, and what it was
  // given: a handle the user keeps must not keep the callback's context alive.
  #fire(handle: Handle): void {
    const fn = handle.fn;
    const arg = handle.arg;
    handle.fn = null;
    handle.arg = null;
    if (fn !== null) this.#invoke(fn, arg);
  }

  #invoke(fn: (arg: unknown) => void, arg: unknown): void {
    try {
      if (fn === runUserCallback)
        startIn((arg as UserCallback).origin, this._root, fn, arg, undefined);
      else fn(arg);
    } catch (error) {
      this.callExceptionHandler({ message: 'a loop callback threw', error });
    }
  }

  /** @internal Queues fn(arg) for the next turn of the host event loop. */
  _soon(fn: (arg: unknown) => void, arg: unknown): Handle {
    const handle = Handle._new(fn, arg);
    this.#soon.push(handle);
    if (!this.#soonScheduled) {
      this.#soonScheduled = true;
      setImmediate(this.#drainSoon);
    }
    return handle;
  }

  #runSoon(): void {
    this.#soonScheduled = false;
    // Only what was queued before this turn runs now (asyncio's ready queue).
    const batch = this.#soon;
    this.#soon = [];
    for (const handle of batch) this.#fire(handle);
    if (this._runnable === 0) this.#scheduleIdle();
  }

  /** @internal Queues a task's first step for the next microtask. */
  _queueStart(task: Task): void {
    if (this._scheduler !== null) {
      this._scheduler.hold(heldStart(this, task));
      return;
    }
    this.#starting.push(task);
    if (!this.#startScheduled) {
      this.#startScheduled = true;
      // A promise reaction, not queueMicrotask(), which Node wraps in an
      // AsyncResource per call: a task spawned and awaited at a time starts a
      // batch of its own. Either runs in the context it was queued in, at the
      // same place in the microtask queue.
      void RESOLVED.then(this.#drainStarts);
    }
  }

  #runStarts(): void {
    // Tasks created by the tasks started here join this same batch, in order.
    const queue = this.#starting;
    // One clock read per batch, not per task: the start time task trees show.
    const now = Math.floor(this.#clock.now());
    for (let i = 0; i < queue.length; i++) {
      const task = queue[i] as Task;
      task._startedAt = now;
      // A start throws only if an instrument's hook does. The task then fails
      // with that error, and the rest of the batch still starts: thrown from
      // this promise reaction, it would be a rejection nobody handles, the task
      // would never end, and the loop would start no task again.
      try {
        task._start();
      } catch (error) {
        this.#startFailed(task, error);
      }
    }
    this.#starting = [];
    this.#startScheduled = false;
  }

  #startFailed(task: Task, error: unknown): void {
    try {
      if (!task.done()) task._settle(error, true);
    } catch (again) {
      this.callExceptionHandler({ message: 'starting a task threw', error: again, task });
    }
  }

  /** @internal A new task: tracked, runnable until it first parks. */
  _addTask(task: Task): void {
    if (this.#closed) {
      throw new InvalidStateError(
        'createTask(): the loop is closed; its run() has ended, so start tasks inside run()',
      );
    }
    task._prevTask = this._lastTask;
    if (this._lastTask === null) this._firstTask = task;
    else this._lastTask._nextTask = task;
    this._lastTask = task;
    this._tasksLiving++;
    this._runnable++;
  }

  /** @internal */
  _removeTask(task: Task): void {
    if (task._prevTask === null) this._firstTask = task._nextTask;
    else task._prevTask._nextTask = task._nextTask;
    if (task._nextTask === null) this._lastTask = task._prevTask;
    else task._nextTask._prevTask = task._prevTask;
    task._prevTask = null;
    task._nextTask = null;
    this._tasksLiving--;
    // A task still counted as parked was not counted as runnable.
    if (task._waits === 0) this._taskBlocked();
  }

  /** @internal A task parked, or ended. */
  _taskBlocked(): void {
    if (--this._runnable === 0) this.#scheduleIdle();
  }

  /** @internal A task's last parked wait ended. */
  _taskUnblocked(): void {
    this._runnable++;
  }

  /** @internal */
  _scheduleIdleCheck(): void {
    this.#scheduleIdle();
  }

  #scheduleIdle(): void {
    if (this.#idleScheduled || this.#closed) return;
    if (
      this.#clock.onIdle === undefined &&
      this._blockedWaiters.length === 0 &&
      this._instrument?.loopStalled === undefined
    ) {
      return;
    }
    this.#idleScheduled = true;
    // A macrotask: by the time it runs, every pending microtask has run, so a task
    // woken by a promise has either parked again or is still runnable.
    setImmediate(this.#idleCheck);
  }

  #onIdle(): void {
    this.#idleScheduled = false;
    if (this._runnable > 0 || this.#soon.length > 0 || this.#closed) return;
    // Steps held by a scheduler are work in progress; it calls _afterHeldStep().
    if (this._scheduler?.busy() === true) return;
    if (this._blockedWaiters.length > 0) {
      const waiters = this._blockedWaiters;
      this._blockedWaiters = [];
      for (const s of waiters) wake(s, undefined);
      return;
    }
    if (this.#clock.onIdle?.() === true) {
      if (this._runnable === 0) this.#scheduleIdle();
      return;
    }
    if (this._stalled()) this._instrument?.loopStalled?.();
  }

  /**
   * @internal No task runnable, no callback queued, no timer set, loop open:
   * only something outside the loop (host I/O) can make progress now.
   */
  _stalled(): boolean {
    return (
      this._runnable === 0 && this.#soon.length === 0 && this.#timers.size === 0 && !this.#closed
    );
  }

  /** @internal Every task still living, in creation order. */
  _livingTasks(): Task[] {
    const tasks: Task[] = [];
    for (let t = this._firstTask; t !== null; t = t._nextTask) tasks.push(t);
    return tasks;
  }

  /** @internal Reports unretrieved errors, releases the clock, refuses new tasks. */
  _close(): void {
    this._unretrieved.reportAll();
    this.#closed = true;
    this.#timers.close();
  }
}

function defaultExceptionHandler(context: ExceptionContext): void {
  const lines = [`corio: ${context.message}`];
  if (context.task !== undefined) lines.push(`  task: ${context.task.name}`);
  const error = context.error;
  if (error instanceof Error) lines.push(error.stack ?? `${error.name}: ${error.message}`);
  else if (error !== undefined) lines.push(`  error: ${formatValue(error)}`);
  console.error(lines.join('\n'));
}

let fallbackLoop: EventLoop | null = null;

/**
 * The loop the calling code runs in. Outside every `run()`, corio's waiting APIs
 * use a shared loop on the system clock, so `sleep`, `timeout` and `taskGroup`
 * also work in code that never called `run()` (`corio/lowlevel`; unlike
 * `getRunningLoop()`, it never throws).
 *
 * @example
 * ```ts
 * import { currentLoop } from 'corio/lowlevel';
 *
 * console.log(currentLoop().time() >= 0);
 * // => true
 * ```
 */
export function currentLoop(): EventLoop {
  const node = currentNode();
  if (node !== null && !node.loop.isClosed()) return node.loop;
  return (fallbackLoop ??= new EventLoop());
}

/**
 * The loop of the `run()` the calling code runs in (asyncio's `get_running_loop()`).
 *
 * @throws {InvalidStateError} outside every `run()`.
 */
export function getRunningLoop(): EventLoop {
  const node = currentNode();
  if (node === null || node.loop.isClosed()) {
    throw new InvalidStateError(
      'getRunningLoop(): no corio loop is running here; call it inside run()',
    );
  }
  return node.loop;
}
