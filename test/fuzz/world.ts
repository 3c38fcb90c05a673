/**
 * The fuzzer's world: one of each primitive, configured by the program, and the
 * bookkeeping the checks compare them with (who holds what, which items went in
 * and came out), which `invariants.ts` checks; the targets of the program's
 * cancellations, and how they are made.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Barrier,
  BoundedSemaphore,
  CapacityLimiter,
  CancelScope,
  Condition,
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  type ReceiveChannel,
  Semaphore,
  type SendChannel,
  type Task,
  type TimerHandle,
  currentEffectiveDeadline,
  currentTask,
  getRunningLoop,
  isCancellation,
  openChannel,
  sleep,
} from 'corio';
import { Pool } from 'corio/iter';
import type { Config, Handoff } from './program.js';

/** The error the `fail` operation throws: a real error, as opposed to a cancellation. */
export class FuzzError extends Error {
  static {
    this.prototype.name = 'FuzzError';
  }
}

/** True when the calling code's context is cancelled (the checkpoint test, without throwing). */
export const cancelledHere = (): boolean => currentEffectiveDeadline() === -Infinity;

/** A probe of the caller's context that can be read later from anywhere. */
export function contextProbe(): () => boolean {
  const snapshot = AsyncLocalStorage.snapshot();
  return () => snapshot(cancelledHere);
}

/** What a task can wait on, for hand-off targets. */
export type WaitKind =
  | 'lock'
  | 'sem'
  | 'limiter'
  | 'cond'
  | 'event'
  | 'barrier'
  | 'get'
  | 'put'
  | 'send'
  | 'recv'
  | 'pool';

/** How a task's function ended, as the task saw it from inside. */
type Ending = 'returned' | 'cancelled' | 'failed';

export class World {
  readonly violations: string[] = [];
  /** Every task the program made, in order: the targets of its cancellations. */
  readonly tasks: Task[] = [];
  readonly #known = new Set<Task>();
  readonly endings = new Map<Task, Ending>();
  readonly cancelledDirectly = new Set<Task>();
  /** Tasks that run shielded: only a direct cancellation may end them cancelled. */
  readonly shielded = new Set<Task>();
  /** Tasks whose outcome nobody awaits (gather's and wait's leftovers): awaited at the end. */
  readonly orphans = new Set<Task>();
  readonly scopes: CancelScope[] = [];
  readonly waiting: Record<WaitKind, Task[]> = {
    lock: [],
    sem: [],
    limiter: [],
    cond: [],
    event: [],
    barrier: [],
    get: [],
    put: [],
    send: [],
    recv: [],
    pool: [],
  };
  readonly timers: TimerHandle[] = [];
  #seq = 0;

  readonly lock = new Lock();
  lockHolders = 0;
  readonly sem: Semaphore;
  semHolders = 0;
  readonly limiter: CapacityLimiter;
  limiterHolders = 0;
  readonly cond = new Condition();
  condHolders = 0;
  tokens = 0;
  readonly event = new Event();
  readonly barrier: Barrier;

  readonly queue: Queue<string>;
  readonly putOk = new Set<string>();
  readonly putTried = new Set<string>();
  readonly got = new Set<string>();
  /** Items dropped by `shutdown({ immediate: true })` from the queue. */
  dropped = 0;
  /**
   * Items that may be dropped after such a shutdown: those handed to getters that
   * had not resumed yet (one cancelled before it resumes drops its item, asyncio 3.13).
   */
  droppable = 0;
  immediate = false;

  readonly send: SendChannel<string>;
  readonly recv: ReceiveChannel<string>;
  readonly sentOk = new Set<string>();
  readonly sendTried = new Set<string>();
  readonly received = new Set<string>();
  channelDropped = 0;

  readonly pool: Pool<number>;
  created = 0;
  creating = 0;
  validating = 0;
  validations = 0;
  readonly destroyed = new Set<number>();
  readonly lent = new Set<number>();

  readonly config: Config;
  /** Counts the operations started, across programs. */
  readonly counter: { ops: number };
  /** Where `log()` writes (`npm run fuzz -- --trace`), or null. */
  readonly trace: ((line: string) => void) | null;

  constructor(
    config: Config,
    counter: { ops: number },
    trace: ((line: string) => void) | null = null,
  ) {
    this.config = config;
    this.counter = counter;
    this.trace = trace;
    this.sem = config.bounded
      ? new BoundedSemaphore(config.permits)
      : new Semaphore(config.permits);
    this.limiter = new CapacityLimiter(config.tokens);
    this.barrier = new Barrier(config.parties);
    this.queue =
      config.queueKind === 'fifo'
        ? new Queue(config.maxsize)
        : config.queueKind === 'lifo'
          ? new LifoQueue(config.maxsize)
          : new PriorityQueue(config.maxsize);
    [this.send, this.recv] = openChannel<string>(config.capacity);
    this.pool = this.#makePool();
  }

  #makePool(): Pool<number> {
    const c = this.config;
    return new Pool<number>({
      max: c.poolMax,
      create: async () => {
        this.creating++;
        this.log('pool create…');
        try {
          await sleep(c.createMs);
          this.log(`pool created ${this.created + 1}`);
          return ++this.created;
        } finally {
          this.creating--;
        }
      },
      ...(c.validateMs === null
        ? {}
        : {
            validate: async (r: number) => {
              this.validating++;
              this.log(`pool validate ${r}`);
              try {
                await sleep(c.validateMs ?? 0);
                return c.invalidEvery === 0 || ++this.validations % c.invalidEvery !== 0;
              } finally {
                this.validating--;
              }
            },
          }),
      destroy: async (r: number) => {
        if (this.destroyed.has(r)) this.violation(`Pool destroyed resource ${r} twice`);
        this.destroyed.add(r);
        this.log(`pool destroy ${r}`);
        await sleep(c.destroyMs);
      },
    });
  }

  /** Traces an event, stamped with the loop time and the current task. */
  log(event: string): void {
    if (this.trace === null) return;
    this.trace(`${getRunningLoop().time()} ${currentTask()?.name ?? '(callback)'}: ${event}`);
  }

  violation(message: string): void {
    if (this.violations.length < 20) {
      this.violations.push(`t=${getRunningLoop().time()} ${message}`);
    }
  }

  check(ok: boolean, message: string): void {
    if (!ok) this.violation(message);
  }

  /** A fresh item or value, named after the task that makes it. */
  item(): string {
    return `i${this.#seq++}`;
  }

  /** Adds a task to the targets (once). */
  adopt<T>(task: Task<T>): Task<T> {
    if (!this.#known.has(task)) {
      this.#known.add(task);
      this.tasks.push(task);
    }
    return task;
  }

  /** Wraps a task's function so the task is a target and its ending is recorded. */
  tracked<T>(fn: () => Promise<T>): () => Promise<T> {
    return async () => {
      const task = this.adopt(currentTask() as Task);
      try {
        const value = await fn();
        this.endings.set(task, 'returned');
        return value;
      } catch (error) {
        this.endings.set(task, isCancellation(error) ? 'cancelled' : 'failed');
        throw error;
      }
    };
  }

  cancelTask(index: number, why: string): void {
    if (this.tasks.length === 0) return;
    const task = this.tasks[index % this.tasks.length] as Task;
    if (task.done()) return;
    this.cancelledDirectly.add(task);
    this.log(`cancel ${task.name} (${why})`);
    task.cancel(`fuzz: ${why}`);
  }

  cancelScope(index: number): void {
    if (this.scopes.length === 0) return;
    (this.scopes[index % this.scopes.length] as CancelScope).cancel('fuzz: scope cancelled');
  }

  /**
   * Runs `fn` (a waiting call on primitive `kind`) with the current task in the
   * kind's list of waiters, in arrival order: the primitives serve FIFO, so the
   * head of the list is the task a hand-off wakes.
   */
  async waitOn<T>(kind: WaitKind, fn: () => Promise<T>): Promise<T> {
    const task = currentTask() as Task;
    const list = this.waiting[kind];
    list.push(task);
    try {
      return await fn();
    } finally {
      void list.splice(list.indexOf(task), 1);
    }
  }

  shutdownImmediately(): void {
    this.dropped += this.queue.qsize();
    this.droppable += this.waiting.get.length - this.queue.statistics().gettersWaiting;
    this.immediate = true;
    this.queue.shutdown({ immediate: true });
  }

  /** Performs an operation's hand-off cancellation, if it has one; `kind` is who was woken. */
  handoff(h: Handoff | null, kind: WaitKind): void {
    if (h === null) return;
    const woken = this.waiting[kind][0];
    if (h.target === 'woken' && woken === undefined) return;
    const go = () => {
      const why = `cancelled at a hand-off (${h.how})`;
      if (h.target !== 'woken') this.cancelTask(h.target, why);
      else if (woken !== undefined && !woken.done()) {
        this.cancelledDirectly.add(woken);
        this.log(`cancel ${woken.name} (${why})`);
        woken.cancel(`fuzz: ${why}`);
      }
    };
    const loop = getRunningLoop();
    switch (h.how) {
      case 'sync':
        go();
        break;
      case 'micro':
        queueMicrotask(go);
        break;
      case 'soon':
        loop.callSoon(go);
        break;
      case 'timer0':
        this.timers.push(loop.callLater(0, go));
    }
  }

  /** A signal that aborts `at` ms from now, or none. */
  signal(at: number | null): { signal: AbortSignal } | undefined {
    if (at === null) return undefined;
    const controller = new AbortController();
    this.timers.push(
      getRunningLoop().callLater(at, () => {
        controller.abort();
      }),
    );
    return { signal: controller.signal };
  }
}
