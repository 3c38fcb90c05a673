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
import { type Transferable, Worker } from 'node:worker_threads';
import { Deque } from '../_internal/deque.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkDelay, checkOptions, checkSignal, checkString } from '../_internal/validate.js';
import { CancelledError, InvalidStateError } from '../errors.js';
import { currentLoop, throwIfCancelled } from '../core/lowlevel.js';
import { ClosedResourceError, type EventLoop, QueueFull } from '../index.js';
import {
  checkLimit,
  checkMode,
  checkThreads,
  checkTransfer,
  moduleUrl,
} from './_internal/checks.js';
import { hostWait } from './_internal/host-wait.js';
import {
  type CorioWorkerData,
  type FromWorker,
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
  /** Jobs that ended with a value or an error. */
  readonly completed: number;
  /** Jobs whose caller was cancelled. */
  readonly cancelled: number;
  /** Threads terminated because a cancelled job did not stop in time, or by `'terminate'`. */
  readonly terminated: number;
}

// The thread's entry: this folder's worker module, as TypeScript when corio runs
// from its sources (a loader is then registered), as JavaScript once built.
const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js',
  import.meta.url,
);

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;

// Job ids are per thread, 1 … 2^31 - 1, so that they fit the Int32 flag; 0 is "none".
const MAX_ID = 0x7fffffff;

class Job {
  readonly module: string | null;
  readonly name: string;
  readonly args: readonly unknown[];
  readonly transfer: readonly Transferable[] | undefined;
  readonly cancel: CancelMode;
  state = QUEUED;
  id = 0;
  thread: Thread | null = null;
  /** Settles with the job's result; its caller's wait may have ended before. */
  readonly promise: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  /** Its caller stopped waiting (cancelled, or abandoned it). */
  orphaned = false;
  /** Set by a cancelled close(): what the caller hears instead of the job's outcome. */
  closedWith: Error | null = null;
  /** Called once the job's code has stopped: a reply came, or its thread exited. */
  onStop: (() => void) | null = null;
  /** Resolves once the job's code has stopped; set when a stop was first asked for. */
  stopping: Promise<void> | null = null;

  constructor(
    module: string | null,
    name: string,
    args: readonly unknown[],
    transfer: readonly Transferable[] | undefined,
    cancel: CancelMode,
  ) {
    this.module = module;
    this.name = name;
    this.args = args;
    this.transfer = transfer;
    this.cancel = cancel;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  stopped(): void {
    const onStop = this.onStop;
    this.onStop = null;
    onStop?.();
  }
}

class Thread {
  readonly worker: Worker;
  readonly flag: Int32Array;
  /** Resolves when the thread has exited ('exit'). */
  readonly exited: Promise<void>;
  markExited!: () => void;
  job: Job | null = null;
  lastId = 0;
  idleTimer: NodeJS.Timeout | null = null;
  /** The error of an 'error' event: the thread dies with it. */
  error: unknown = undefined;
  terminating = false;

  constructor(filename: string) {
    const shared = new SharedArrayBuffer(4);
    this.flag = new Int32Array(shared);
    const workerData: CorioWorkerData = { corioWorker: 1, filename, flag: shared };
    this.worker = new Worker(ENTRY, { workerData });
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
  }

  nextId(): number {
    this.lastId = this.lastId === MAX_ID ? 1 : this.lastId + 1;
    return this.lastId;
  }
}

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
  readonly #idle: Thread[] = [];
  // FIFO of jobs waiting for a thread; a job cancelled there stays in it, DONE,
  // and is skipped when its turn comes. #queued counts the live ones.
  readonly #queue = new Deque<Job>();
  #queued = 0;
  #running = 0;
  #waiting = 0;
  #completed = 0;
  #cancelled = 0;
  #terminated = 0;
  #closed = false;
  // Resolved when the pool is closed and its last job and thread are gone.
  #drained: { promise: Promise<void>; resolve: () => void } | null = null;

  /** @throws {TypeError} / {RangeError} for bad options, naming them; a missing module is a TypeError. */
  constructor(options: WorkerPoolOptions) {
    const fn = 'new WorkerPool()';
    checkOptions(fn, 'options', options);
    if ((options as WorkerPoolOptions | undefined) === undefined) {
      throw new TypeError(
        `${fn}: \`options\` must be an options object with a filename, got undefined`,
      );
    }
    this.filename = moduleUrl(fn, 'options.filename', options.filename);
    this.maxThreads = checkThreads(
      fn,
      'options.maxThreads',
      options.maxThreads ?? availableParallelism(),
      1,
    );
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
   * @throws {ClosedResourceError} when `close()` was cancelled and stopped the job.
   * The job's own error is thrown as an `Error` of the same name, message and
   * stack (a built-in class keeps its class), its enumerable properties copied.
   */
  async run<R = unknown>(data: unknown, options?: WorkerRunOptions): Promise<R> {
    const fn = 'WorkerPool.run()';
    checkOptions(fn, 'options', options);
    checkString(fn, 'options.name', options?.name);
    checkSignal(fn, options?.signal);
    const transfer = checkTransfer(fn, options?.transfer);
    const mode =
      options?.cancel === undefined
        ? this.cancelMode
        : checkMode(fn, 'options.cancel', options.cancel);
    return (await this._call(
      fn,
      null,
      options?.name ?? 'default',
      [data],
      transfer,
      mode,
      options?.signal,
    )) as R;
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
    throwIfCancelled(signal);
    if (this.#closed) {
      throw new InvalidStateError(`${fn}: the pool is closed; make a new WorkerPool`);
    }
    const job = new Job(module, name, args, transfer, mode);
    this.#submit(fn, job);
    this.#waiting++;
    const done = (): void => {
      this.#waiting--;
    };
    const loop = currentLoop();
    const wait = hostWait(job.promise, `WorkerPool.run(${name})`, {
      signal,
      onCancel: () => this.#cancelJob(job, loop),
    });
    wait.then(done, done);
    return wait;
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
  async close(): Promise<void> {
    throwIfCancelled();
    this.#closed = true;
    if (this.#drained === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#drained = { promise, resolve };
      this.#maybeDrained();
    }
    const loop = currentLoop();
    await hostWait(this.#drained.promise, 'WorkerPool.close()', {
      onCancel: () => this.#force(loop),
    });
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

  // ---- jobs ------------------------------------------------------------------

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

  #dispatch(thread: Thread, job: Job): void {
    if (thread.idleTimer !== null) {
      clearTimeout(thread.idleTimer);
      thread.idleTimer = null;
    }
    const message: ToWorker = {
      type: 'job',
      id: thread.nextId(),
      module: job.module,
      name: job.name,
      args: job.args,
    };
    try {
      thread.worker.postMessage(message, job.transfer);
    } catch (error) {
      // The arguments cannot be cloned: the job fails at once, the thread stays idle.
      job.state = DONE;
      job.reject(error);
      this.#makeIdle(thread);
      return;
    }
    job.id = message.id;
    job.thread = thread;
    job.state = RUNNING;
    thread.job = job;
    this.#running++;
    thread.worker.ref();
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

  #reply(thread: Thread, message: FromWorker): void {
    const job = thread.job;
    if (job === null || job.id !== message.id) return;
    this.#finish(thread, job);
    if (job.closedWith !== null) job.reject(job.closedWith);
    switch (message.kind) {
      case 'value':
        job.resolve(message.value);
        break;
      case 'error':
        job.reject(fromWire(message.error));
        break;
      case 'thrown':
        job.reject(message.value);
        break;
      case 'cancelled':
        job.reject(new CancelledError('the job stopped at its cancellation', { source: 'parent' }));
        break;
    }
    if (!job.orphaned) this.#completed++;
    job.stopped();
    this.#makeIdle(thread);
  }

  #finish(thread: Thread, job: Job): void {
    thread.job = null;
    job.state = DONE;
    this.#running--;
  }

  // Called by the caller's wait when its task is cancelled; resolves once the
  // job's code no longer runs (at once for a queued or abandoned job).
  #cancelJob(job: Job, loop: EventLoop): Promise<void> {
    this.#cancelled++;
    job.orphaned = true;
    if (job.state === QUEUED) {
      job.state = DONE;
      this.#queued--;
      this.#maybeDrained();
      return Promise.resolve();
    }
    if (job.state === DONE) return Promise.resolve();
    return this.#stop(job, job.cancel, loop);
  }

  // The grace is measured on the caller's loop, as every corio delay: under a
  // VirtualClock it passes once the thread has been quiet for a while.
  #stop(job: Job, mode: CancelMode, loop: EventLoop): Promise<void> {
    if (job.stopping !== null) return job.stopping;
    const thread = job.thread as Thread;
    if (mode === 'abandon') return Promise.resolve();
    const stopped = new Promise<void>((resolve) => {
      job.onStop = resolve;
    });
    job.stopping = stopped;
    if (mode === 'terminate' || this.cancelGrace === 0) {
      this.#terminate(thread);
      return stopped;
    }
    Atomics.store(thread.flag, 0, job.id);
    const cancel: ToWorker = { type: 'cancel', id: job.id };
    thread.worker.postMessage(cancel);
    if (this.cancelGrace !== Infinity) {
      const timer = loop.callLater(this.cancelGrace, () => {
        if (thread.job === job) this.#terminate(thread);
      });
      void stopped.then(() => {
        timer.cancel();
      });
    }
    return stopped;
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
        job.closedWith ??
          thread.error ??
          new Error(
            `WorkerPool: the worker thread exited (code ${code}) while it ran ${JSON.stringify(job.name)}`,
          ),
      );
      if (!job.orphaned) this.#completed++;
      job.stopped();
    }
    // A crash (or a termination) left jobs waiting with no thread to take them.
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
    if (this.#threads.size === 0 && this.#queued === 0) this.#drained?.resolve();
  }

  // close() was cancelled: stop everything now, and wait until every thread exited.
  async #force(loop: EventLoop): Promise<void> {
    const closed = new ClosedResourceError(
      'WorkerPool.close() was cancelled while the job waited or ran',
    );
    for (let job = this.#nextQueued(); job !== undefined; job = this.#nextQueued()) {
      job.state = DONE;
      job.reject(closed);
    }
    const stopping: Promise<void>[] = [];
    for (const thread of this.#threads) {
      const job = thread.job;
      if (job === null) {
        this.#terminate(thread, false);
      } else {
        // Its caller hears ClosedResourceError once the job stopped, not its outcome.
        job.closedWith = closed;
        stopping.push(this.#stop(job, job.cancel === 'abandon' ? 'terminate' : job.cancel, loop));
      }
    }
    await Promise.all(stopping);
    for (const thread of this.#threads) this.#terminate(thread, false);
    await Promise.all([...this.#threads].map((thread) => thread.exited));
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
