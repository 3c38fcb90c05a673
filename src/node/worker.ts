/**
 * `corio/node/worker`: what a job running in a `WorkerPool` thread sees of its
 * caller (Trio's `from_thread.check_cancelled`). When the task that called
 * `pool.run()` is cancelled, the pool raises a flag in shared memory and posts
 * a message: `checkCancelled()` reads the flag (one `Atomics.load`, so a busy
 * loop sees it within a fraction of a millisecond) and throws `CancelledError`;
 * `workerSignal()` is an `AbortSignal` that aborts at the same moment, for the
 * async APIs a job awaits (`fetch`, `timers/promises`, a corio `run()` inside
 * the thread). A job that stops this way leaves its thread ready for the next
 * job; one that does not is terminated after the pool's `cancelGrace`.
 *
 * Loaded as the entry of a pool's thread, this module also serves the pool: it
 * imports the pool's module and calls the exports that `run()` names, one job
 * at a time.
 *
 * @example
 * ```ts
 * import { isMainThread } from 'node:worker_threads';
 * import { SystemClock, moveOnAfter, run } from 'corio';
 * import { WorkerPool } from 'corio/node';
 * import { checkCancelled } from 'corio/node/worker';
 *
 * // Runs in a pool thread: counts until its caller gives up.
 * export function spin(): number {
 *   for (let n = 0; ; n++) if (n % 4096 === 0) checkCancelled();
 * }
 *
 * if (isMainThread) {
 *   await using pool = new WorkerPool({ filename: import.meta.url, maxThreads: 1, cancelGrace: 5000 });
 *   // A thread takes real time: the system clock, also under a test's virtual one.
 *   await run(async () => {
 *     const result = await moveOnAfter(50, () => pool.run(null, { name: 'spin' }));
 *     const { threads, cancelled, terminated } = pool.statistics();
 *     console.log(result, { threads, cancelled, terminated });
 *   }, { clock: new SystemClock() });
 * }
 * // => undefined { threads: 1, cancelled: 1, terminated: 0 }
 * ```
 * @module
 */
import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { CancelledError, InvalidStateError, isCancellation } from '../errors.js';
import {
  type CorioWorkerData,
  type FromWorker,
  type ToWorker,
  isCorioWorkerData,
  toWire,
} from './_internal/worker-protocol.js';

// The job this thread runs now. A pool runs one job per thread at a time.
class Job {
  readonly id: number;
  #controller: AbortController | null = null;
  #reason: CancelledError | null = null;

  constructor(id: number) {
    this.id = id;
  }

  /** The job's caller was cancelled (the flag names this job). */
  requested(): boolean {
    return flag !== null && Atomics.load(flag, 0) === this.id;
  }

  // The same CancelledError at every check: cancellation is level-triggered.
  reason(): CancelledError {
    return (this.#reason ??= new CancelledError(
      'the task that called WorkerPool.run() was cancelled',
      { source: 'parent' },
    ));
  }

  signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (!this.#controller.signal.aborted && this.requested()) this.#controller.abort(this.reason());
    return this.#controller.signal;
  }

  abort(): void {
    if (this.#controller !== null && !this.#controller.signal.aborted) {
      this.#controller.abort(this.reason());
    }
  }
}

let current: Job | null = null;
let flag: Int32Array | null = null;

function currentJob(fn: string): Job {
  if (current === null) {
    throw new InvalidStateError(
      `${fn}: no WorkerPool job is running on this thread; call it from inside the function a pool runs`,
    );
  }
  return current;
}

/**
 * The running job's `AbortSignal`: it aborts, with a `CancelledError` as its
 * `reason`, when the task that called `pool.run()` is cancelled. Pass it to
 * the async APIs the job awaits.
 *
 * @throws {InvalidStateError} outside a job of a `WorkerPool` thread.
 */
export function workerSignal(): AbortSignal {
  return currentJob('workerSignal()').signal();
}

/**
 * Throws `CancelledError` if the task that called `pool.run()` has been
 * cancelled: call it now and then in a long synchronous loop. Reading the
 * flag is one `Atomics.load`; it needs no turn of the thread's event loop.
 *
 * @throws {CancelledError} when the job's caller was cancelled.
 * @throws {InvalidStateError} outside a job of a `WorkerPool` thread.
 */
export function checkCancelled(): void {
  const job = currentJob('checkCancelled()');
  if (job.requested()) {
    job.abort();
    throw job.reason();
  }
}

// ---- the thread's side of the pool ------------------------------------------

const data: unknown = workerData;
if (!isMainThread && parentPort !== null && isCorioWorkerData(data)) serve(parentPort, data);

function serve(port: MessagePort, data: CorioWorkerData): void {
  flag = new Int32Array(data.flag);
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  const load = (href: string): Promise<Record<string, unknown>> => {
    let loaded = modules.get(href);
    if (loaded === undefined) {
      loaded = import(href) as Promise<Record<string, unknown>>;
      modules.set(href, loaded);
    }
    return loaded;
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') {
      if (current?.id === message.id) current.abort();
    } else {
      void runJob(
        port,
        message,
        load(message.module ?? data.filename),
        message.module ?? data.filename,
      );
    }
  });
}

async function runJob(
  port: MessagePort,
  message: Extract<ToWorker, { type: 'job' }>,
  loaded: Promise<Record<string, unknown>>,
  href: string,
): Promise<void> {
  const job = new Job(message.id);
  current = job;
  let reply: FromWorker;
  try {
    const fn = (await loaded)[message.name];
    if (typeof fn !== 'function') {
      throw new TypeError(
        `WorkerPool: the module ${href} has no export named ${JSON.stringify(message.name)} that is a function`,
      );
    }
    const value: unknown = await (fn as (...args: readonly unknown[]) => unknown)(...message.args);
    reply = { id: job.id, kind: 'value', value };
  } catch (error) {
    reply = answerFor(job, error);
  } finally {
    current = null;
  }
  try {
    port.postMessage(reply);
  } catch (error) {
    // The value cannot be cloned (a function, a class instance with private state).
    port.postMessage(answerFor(job, error));
  }
}

function answerFor(job: Job, error: unknown): FromWorker {
  if (job.requested() && isCancellation(error)) return { id: job.id, kind: 'cancelled' };
  if (error instanceof Error) return { id: job.id, kind: 'error', error: toWire(error) };
  try {
    return { id: job.id, kind: 'thrown', value: structuredClone(error) };
  } catch {
    return { id: job.id, kind: 'thrown', value: String(error) };
  }
}
