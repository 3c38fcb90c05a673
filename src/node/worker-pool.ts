/**
 * `WorkerPool`: CPU-bound work on worker threads (asyncio's `to_thread` and
 * `run_in_executor`, Trio's `to_thread.run_sync`), with cancellation that
 * really stops the work. `run(data)` calls an export of the pool's module in
 * a thread and resolves with what it returns; `workerFunction(module, name)`
 * turns one export into a typed async function on a shared default pool.
 *
 * When the task that called `run()` is cancelled, the pool asks the job to
 * stop (a flag in shared memory that `checkCancelled()` reads, and the
 * `workerSignal()` of `corio/node/worker`), terminates its thread if it has
 * not stopped within `cancelGrace` ms, and throws `CancelledError` only once
 * the job's code is no longer running: nothing runs on behind a settled
 * promise. A job that stops cooperatively leaves its thread in the pool.
 *
 * Built on `node:worker_threads`, not piscina: piscina rejects an aborted
 * task before its thread has stopped, and cannot tell a job it was cancelled
 * (docs/guide/threads.md, "Why not piscina", has the measurement).
 *
 * @example
 * ```ts
 * import { isMainThread } from 'node:worker_threads';
 * import { gather, run } from 'corio';
 * import { WorkerPool } from 'corio/node';
 *
 * // Runs in a pool thread (the pool's module is this file).
 * export default function sumOfSquares(n: number): number {
 *   let sum = 0;
 *   for (let i = 0; i < n; i++) sum += i * i;
 *   return sum;
 * }
 *
 * if (isMainThread) {
 *   await using pool = new WorkerPool({ filename: import.meta.url, maxThreads: 2 });
 *   await run(async () => {
 *     const sums = await gather(...[10, 100, 1000].map((n) => () => pool.run<number>(n)));
 *     console.log(sums, pool.statistics().completed);
 *   });
 * }
 * // => [ 285, 328350, 332833500 ] 3
 * ```
 * @module
 */
import { availableParallelism } from 'node:os';
import type { Transferable } from 'node:worker_threads';
import { Deque } from '../_internal/deque.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkDelay,
  checkOptions,
  checkSignal,
  checkString,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError, InvalidStateError } from '../errors.js';
import { currentLoop, rejected } from '../core/lowlevel.js';
import { ClosedResourceError, type EventLoop, QueueFull } from '../index.js';
import { type HostIo, hostIoOf, hostOperation } from './host-wait.js';
import {
  checkLimit,
  checkMode,
  checkThreads,
  checkTransfer,
  moduleUrl,
} from './_internal/checks.js';
import { DONE, ENTRY, Job, QUEUED, RUNNING, Thread } from './_internal/pool-thread.js';
import {
  ERROR,
  type FromWorker,
  THROWN,
  type ToWorker,
  fromWire,
} from './_internal/worker-protocol.js';

/**
 * What cancelling a running job's caller does:
 * - `'cooperative'` (default): raise the job's flag and abort its `workerSignal()`;
 *   terminate the thread if the job has not ended after `cancelGrace` ms;
 * - `'terminate'`: terminate the thread at once;
 * - `'abandon'`: throw at once and let the job run to its end, its result
 *   dropped; its thread stays busy until then (Trio's `abandon_on_cancel`).
 *
 * In the first two modes `CancelledError` comes after the job's code stopped.
 */
export type CancelMode = 'cooperative' | 'terminate' | 'abandon';

export interface WorkerPoolOptions {
  /** The module whose exports `run()` calls: an absolute path or a `file:` URL. */
  readonly filename: string | URL;
  /** Threads kept however long they idle; default 0. */
  readonly minThreads?: number;
  /** The most threads at once; default `os.availableParallelism()`. */
  readonly maxThreads?: number;
  /** Jobs waiting for a thread beyond which `run()` throws `QueueFull`; default `Infinity`. */
  readonly maxQueue?: number;
  /** A thread beyond `minThreads` idle this many ms exits; default 5,000. */
  readonly idleTimeout?: number;
  /** What cancelling a running job's caller does; default `'cooperative'`. */
  readonly cancel?: CancelMode;
  /** ms from the cooperative request to `terminate()`; default 100 (`Infinity`: never). */
  readonly cancelGrace?: number;
}

export interface WorkerRunOptions {
  /** The export of the pool's module to call with `data`; default `'default'`. */
  readonly name?: string;
  /** Objects moved to the thread rather than copied (`ArrayBuffer`s, `MessagePort`s). */
  readonly transfer?: readonly Transferable[];
  /** Cancels the job as the calling task's cancellation does. */
  readonly signal?: AbortSignal;
  /** This job's cancel mode, instead of the pool's. */
  readonly cancel?: CancelMode;
}

export interface WorkerPoolStatistics {
  /** Threads alive (busy, idle, or starting). */
  readonly threads: number;
  readonly idleThreads: number;
  /** Jobs running on a thread, abandoned ones included. */
  readonly running: number;
  /** Jobs waiting for a thread. */
  readonly queued: number;
  /** Callers waiting for a result (queued or running jobs, abandoned ones not). */
  readonly tasksWaiting: number;
  /** Jobs that ended with a value or an error, for a caller still waiting. */
  readonly completed: number;
  /** Jobs whose caller was cancelled. */
  readonly cancelled: number;
  /** Threads terminated because a cancelled job did not stop in time, or by `'terminate'`. */
  readonly terminated: number;
}

const POOL_OPTIONS = optionNames<WorkerPoolOptions>({
  filename: 'required',
  minThreads: true,
  maxThreads: true,
  maxQueue: true,
  idleTimeout: true,
  cancel: true,
  cancelGrace: true,
});

const RUN_OPTIONS = optionNames<WorkerRunOptions>({
  name: true,
  transfer: true,
  signal: true,
  cancel: true,
});

export class WorkerPool implements AsyncDisposable {
  /** The pool's module, as a URL string. */
  readonly filename: string;
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly maxQueue: number;
  readonly idleTimeout: number;
  readonly cancelMode: CancelMode;
  readonly cancelGrace: number;
  readonly #threads = new Set<Thread>();
  // Idle threads, the most recently used last (it is taken first: warm caches).
  readonly #idle: Thread[] = [];
  // FIFO of jobs waiting for a thread. A job cancelled there stays in it, DONE,
  // and is skipped when its turn comes: #queued counts the live ones.
  readonly #queue = new Deque<Job>();
  #queued = 0;
  #running = 0;
  #waiting = 0;
  #completed = 0;
  #cancelled = 0;
  #terminated = 0;
  #closed = false;
  // The waits of close() calls, ended once the pool is closed and drained.
  readonly #closers = new Set<{ settle: (() => void) | null; io: HostIo | null }>();

  /** @throws {TypeError} / {RangeError} for bad options, naming them; a missing module is a TypeError. */
  constructor(options: WorkerPoolOptions) {
    const fn = 'new WorkerPool()';
    checkOptions(fn, 'options', options, POOL_OPTIONS);
    this.filename = moduleUrl(fn, 'options.filename', options.filename);
    const max = options.maxThreads ?? availableParallelism();
    this.maxThreads = checkThreads(fn, 'options.maxThreads', max, 1);
    this.minThreads = checkThreads(fn, 'options.minThreads', options.minThreads ?? 0, 0);
    if (this.minThreads > this.maxThreads) {
      throw new RangeError(
        `${fn}: \`options.minThreads\` (${this.minThreads}) must not exceed \`options.maxThreads\` (${this.maxThreads})`,
      );
    }
    this.maxQueue = checkLimit(fn, 'options.maxQueue', options.maxQueue ?? Infinity);
    this.idleTimeout = checkDelay(fn, 'options.idleTimeout', options.idleTimeout ?? 5000);
    this.cancelMode = checkMode(fn, 'options.cancel', options.cancel ?? 'cooperative');
    this.cancelGrace = checkDelay(fn, 'options.cancelGrace', options.cancelGrace ?? 100);
    for (let i = 0; i < this.minThreads; i++) this.#makeIdle(this.#spawn());
  }

  /**
   * Calls the export `options.name` (default `'default'`) of the pool's module
   * with `data` in a thread, and resolves with what it returns (awaited, then
   * structured-cloned). Jobs wait for a thread in FIFO order.
   *
   * **Cancellation:** a cancellation point. Cancelled while queued, the job is
   * dropped: it never runs. Cancelled while running, see `CancelMode`: by
   * default the job is asked to stop, its thread terminated after
   * `cancelGrace`, and `CancelledError` thrown once its code has stopped. Not
   * cancel-safe: the job may have done part of its work.
   *
   * @throws {QueueFull} when `maxQueue` jobs already wait for a thread.
   * @throws {InvalidStateError} after `close()`.
   * @throws {ClosedResourceError} when a cancelled `close()` stopped the job.
   * The job's own error is thrown as an `Error` of the same name, message and
   * stack (a built-in class keeps its class), its enumerable properties copied.
   */
  run<R = unknown>(data: unknown, options?: WorkerRunOptions): Promise<R> {
    const fn = 'WorkerPool.run()';
    try {
      if (options !== undefined) {
        checkOptions(fn, 'options', options, RUN_OPTIONS);
        checkString(fn, 'options.name', options.name);
        checkSignal(fn, options.signal);
      }
      const transfer = checkTransfer(fn, options?.transfer);
      const cancel = options?.cancel;
      const mode = cancel === undefined ? this.cancelMode : checkMode(fn, 'options.cancel', cancel);
      const name = options?.name ?? 'default';
      return this._call(fn, null, name, [data], transfer, mode, options?.signal) as Promise<R>;
    } catch (error) {
      return rejected(error);
    }
  }

  /** @internal The one way in for `run()` and `workerFunction`: `module` null is the pool's. */
  _call(
    fn: string,
    module: string | null,
    name: string,
    args: readonly unknown[],
    transfer: readonly Transferable[] | undefined,
    mode: CancelMode,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    if (this.#closed) {
      throw new InvalidStateError(`${fn}: the pool is closed; make a new WorkerPool`);
    }
    const loop = currentLoop();
    const io = hostIoOf(loop);
    const job = new Job(module, name, args, transfer, mode, io);
    return hostOperation<unknown>(
      `WorkerPool.run(${name})`,
      {
        io,
        signal,
        cancel: () => {
          this.#cancel(job, loop);
        },
        settle: mode !== 'abandon',
      },
      (settle) => {
        job.settle = settle;
        this.#count(job, true);
        try {
          this.#submit(fn, job);
        } catch (error) {
          this.#count(job, false);
          throw error;
        }
      },
    );
  }

  /** Counts, at this moment. */
  statistics(): WorkerPoolStatistics {
    return Object.freeze({
      threads: this.#threads.size,
      idleThreads: this.#idle.length,
      running: this.#running,
      queued: this.#queued,
      tasksWaiting: this.#waiting,
      completed: this.#completed,
      cancelled: this.#cancelled,
      terminated: this.#terminated,
    });
  }

  /**
   * Closes the pool: `run()` throws from now on; the jobs already submitted run
   * to their end; then every thread exits. Resolves once the last one has.
   * Idempotent. `await using` calls it.
   *
   * **Cancellation:** a cancellation point. Cancelled while it waits, it stops
   * every job left (cooperatively, then by termination after `cancelGrace`; their
   * callers get `ClosedResourceError`), waits until every thread has exited,
   * then throws `CancelledError`.
   */
  close(): Promise<void> {
    const loop = currentLoop();
    const io = hostIoOf(loop);
    const closer: { settle: (() => void) | null; io: HostIo | null } = { settle: null, io };
    return hostOperation<undefined>(
      'WorkerPool.close()',
      {
        io,
        cancel: () => {
          this.#force(loop);
        },
        settle: true,
      },
      (settle) => {
        this.#closed = true;
        closer.settle = () => {
          settle.resolve(undefined);
        };
        this.#closers.add(closer);
        this.#maybeDrained();
      },
    );
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  [inspectSymbol](): string {
    return show('WorkerPool', this.#closed ? ['closed'] : [], {
      threads: `${this.#threads.size}/${this.maxThreads}`,
      running: this.#running,
      queued: this.#queued,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }

  // ---- jobs ------------------------------------------------------------------

  // Counts a job among the waiting callers, or stops counting it (at most once).
  #count(job: Job, waiting: boolean): void {
    if (job.counted === waiting) return;
    job.counted = waiting;
    this.#waiting += waiting ? 1 : -1;
  }

  #submit(fn: string, job: Job): void {
    const thread = this.#idle.pop();
    if (thread !== undefined) {
      this.#dispatch(thread, job);
    } else if (this.#threads.size < this.maxThreads) {
      this.#dispatch(this.#spawn(), job);
    } else if (this.#queued >= this.maxQueue) {
      throw new QueueFull(
        `${fn}: ${this.#queued} jobs already wait for a thread (maxQueue: ${this.maxQueue})`,
      );
    } else {
      this.#queue.push(job);
      this.#queued++;
    }
  }

  // The next live job of the queue, if any.
  #nextQueued(): Job | undefined {
    while (this.#queue.size > 0) {
      const job = this.#queue.shift();
      if (job.state === QUEUED) {
        this.#queued--;
        return job;
      }
    }
    return undefined;
  }

  #dispatch(thread: Thread, job: Job): void {
    if (thread.idleTimer !== null) {
      clearTimeout(thread.idleTimer);
      thread.idleTimer = null;
    }
    const id = thread.nextId();
    const message: ToWorker =
      job.module === null && job.name === 'default' && job.args.length === 1
        ? [id, job.args[0]]
        : [id, job.args, job.name, job.module];
    try {
      thread.worker.postMessage(message, job.transfer);
    } catch (error) {
      // The arguments cannot be cloned: the job fails at once, the thread stays idle.
      job.state = DONE;
      this.#count(job, false);
      job.reject(error);
      this.#makeIdle(thread);
      return;
    }
    job.id = id;
    job.thread = thread;
    job.state = RUNNING;
    thread.job = job;
    this.#running++;
    thread.worker.ref();
  }

  #reply(thread: Thread, message: FromWorker): void {
    const job = thread.job;
    if (job?.id !== message[0]) return;
    this.#finish(thread, job);
    if (message.length === 2) job.resolve(message[1]);
    else if (message[2] === ERROR) job.reject(fromWire(message[1]));
    else if (message[2] === THROWN) job.reject(message[1]);
    else
      job.reject(new CancelledError('the job stopped at its cancellation', { source: 'parent' }));
    this.#makeIdle(thread);
  }

  #finish(thread: Thread, job: Job): void {
    thread.job = null;
    job.state = DONE;
    this.#running--;
    this.#count(job, false);
    if (!job.orphaned) this.#completed++;
    const onEnd = job.onEnd;
    job.onEnd = null;
    onEnd?.();
  }

  // The caller's wait was cancelled (its task, its scope, its signal). A queued
  // job is dropped; a running one is stopped as its mode says. Called inside the
  // cancellation, synchronously: the wait ends when the job settles.
  #cancel(job: Job, loop: EventLoop): void {
    this.#cancelled++;
    this.#count(job, false);
    job.orphaned = true;
    if (job.state === QUEUED) {
      job.state = DONE;
      this.#queued--;
      job.reject(new CancelledError('dropped from the queue', { source: 'parent' }));
      this.#maybeDrained();
    } else if (job.state === RUNNING) {
      this.#stop(job, job.cancel, loop);
    }
  }

  // Stops a running job: at most once; 'abandon' lets it run.
  #stop(job: Job, mode: CancelMode, loop: EventLoop): void {
    if (job.stopping || mode === 'abandon') return;
    job.stopping = true;
    const thread = job.thread as Thread;
    if (mode === 'terminate' || this.cancelGrace === 0) {
      this.#terminate(thread);
      return;
    }
    Atomics.store(thread.flag, 0, job.id);
    const cancel: ToWorker = job.id;
    thread.worker.postMessage(cancel);
    // The thread is asked something: under a VirtualClock, hold time for its
    // answer, so that the grace does not pass at once. A cancellation often comes
    // from a deadline, outside every task, where activity() would not hold time
    // and a helper task would be made on no loop of ours: hold it from a callback
    // of the caller's loop, whose root context is that loop's.
    const io = job.io;
    if (io !== null) {
      loop.callSoon(() => {
        io.begin();
        io.end();
      });
    }
    if (this.cancelGrace === Infinity) return;
    // The grace is measured on the caller's loop, as every corio delay.
    const timer = loop.callLater(this.cancelGrace, () => {
      if (thread.job === job) this.#terminate(thread);
    });
    job.onEnd = () => {
      timer.cancel();
    };
  }

  // ---- threads ---------------------------------------------------------------

  #spawn(): Thread {
    const thread = new Thread(this.filename);
    this.#threads.add(thread);
    const worker = thread.worker;
    worker.on('message', (message: FromWorker) => {
      this.#reply(thread, message);
    });
    worker.on('error', (error: unknown) => {
      thread.error = error;
    });
    worker.on('exit', (code: number) => {
      this.#exited(thread, code);
    });
    return thread;
  }

  #makeIdle(thread: Thread): void {
    if (thread.terminating) return;
    const next = this.#nextQueued();
    if (next !== undefined) {
      this.#dispatch(thread, next);
      return;
    }
    if (this.#closed) {
      this.#terminate(thread, false);
      return;
    }
    this.#idle.push(thread);
    thread.worker.unref();
    if (this.idleTimeout !== Infinity && this.#threads.size > this.minThreads) {
      thread.idleTimer = setTimeout(() => {
        thread.idleTimer = null;
        if (thread.job === null && this.#threads.size > this.minThreads) {
          this.#terminate(thread, false);
        }
      }, this.idleTimeout);
      thread.idleTimer.unref();
    }
  }

  #terminate(thread: Thread, count = true): void {
    if (thread.terminating) return;
    thread.terminating = true;
    if (count) this.#terminated++;
    const i = this.#idle.indexOf(thread);
    if (i >= 0) this.#idle.splice(i, 1);
    void thread.worker.terminate();
  }

  #exited(thread: Thread, code: number): void {
    this.#threads.delete(thread);
    const i = this.#idle.indexOf(thread);
    if (i >= 0) this.#idle.splice(i, 1);
    if (thread.idleTimer !== null) clearTimeout(thread.idleTimer);
    thread.markExited();
    const job = thread.job;
    if (job !== null) {
      this.#finish(thread, job);
      job.reject(
        thread.error ??
          new Error(
            `WorkerPool: the worker thread exited (code ${code}) while it ran ${JSON.stringify(job.name)}`,
          ),
      );
    }
    // A crash (or a termination) may leave jobs waiting with no thread to take them.
    if (this.#queued > 0 && this.#threads.size < this.maxThreads) {
      this.#makeIdle(this.#spawn());
    } else if (!this.#closed && this.#threads.size < this.minThreads) {
      this.#makeIdle(this.#spawn());
    }
    this.#maybeDrained();
  }

  // ---- closing ---------------------------------------------------------------

  #maybeDrained(): void {
    if (!this.#closed) return;
    for (const thread of [...this.#idle]) this.#terminate(thread, false);
    if (this.#threads.size > 0 || this.#queued > 0) return;
    for (const closer of this.#closers) {
      closer.io?.activity();
      closer.settle?.();
    }
    this.#closers.clear();
  }

  // A close() was cancelled: stop every job now. Its wait ends once every thread
  // has exited (#maybeDrained).
  #force(loop: EventLoop): void {
    const closed = new ClosedResourceError(
      'WorkerPool.close() was cancelled while the job waited or ran',
    );
    for (let job = this.#nextQueued(); job !== undefined; job = this.#nextQueued()) {
      job.state = DONE;
      job.orphaned = true;
      this.#count(job, false);
      job.reject(closed);
    }
    for (const thread of this.#threads) {
      const job = thread.job;
      if (job === null) {
        this.#terminate(thread, false);
      } else {
        // Its caller hears ClosedResourceError once the job stopped, not its outcome.
        job.closedWith = closed;
        this.#stop(job, job.cancel === 'abandon' ? 'terminate' : job.cancel, loop);
      }
    }
    this.#maybeDrained();
  }
}

let shared: WorkerPool | null = null;

/**
 * @internal The pool of the `workerFunction()`s that name none: created on first
 * use, its module is corio's own worker module (each call names its own), and
 * its idle threads neither keep the process alive nor outlive `idleTimeout`.
 */
export function sharedPool(): WorkerPool {
  return (shared ??= new WorkerPool({ filename: ENTRY }));
}
