/**
 * The scheduler hook: the one place where a tool may decide the order the loop
 * runs things in (`explore()` in `corio/testing` is built on it). While a loop
 * has a `Scheduler`, each step whose order the loop would decide itself — a
 * task's start, the resumption of a wait that ended (woken, failed or
 * cancelled), the callback of a timer that fell due — is handed to it as a
 * `ScheduledStep` instead, and happens when the scheduler calls `step.run()`.
 * Without one (the default), each of those places costs one null check.
 *
 * A held step counts as work in progress: the task it resumes stays runnable, and
 * virtual time does not move while `busy()` is true.
 *
 * @example
 * ```ts
 * import { createTask, run } from 'corio';
 * import { type Scheduler, type ScheduledStep, setScheduler } from 'corio/lowlevel';
 * import { VirtualClock } from 'corio/testing';
 *
 * // Starts tasks newest first: a schedule corio itself never picks.
 * class NewestFirst implements Scheduler {
 *   held: ScheduledStep[] = [];
 *   hold(step: ScheduledStep): void {
 *     if (this.held.push(step) === 1) setImmediate(() => this.#release());
 *   }
 *   busy(): boolean {
 *     return this.held.length > 0;
 *   }
 *   #release(): void {
 *     const steps = this.held.reverse();
 *     this.held = [];
 *     for (const step of steps) step.run();
 *   }
 * }
 *
 * await run(async () => {
 *   setScheduler(new NewestFirst());
 *   const tasks = ['a', 'b', 'c'].map((name) => createTask(() => console.log(name), { name }));
 *   for (const task of tasks) await task;
 * }, { clock: new VirtualClock() });
 * // => c
 * // => b
 * // => a
 * ```
 * @module
 */
import type { EventLoop } from './loop.js';
import type { TimerHandle } from './timers.js';
import type { Suspension } from './suspend.js';
import type { Task } from './task.js';

/** What a held step does when it runs. */
export type StepKind = 'start' | 'resume' | 'timer';

/** How the wait a `resume` step ends came to an end. */
export type ResumeOutcome = 'value' | 'error' | 'cancelled';

/**
 * Decides when the steps of one loop happen (`setScheduler()`). Its methods run
 * synchronously inside the kernel: `hold` must only remember the step, and run it
 * later, from a callback of its own (after the microtasks have drained).
 */
export interface Scheduler {
  /** A step the loop would take now; it happens when the scheduler calls `step.run()`. */
  hold(step: ScheduledStep): void;
  /** True while steps are held: the loop's clock does not jump then. */
  busy(): boolean;
}

const START = 0;
const RESUME = 1;
const TIMER = 2;
const KINDS: readonly StepKind[] = ['start', 'resume', 'timer'];
const OUTCOMES: readonly ResumeOutcome[] = ['value', 'error', 'cancelled'];

/** One step the loop handed to its scheduler. Run it once; a second `run()` does nothing. */
export class ScheduledStep {
  readonly #loop: EventLoop;
  readonly #kind: number;
  readonly #task: Task | null;
  readonly #wait: Suspension | null;
  readonly #timer: TimerHandle | null;
  // RESUME: 0 woken with a value, 1 failed, 2 cancelled; #error is the rejection.
  readonly #outcome: number;
  readonly #error: unknown;
  // RESUME: how the wait's caller goes on (suspend.ts hands it in: no import cycle).
  readonly #resume: ResumeFn | null;
  #done = false;

  /** @internal */
  static _new(
    loop: EventLoop,
    kind: number,
    task: Task | null,
    wait: Suspension | null,
    timer: TimerHandle | null,
    outcome = 0,
    error?: unknown,
    resume: ResumeFn | null = null,
  ): ScheduledStep {
    return new ScheduledStep(loop, kind, task, wait, timer, outcome, error, resume);
  }

  // Private: steps are made by the kernel, handed to a scheduler.
  private constructor(
    loop: EventLoop,
    kind: number,
    task: Task | null,
    wait: Suspension | null,
    timer: TimerHandle | null,
    outcome: number,
    error: unknown,
    resume: ResumeFn | null,
  ) {
    this.#loop = loop;
    this.#kind = kind;
    this.#task = task;
    this.#wait = wait;
    this.#timer = timer;
    this.#outcome = outcome;
    this.#error = error;
    this.#resume = resume;
  }

  get kind(): StepKind {
    return KINDS[this.#kind] as StepKind;
  }

  /** The task the step starts or resumes; for a timer, the task whose wait it ends (a sleep), or null. */
  get task(): Task | null {
    return this.#task;
  }

  /** `resume`: the wait that ended. `timer`: the wait it ends, when it ends one (a sleep). */
  get wait(): Suspension | null {
    return this.#wait;
  }

  /** `timer`: its handle (its `deadline`); otherwise null. */
  get timer(): TimerHandle | null {
    return this.#timer;
  }

  /** `resume`: how the wait ended; otherwise null. */
  get outcome(): ResumeOutcome | null {
    return this.#kind === RESUME ? (OUTCOMES[this.#outcome] as ResumeOutcome) : null;
  }

  /** The loop the step belongs to. */
  get loop(): EventLoop {
    return this.#loop;
  }

  /** Takes the step: starts the task, resumes the wait or runs the timer's callback. */
  run(): void {
    if (this.#done) return;
    this.#done = true;
    const loop = this.#loop;
    if (loop.isClosed()) return;
    switch (this.#kind) {
      case START:
        (this.#task as Task)._startedAt = Math.floor(loop.time());
        (this.#task as Task)._start();
        break;
      case RESUME:
        (this.#resume as ResumeFn)(this.#wait as Suspension, this.#outcome, this.#error);
        break;
      default:
        loop._runDueTimer(this.#timer as TimerHandle);
    }
    // A step that left nothing runnable (a timer callback that woke nobody, the
    // resumption of a task that had ended): the loop looks again for idleness.
    loop._afterHeldStep();
  }
}

/** @internal Hands the start of `task` to the scheduler. */
export const heldStart = (loop: EventLoop, task: Task): ScheduledStep =>
  ScheduledStep._new(loop, START, task, null, null);

/** @internal How a held resumption goes on: `resume(s, outcome, error)`. */
export type ResumeFn = (s: Suspension, outcome: number, error: unknown) => void;

/** @internal Hands the resumption of `s` to the scheduler (outcome 0 value, 1 error, 2 cancelled). */
export const heldResume = (
  loop: EventLoop,
  s: Suspension,
  outcome: number,
  error: unknown,
  resume: ResumeFn,
): ScheduledStep => ScheduledStep._new(loop, RESUME, s.task, s, null, outcome, error, resume);

/** @internal Hands a due timer's callback to the scheduler. */
export const heldTimer = (
  loop: EventLoop,
  timer: TimerHandle,
  wait: Suspension | null,
): ScheduledStep => ScheduledStep._new(loop, TIMER, wait?.task ?? null, wait, timer);
