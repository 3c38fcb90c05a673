/**
 * Debug mode (`run(main, { debug: true })`), asyncio's debug mode for corio:
 *
 * - each task records the stack that created it (shown in reports);
 * - a callback that blocks the event loop longer than `slowCallbackMs` (100 ms,
 *   asyncio's default) is reported with the task that ran last;
 * - tasks still waiting when the main task ends are reported, with what each
 *   waits on, before `run()` cancels them;
 * - a deadlock — every task parked, no timer set, no wait a host promise, a
 *   signal or new host I/O could end — ends `run()` with a `DeadlockError`
 *   naming the tasks and the wait-for cycle, instead of hanging.
 *
 * Reports go to the loop's exception handler (the default prints them).
 *
 * @example
 * ```ts
 * import { DeadlockError, Lock, run, sleep, taskGroup } from 'corio';
 *
 * const [a, b] = [new Lock(), new Lock()];
 * try {
 *   await run(() => taskGroup((tg) => {
 *     tg.spawn(async () => {
 *       using _a = await a.acquire();
 *       await sleep(10);
 *       using _b = await b.acquire();
 *     }, { name: 'A' });
 *     tg.spawn(async () => {
 *       using _b = await b.acquire();
 *       await sleep(10);
 *       using _a = await a.acquire();
 *     }, { name: 'B' });
 *   }), { debug: true });
 * } catch (error) {
 *   if (error instanceof DeadlockError) console.log(error.cycle?.join(' -> '));
 * }
 * // => A -> Lock.acquire -> B -> Lock.acquire -> A
 * ```
 * @module
 */
import { DeadlockError } from '../errors.js';
import { type DebugOptions, type Instrument, type Wait, setDebugMode } from '../core/lowlevel.js';
import type { EventLoop } from '../core/loop.js';
import type { Task } from '../core/task.js';
import { creationStacks, findDeadlock, taskTree, type TaskInfo } from './introspect.js';

// corio's own files, whose frames creation stacks leave out: both src/ and dist/,
// since with source maps on (tsx, --enable-source-maps) a frame of dist/ code is
// shown at its src/ path (#11: those stacks showed only corio's frames).
const PACKAGE_DIR = decodeURI(new URL('../..', import.meta.url).pathname);
const CORIO_DIRS = [`${PACKAGE_DIR}src/`, `${PACKAGE_DIR}dist/`];

const isUserFrame = (frame: string): boolean =>
  !CORIO_DIRS.some((dir) => frame.includes(dir)) &&
  !frame.includes('(node:') &&
  !frame.includes(' node:');

/**
 * The calling code's own frames (up to 4), without corio's and Node's. The stack
 * is taken deeper than the default 10 frames: corio's own can fill those.
 */
function userFrames(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack.split('\n').slice(1).filter(isUserFrame).slice(0, 4).join('\n');
}

// How often the watchdog looks: a tenth of the threshold, so a block is seen
// within 10% of its length, and never more often than every 5 ms.
const watchEvery = (threshold: number): number => Math.max(5, threshold / 10);

// How often a stalled loop with host work pending is looked at again.
const RECHECK_MS = 20;

interface HostProcess {
  getActiveResourcesInfo?: () => string[];
  _getActiveHandles?: () => unknown[];
  stdout?: unknown;
  stderr?: unknown;
}

const STDIO_TYPES = new Set(['TTYWrap', 'PipeWrap']);

/**
 * How many host resources keep the process alive besides the process's own
 * stdio: a server, a socket, a timer, a file read, created before `run()` or
 * during it. Any of them may still wake a task (a server started at import time
 * that feeds a Queue: #11, it was ignored as part of a baseline and the program
 * got a false DeadlockError). Null where the host cannot tell.
 */
function hostWork(): number | null {
  const proc = (globalThis as { process?: HostProcess }).process;
  if (typeof proc?.getActiveResourcesInfo !== 'function') return null;
  const types = proc.getActiveResourcesInfo();
  // The process's own output streams among them. Not stdin: reading it is work
  // that may wake a task, and reading the getter would open it (a handle of its
  // own). Never more than the stdio-type entries listed: subtracting one that is
  // not among them hid a real timer (a false DeadlockError, seen on Node 26).
  const listed = types.filter((t) => STDIO_TYPES.has(t)).length;
  let stdio = Math.min(2, listed);
  if (typeof proc._getActiveHandles === 'function') {
    const own = [proc.stdout, proc.stderr];
    stdio = Math.min(listed, proc._getActiveHandles().filter((h) => own.includes(h)).length);
  }
  return types.length - stdio;
}

// No task runnable, no callback queued, no timer set, loop open: only something
// outside the loop (host I/O) can make progress now.
function stalled(loop: EventLoop): boolean {
  const s = loop.statistics();
  return s.tasksRunnable === 0 && s.callbacksPending === 0 && s.timers === 0 && !loop.isClosed();
}

/**
 * @internal Makes `run(main, { debug })` attach a DebugMonitor: the package root
 * calls it once, so the kernel never imports corio/trace.
 */
export function installDebugMode(): void {
  setDebugMode((loop, options) => {
    const monitor = new DebugMonitor(loop, options);
    return { instrument: monitor, deadlocked: monitor.deadlocked };
  });
}

/** @internal The monitor behind `run(main, { debug })`, an instrument on one loop. */
export class DebugMonitor implements Instrument {
  readonly #loop: EventLoop;
  readonly #threshold: number;
  #lastTask: Task | null = null;
  #watchdog: ReturnType<typeof setInterval> | null = null;
  readonly #period: number;
  // When the watchdog should tick next, in real time.
  #expected = 0;
  #onDeadlock: ((error: DeadlockError) => void) | null = null;
  #deadlocked = false;
  /** Rejects with the `DeadlockError` `run()` ends with, if the loop deadlocks. */
  readonly deadlocked: Promise<never>;
  #recheck: ReturnType<typeof setTimeout> | null = null;
  #rechecking = false;
  readonly #callSites = new WeakMap<Wait, string>();

  constructor(loop: EventLoop, options: DebugOptions = {}) {
    this.#loop = loop;
    this.#threshold = options.slowCallbackMs ?? 100;
    this.#period = watchEvery(this.#threshold);
    this.deadlocked = new Promise<never>((_, reject) => {
      this.#onDeadlock = reject;
    });
    // One unref'd interval: it should tick every period; a tick late by more
    // than the threshold means something blocked the loop that long.
    this.#expected = performance.now() + this.#period;
    this.#watchdog = setInterval(() => {
      this.#check();
      this.#expected = performance.now() + this.#period;
    }, this.#period);
    (this.#watchdog as { unref?: () => void }).unref?.();
  }

  loopStalled(): void {
    this.#checkDeadlock();
  }

  callSiteOf(wait: Wait): string | undefined {
    return this.#callSites.get(wait) || undefined;
  }

  taskCreated(task: Task): void {
    creationStacks.set(task, userFrames());
  }

  // Where each wait was made, for the report of a wait its task leaves behind.
  taskSuspended(_task: Task, wait: Wait): void {
    this.#callSites.set(wait, userFrames());
  }

  taskStarted(task: Task): void {
    this.#lastTask = task;
  }

  taskWoken(task: Task): void {
    this.#lastTask = task;
  }

  /** Reports the tasks still living when the main task ended (before they are cancelled). */
  mainEnded(main: Task): void {
    // After a deadlock the DeadlockError is the report.
    if (this.#deadlocked) return;
    const left = taskTree(this.#loop).filter((t) => t.task !== main);
    if (left.length === 0) return;
    const lines = [`run() is ending with ${left.length} task(s) still running; cancelling them:`];
    const walk = (t: TaskInfo, depth: number): void => {
      const waits = t.awaiting.map((w) => w.description).join(', ');
      lines.push(
        `${'  '.repeat(depth + 1)}${t.name} (${t.state}${waits === '' ? '' : `: ${waits}`})`,
      );
      if (t.createdAt !== undefined) {
        lines.push(
          t.createdAt
            .split('\n')
            .map((f) => `${'  '.repeat(depth + 3)}${f.trim()}`)
            .join('\n'),
        );
      }
      for (const c of t.children) walk(c, depth + 1);
    };
    for (const t of left) walk(t, 0);
    this.#loop.callExceptionHandler({ message: lines.join('\n') });
  }

  loopClosed(): void {
    if (this.#watchdog !== null) clearInterval(this.#watchdog);
    if (this.#recheck !== null) clearTimeout(this.#recheck);
    this.#recheck = null;
    this.#watchdog = null;
    this.#onDeadlock = null;
    this.#check();
  }

  #check(): void {
    const late = performance.now() - this.#expected;
    if (late < this.#threshold) return;
    const task = this.#lastTask;
    const stack = task === null ? undefined : creationStacks.get(task);
    this.#loop.callExceptionHandler({
      message:
        `a callback blocked the event loop for ${Math.round(late)} ms (threshold ${this.#threshold} ms)` +
        (task === null ? '' : `; the task that ran last: ${task.name}`) +
        (stack === undefined ? '' : `, created at\n${stack}`),
      ...(task === null ? {} : { task }),
    });
    // Report each block once.
    this.#expected = performance.now() + this.#period;
  }

  #checkDeadlock(): void {
    if (this.#onDeadlock === null || !stalled(this.#loop)) return;
    const found = findDeadlock(this.#loop);
    if (found === null) return;
    // A wait-for cycle (A awaits B awaits A, or two locks taken in opposite
    // orders) is a deadlock whatever the host does. Without one, the blocked tasks
    // wait on things anyone may signal, host callbacks included: while the host
    // has work of its own (while the recheck timer is set or firing, the host
    // lists it: it is ours), that work may still wake one.
    const own = this.#recheck !== null || this.#rechecking ? 1 : 0;
    if (found.cycle === null && (hostWork() ?? 0) - own > 0) {
      // Look again soon: the work may wake a task, or end and leave the
      // deadlock. The timer also keeps the process alive until one of the two.
      this.#recheck ??= setTimeout(() => {
        this.#recheck = null;
        this.#rechecking = true;
        this.#checkDeadlock();
        this.#rechecking = false;
      }, RECHECK_MS);
      return;
    }
    const fn = this.#onDeadlock;
    this.#onDeadlock = null;
    this.#deadlocked = true;
    fn(new DeadlockError(found.report, found.cycle));
  }
}
