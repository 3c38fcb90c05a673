/**
 * One run of a test under `explore()`: a fresh `run()` on a `VirtualClock`
 * whose steps (task starts, resumptions, due timers) a `Scheduler` holds and
 * lets go according to a strategy, one decision per step, each step after the
 * microtasks of the previous one have drained. It records every step, and ends
 * the run with a failure when the test throws, deadlocks (every task parked, no
 * timer set, nothing to wake anyone), livelocks (more than `maxSteps` steps),
 * leaves tasks running, or an error reaches the loop's exception handler.
 *
 * @example
 * ```ts
 * import { Lock, taskGroup } from 'corio';
 * import { explore, ScheduleFailure } from 'corio/testing';
 *
 * // Two locks taken in opposite orders: a deadlock in some schedules only.
 * try {
 *   await explore(async () => {
 *     const [a, b] = [new Lock(), new Lock()];
 *     await taskGroup((tg) => {
 *       tg.spawn(async () => { await a.run(() => b.run(() => {})); });
 *       tg.spawn(async () => { await b.run(() => a.run(() => {})); });
 *     });
 *   }, { seed: 7 });
 * } catch (error) {
 *   if (error instanceof ScheduleFailure) console.log(error.kind, error.cause instanceof Error && error.cause.name);
 * }
 * // => deadlock DeadlockError
 * ```
 * @module
 */
import { CancelledError, DeadlockError } from '../errors.js';
import { setScheduler, type Scheduler, type ScheduledStep } from '../core/lowlevel.js';
import { type EventLoop, type ExceptionContext, getRunningLoop } from '../core/loop.js';
import { currentTask, type Task } from '../core/task.js';
import { run, type RunOptions } from '../core/run.js';
import { taskTree, type TaskInfo, type Tracer } from '../trace/index.js';
import { NondeterminismError } from './schedule-failure.js';
import { type Decision, DEFAULT, readyHash } from './schedule.js';
import type { Strategy } from './strategies.js';
import { VirtualClock } from './virtual-clock.js';

/** What went wrong in a run. */
export type FailureKind =
  | 'error'
  | 'deadlock'
  | 'livelock'
  | 'leftover'
  | 'unretrieved'
  | 'stuck'
  | 'diverged';

/** One step of a recorded schedule. */
export interface ScheduleStep {
  /** 0-based. */
  readonly step: number;
  /** Loop time (virtual ms) at the step. */
  readonly at: number;
  /** What was ready, oldest first: `start A`, `A: sleep(10)`, `timer 100 ms`. */
  readonly ready: readonly string[];
  /** What went on at this step, in order. */
  readonly ran: readonly string[];
  /** The task whose cancellation was injected before the step, or null. */
  readonly cancelled: string | null;
  /** How the step left corio's default order (null choice and cancel: it did not). */
  readonly decision: Decision;
}

export interface RunFailure {
  readonly kind: FailureKind;
  /** The test's error, or one describing the failure. */
  readonly error: unknown;
  /** What the loop's exception handler was told (`unretrieved`). */
  readonly detail?: string;
}

export interface RunOutcome {
  readonly failure: RunFailure | null;
  readonly steps: readonly ScheduleStep[];
  /** Real host work seen alive while the run waited: `Timeout`, `TCPWRAP`… */
  readonly hostWork: readonly string[];
}

export interface RunConfig {
  readonly strategy: Strategy;
  readonly maxSteps: number;
  /** A replay: the ready hash recorded at each step; a difference stops the run. */
  readonly expect?: readonly number[];
  /** Record the run (resumptions are reported when they happen, not when woken). */
  readonly trace?: Tracer;
  /** Debug mode, for debug's DeadlockError with its wait-for cycle. */
  readonly debug?: boolean;
  /** Host resources alive before the campaign, by type. */
  readonly baseline: ReadonlyMap<string, number>;
}

/** The errors the explorer made itself (a stall it found), not the test or debug mode. */
export const ownErrors = new WeakSet<object>();

/** The message of an injected cancellation, so the test's own task may end with it. */
export const INJECTED = 'explore() injected this cancellation';

const DEFAULT_NAME = /^Task-\d+$/;
const TIMERS = Symbol('timers');
// Turns of the host loop without any change before a stall is a deadlock.
const STALL_TURNS = 3;
// Turns with timers set and no task runnable, without the clock moving.
const FROZEN_TURNS = 100;
// In a debug-mode replay: how often and how long to look, while debug mode's
// own deadlock check (rechecking every 20 ms while the host has work) ends the run.
const DEBUG_POLL_MS = 5;
const DEBUG_POLLS = 200;

// Not work of the program's: the process's stdio, immediates (the loop's and the
// explorer's own), and handles being closed.
const NOT_HOST_WORK = new Set(['TTYWrap', 'PipeWrap', 'CloseReq']);

interface HostProcess {
  getActiveResourcesInfo?: () => string[];
  nextTick?: (callback: () => void) => void;
}

// Where the host has one (Node): runs a callback once the microtask queue is empty.
const nextTick: ((callback: () => void) => void) | undefined = (() => {
  const tick = (globalThis as { process?: HostProcess }).process?.nextTick;
  return typeof tick === 'function' ? tick : undefined;
})();

/** Counts of the host's active resources by type (empty where the host cannot tell). */
export function hostResources(): Map<string, number> {
  const counts = new Map<string, number>();
  const proc = (globalThis as { process?: HostProcess }).process;
  if (typeof proc?.getActiveResourcesInfo !== 'function') return counts;
  for (const type of proc.getActiveResourcesInfo()) {
    if (!NOT_HOST_WORK.has(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

// Host work besides what was alive before the campaign. Immediates are counted
// apart: the loop's and the explorer's own are among them.
// `ownTimeouts`: the explorer's own poll timers among the 'Timeout's (a timer
// counts as active while its own callback runs).
// The host names its resources by type only, so "besides" is a count, and a
// resource alive before that ended during the campaign hides a new one of its
// type. Lowering the baseline when a type's count drops would find that one, but
// it warned of background work that comes and goes (a heartbeat re-arming its
// timer, a pool replacing a socket) in tests that use none.
function hostWorkAbove(
  baseline: ReadonlyMap<string, number>,
  ownTimeouts: number,
): {
  work: string[];
  immediates: number;
} {
  const work: string[] = [];
  let immediates = 0;
  for (const [type, count] of hostResources()) {
    const n = type === 'Timeout' ? count - ownTimeouts : count;
    if (type === 'Immediate') immediates = n;
    else if (n > (baseline.get(type) ?? 0)) work.push(type);
  }
  return { work, immediates };
}

function flatten(infos: readonly TaskInfo[], out: TaskInfo[] = []): TaskInfo[] {
  for (const info of infos) {
    out.push(info);
    flatten(info.children, out);
  }
  return out;
}

class RunExplorer implements Scheduler {
  readonly #config: RunConfig;
  #pending: ScheduledStep[] = [];
  #dispatching = false;
  #watching = false;
  #poll: ReturnType<typeof setTimeout> | null = null;
  // The ref'd timer of #look's host-work branch, and whether its callback runs:
  // a timer counts as an active host resource until its callback returns.
  #hostTimer: ReturnType<typeof setTimeout> | null = null;
  #hostTimerFiring = false;
  // Bumped by every held step: a stall is a stretch of host turns without one.
  #epoch = 0;
  #stillEpoch = -1;
  #stillTurns = 0;
  readonly records: ScheduleStep[] = [];
  // Every task seen, in the order first seen (creation order for the ones
  // started by the loop): the candidates for an injected cancellation. Kept
  // strongly, so no task is collected (and its error reported) mid-run.
  readonly #tasks: Task[] = [];
  readonly #names = new Map<Task, string>();
  readonly #byDefaultName = new Map<string, string>();
  #unnamed = 0;
  #loop: EventLoop | null = null;
  #main: Task | null = null;
  failure: RunFailure | null = null;
  leftover: string | null = null;
  finished = false;
  readonly hostWork = new Set<string>();
  readonly abandoned: Promise<void>;
  #abandon!: () => void;

  constructor(config: RunConfig) {
    this.#config = config;
    this.abandoned = new Promise((resolve) => {
      this.#abandon = resolve;
    });
  }

  attach(loop: EventLoop, main: Task): void {
    this.#loop = loop;
    this.#main = main;
    this.#name(main);
    this.#watch();
  }

  hold(step: ScheduledStep): void {
    if (this.finished) {
      queueMicrotask(() => {
        step.run();
      });
      return;
    }
    this.#pending.push(step);
    this.#epoch++;
    if (step.task !== null) this.#name(step.task);
    this.#scheduleDispatch();
  }

  #scheduleDispatch(): void {
    if (this.#dispatching) return;
    this.#dispatching = true;
    setImmediate(this.#dispatch);
  }

  busy(): boolean {
    return this.#pending.length > 0;
  }

  finish(): void {
    this.finished = true;
    this.#pending = [];
    if (this.#poll !== null) clearTimeout(this.#poll);
    this.#poll = null;
    if (this.#hostTimer !== null) clearTimeout(this.#hostTimer);
    this.#hostTimer = null;
  }

  #name(task: Task): string {
    let name = this.#names.get(task);
    if (name !== undefined) return name;
    this.#tasks.push(task);
    if (DEFAULT_NAME.test(task.name)) {
      name = `Task#${++this.#unnamed}`;
      this.#byDefaultName.set(task.name, name);
    } else {
      name = task.name;
    }
    this.#names.set(task, name);
    return name;
  }

  // Wait descriptions name tasks by their process-wide default names (`await
  // Task-57`), which differ from run to run: they get the run's own names.
  #describe(description: string): string {
    return description.replace(/\bTask-\d+\b/g, (m) => this.#byDefaultName.get(m) ?? 'Task#?');
  }

  label(step: ScheduledStep): string {
    const task = step.task;
    const who = task === null ? 'loop' : this.#name(task);
    const wait = step.wait === null ? '' : this.#describe(step.wait.description);
    switch (step.kind) {
      case 'start':
        return `start ${who}`;
      case 'resume': {
        const outcome = step.outcome;
        return `${who}: ${wait}${outcome === 'error' ? ' (failed)' : outcome === 'cancelled' ? ' (cancelled)' : ''}`;
      }
      default:
        return `timer ${String(step.timer?.deadline)} ms${step.wait === null ? '' : ` → ${who}: ${wait}`}`;
    }
  }

  #fail(kind: FailureKind, error: unknown): void {
    if (this.failure !== null) return;
    this.failure = { kind, error };
  }

  #abandonRun(): void {
    this.finish();
    this.#abandon();
  }

  readonly #dispatch = (): void => {
    this.#dispatching = false;
    if (this.finished || this.#pending.length === 0) return;
    const loop = this.#loop as EventLoop;
    // A batch of loop callbacks (checkpoints among them) is due this turn: let it
    // run first, so what it wakes is among the choices.
    if (loop.statistics().callbacksPending > 0) {
      this.#scheduleDispatch();
      return;
    }
    const stepNo = this.records.length;
    const { maxSteps, expect } = this.#config;
    if (stepNo >= maxSteps) {
      if (this.failure === null) {
        this.#fail(
          'livelock',
          new Error(
            `the test took more than ${maxSteps} steps (a livelock, or a test too long for maxSteps: ${maxSteps})`,
          ),
        );
        this.#main?.cancel('explore(): the run was stopped after maxSteps steps');
      } else if (stepNo >= 2 * maxSteps) {
        this.#abandonRun();
        return;
      }
    }
    const ready = this.#pending.map((s) => this.label(s));
    let labels = ready;
    if (expect !== undefined && this.failure === null) {
      const hash = readyHash(ready);
      if (stepNo >= expect.length || expect[stepNo] !== hash) {
        this.#fail(
          'diverged',
          NondeterminismError._new(
            stepNo >= expect.length
              ? `the run went on past the ${expect.length} steps recorded`
              : `at step ${stepNo} the ready work differs from the recorded run`,
            stepNo,
            ready,
          ),
        );
        this.#abandonRun();
        return;
      }
    }
    const candidates = this.#tasks.filter((t) => !t.done() && t !== this.#main);
    let decision: Decision = DEFAULT;
    if (this.failure === null) {
      const waiting = new Set<Task>();
      for (const s of this.#pending)
        if (s.kind === 'resume' && s.task !== null) waiting.add(s.task);
      const waking: number[] = [];
      candidates.forEach((t, i) => {
        if (waiting.has(t)) waking.push(i);
      });
      decision = this.#config.strategy.decide({
        step: stepNo,
        ready: this.#pending.map((s, i) => ({
          label: ready[i] as string,
          actor: s.task ?? TIMERS,
        })),
        candidates: candidates.map((t) => this.#name(t)),
        waking,
      });
    }
    let cancelled: string | null = null;
    if (decision.cancel !== null) {
      const task = candidates[decision.cancel] as Task;
      cancelled = this.#name(task);
      task.cancel(INJECTED);
      // Waits it aborted are now ready too (the default order takes them last).
      labels = this.#pending.map((s) => this.label(s));
    }
    const pending = this.#pending;
    const order = decision.choice ?? pending.map((_, i) => i);
    const taken = new Uint8Array(pending.length);
    for (const i of order) taken[i] = 1;
    this.#pending = pending.filter((_, i) => taken[i] === 0);
    this.records.push({
      step: stepNo,
      at: loop.time(),
      ready,
      ran: order.map((i) => labels[i] as string),
      cancelled,
      decision,
    });
    const tracer = this.#config.trace;
    for (const i of order) {
      const step = pending[i] as ScheduledStep;
      if (tracer !== undefined && step.kind === 'resume' && step.task !== null) {
        tracer.taskWoken(
          step.task,
          step.wait as NonNullable<ScheduledStep['wait']>,
          step.outcome ?? 'value',
        );
      }
      step.run();
    }
    this.#noteHostWorkWhenQuiet();
    if (this.#pending.length > 0) this.#scheduleDispatch();
    else {
      this.#watch();
    }
  };

  // Notes the real timers alive once the steps just run are done with their
  // synchronous part and their microtasks (a tick queued from a microtask runs
  // when the microtask queue is empty), while the run goes on. #look alone saw
  // only what was still alive a host turn later, and a timer set in a step (run
  // from an immediate) and due by then fired in that turn's timers phase first:
  // no look saw it, and the run had no warning. Not in debug mode, whose own
  // recheck timer is a ref'd Timeout (#look does not count host work there either).
  #noteHostWorkWhenQuiet(): void {
    if (this.#config.debug !== true && nextTick !== undefined) queueMicrotask(this.#queueNote);
  }

  readonly #queueNote = (): void => {
    (nextTick as (callback: () => void) => void)(this.#noteHostWork);
  };

  // Timers only: the work a test starts by mistake, which this sample is for
  // (sleeping on setTimeout). Other host work seen this often is mostly not the
  // test's: tsx writing its cache in the background (FSReqPromise) was named in
  // a test that uses none. A test's file or socket is still named when a run
  // waits on it (#look).
  readonly #noteHostWork = (): void => {
    if (this.finished) return;
    const host = hostWorkAbove(this.#config.baseline, this.#hostTimer === null ? 0 : 1);
    if (host.work.includes('Timeout')) this.hostWork.add('Timeout');
  };

  #watch(): void {
    if (this.#watching || this.finished) return;
    this.#watching = true;
    if (this.#config.debug !== true) {
      setImmediate(this.#look);
      return;
    }
    // Debug mode finds the stall itself, and counts our immediates as host work
    // that might still wake a task: look on an unref'd timer, which it does not see.
    this.#poll = setTimeout(this.#look, DEBUG_POLL_MS);
    (this.#poll as { unref?: () => void }).unref?.();
  }

  // Nothing is held: is the loop still going somewhere?
  readonly #hostLook = (): void => {
    this.#hostTimer = null;
    this.#hostTimerFiring = true;
    try {
      this.#look();
    } finally {
      this.#hostTimerFiring = false;
    }
  };

  readonly #look = (): void => {
    this.#watching = false;
    this.#poll = null;
    if (this.finished || this.#pending.length > 0) return;
    const loop = this.#loop as EventLoop;
    const stats = loop.statistics();
    if (stats.tasksLiving === 0) return;
    if (this.#stillEpoch !== this.#epoch) {
      this.#stillEpoch = this.#epoch;
      this.#stillTurns = 0;
    }
    this.#stillTurns++;
    if (stats.callbacksPending > 0) {
      this.#watch();
      return;
    }
    if (stats.tasksRunnable === 0 && stats.timers > 0) {
      // The loop's idle check moves the clock to the next timer.
      if (this.#stillTurns < FROZEN_TURNS) this.#watch();
      else this.#stall('stuck', 'timers are set but virtual time does not move');
      return;
    }
    if (this.#config.debug === true) {
      // Debug mode ends a deadlock itself (its DeadlockError is what this run is for).
      if (this.#stillTurns < DEBUG_POLLS) this.#watch();
      else this.#stall('deadlock', 'debug mode did not end the stall');
      return;
    }
    const own = (this.#hostTimer === null ? 0 : 1) + (this.#hostTimerFiring ? 1 : 0);
    const host = hostWorkAbove(this.#config.baseline, own);
    if (host.work.length > 0) {
      // Real work (a host timer, a socket) may still wake a task: look again soon,
      // on a timer that keeps the process alive. Unref'd, it let Node exit (an
      // unsettled top-level await) when that work ended before the next look and
      // nothing else was alive: a transient handle of tsx's loader did that.
      for (const type of host.work) this.hostWork.add(type);
      this.#stillTurns = 0;
      this.#hostTimer ??= setTimeout(this.#hostLook, 1);
      return;
    }
    if (host.immediates > 0) {
      // Someone's setImmediate (the loop's idle check, a raw one) runs next turn.
      this.#stillTurns = 0;
      this.#watch();
      return;
    }
    if (this.#stillTurns < STALL_TURNS) {
      this.#watch();
      return;
    }
    if (stats.tasksRunnable === 0) {
      this.#stall(
        'deadlock',
        'every task waits, no timer is set, and nothing outside the loop can wake one',
      );
    } else {
      this.#stall(
        'stuck',
        'a task awaits a promise outside corio that nothing will settle (no host work is alive, and virtual time cannot move while it waits)',
      );
    }
  };

  #stall(kind: FailureKind, why: string): void {
    const loop = this.#loop as EventLoop;
    if (this.failure !== null) {
      // Stalled again while unwinding after a failure: give up on this run.
      this.#abandonRun();
      return;
    }
    const tasks = flatten(taskTree(loop)).map((info) => {
      const name = this.#names.get(info.task) ?? info.name;
      const waits = info.awaiting.map((w) => this.#describe(w.description)).join(', ');
      return `  ${name} (${info.state}${waits === '' ? '' : `: ${waits}`})`;
    });
    const report = `${why}:\n${tasks.join('\n')}`;
    const error = kind === 'deadlock' ? new DeadlockError(report, null) : new Error(report);
    ownErrors.add(error);
    this.#fail(kind, error);
    if (kind === 'deadlock') {
      // Cancelling the test's task unwinds the waits (and run() cancels the rest).
      this.#main?.cancel('explore(): the run deadlocked');
      this.#watch();
    } else {
      this.#abandonRun();
    }
  }

  /** Tasks still living when the test's function returned. */
  checkLeftovers(loop: EventLoop, main: Task): void {
    const left = flatten(taskTree(loop)).filter((info) => info.task !== main);
    if (left.length === 0) return;
    const lines = left.map((info) => {
      const waits = info.awaiting.map((w) => this.#describe(w.description)).join(', ');
      return `  ${this.#names.get(info.task) ?? info.name} (${info.state}${waits === '' ? '' : `: ${waits}`})`;
    });
    this.leftover = `the test returned while ${left.length} task(s) it started were still running:\n${lines.join('\n')}`;
  }
}

type Instrument = Exclude<NonNullable<RunOptions['trace']>, readonly unknown[]>;

// A tracer that hears of each resumption when the explorer lets it happen, not
// when the wait ended: the diagram shows the order the tasks really went on in.
function delayedWakeups(tracer: Tracer): Instrument {
  return {
    taskCreated: (task, parent) => {
      tracer.taskCreated(task, parent);
    },
    taskStarted: (task) => {
      tracer.taskStarted(task);
    },
    taskSuspended: (task, wait) => {
      tracer.taskSuspended(task, wait);
    },
    taskCancelled: (task, reason) => {
      tracer.taskCancelled(task, reason);
    },
    taskFinished: (task) => {
      tracer.taskFinished(task);
    },
    scopeEntered: (scope, task) => {
      tracer.scopeEntered(scope, task);
    },
    scopeCancelled: (scope, reason) => {
      tracer.scopeCancelled(scope, reason);
    },
    scopeExited: (scope) => {
      tracer.scopeExited(scope);
    },
    timerSet: (timer) => {
      tracer.timerSet(timer);
    },
    timerFired: (timer) => {
      tracer.timerFired(timer);
    },
  };
}

const isInjected = (error: unknown): boolean =>
  error instanceof CancelledError && error.message === INJECTED;

/** Runs `test` once, under the schedule `config.strategy` makes. */
export async function runSchedule(test: () => unknown, config: RunConfig): Promise<RunOutcome> {
  const explorer = new RunExplorer(config);
  const reports: ExceptionContext[] = [];
  const main = async (): Promise<void> => {
    const loop = getRunningLoop();
    const task = currentTask() as Task;
    explorer.attach(loop, task);
    loop.setExceptionHandler((context) => {
      if (!explorer.finished) reports.push(context);
    });
    setScheduler(explorer);
    await test();
    explorer.checkLeftovers(loop, task);
  };
  const ending: { threw: boolean; error: unknown } = { threw: false, error: undefined };
  const ended = run(main, {
    clock: new VirtualClock(),
    name: 'main',
    ...(config.trace === undefined ? {} : { trace: delayedWakeups(config.trace) }),
    ...(config.debug === true ? { debug: true } : {}),
  }).then(
    () => {},
    (error: unknown) => {
      ending.threw = true;
      ending.error = error;
    },
  );
  await Promise.race([ended, explorer.abandoned]);
  explorer.finish();
  const { threw, error } = ending;
  let failure = explorer.failure;
  if (failure === null && threw && !isInjected(error)) {
    failure = { kind: error instanceof DeadlockError ? 'deadlock' : 'error', error };
  }
  if (failure === null && !threw && explorer.leftover !== null) {
    failure = { kind: 'leftover', error: new Error(explorer.leftover) };
  }
  const [report] = reports;
  if (failure === null && report !== undefined) {
    failure = {
      kind: 'unretrieved',
      error: report.error ?? new Error(report.message),
      detail: report.message,
    };
  }
  return { failure, steps: explorer.records, hostWork: [...explorer.hostWork] };
}
