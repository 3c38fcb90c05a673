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
import { isThenable } from '../_internal/validate.js';
import { CancelledError, InvalidStateError, isCancellation } from '../errors.js';
import {
  CANCELLED,
  type CorioWorkerData,
  ERROR,
  type FromWorker,
  THROWN,
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

// Modules by URL: the promise of the import, then its namespace once loaded
// (a job for a loaded module runs synchronously, with no microtask before it).
const loading = new Map<string, Promise<Namespace>>();
const loaded = new Map<string, Namespace>();
type Namespace = Readonly<Record<string, unknown>>;
type JobFunction = (...args: readonly unknown[]) => unknown;

function serve(port: MessagePort, data: CorioWorkerData): void {
  flag = new Int32Array(data.flag);
  port.on('message', (message: ToWorker) => {
    if (typeof message === 'number') {
      if (current?.id === message) current.abort();
    } else if (message.length === 2) {
      start(port, message[0], data.filename, 'default', [message[1]]);
    } else {
      start(port, message[0], message[3] ?? data.filename, message[2], message[1]);
    }
  });
}

function start(
  port: MessagePort,
  id: number,
  href: string,
  name: string,
  args: readonly unknown[],
): void {
  const job = new Job(id);
  current = job;
  const namespace = loaded.get(href);
  if (namespace !== undefined) {
    call(port, job, namespace, href, name, args);
    return;
  }
  let promise = loading.get(href);
  if (promise === undefined) {
    promise = import(href) as Promise<Namespace>;
    loading.set(href, promise);
    void promise.then((ns) => loaded.set(href, ns), ignore);
  }
  promise.then(
    (ns) => {
      call(port, job, ns, href, name, args);
    },
    (error: unknown) => {
      finish(port, job, answerFor(job, error));
    },
  );
}

function call(
  port: MessagePort,
  job: Job,
  namespace: Namespace,
  href: string,
  name: string,
  args: readonly unknown[],
): void {
  let result: unknown;
  try {
    const fn = namespace[name];
    if (typeof fn !== 'function') {
      throw new TypeError(
        `WorkerPool: the module ${href} has no export named ${JSON.stringify(name)} that is a function`,
      );
    }
    result = (fn as JobFunction)(...args);
  } catch (error) {
    finish(port, job, answerFor(job, error));
    return;
  }
  if (!isThenable(result)) {
    finish(port, job, [job.id, result]);
    return;
  }
  result.then(
    (value) => {
      finish(port, job, [job.id, value]);
    },
    (error: unknown) => {
      finish(port, job, answerFor(job, error));
    },
  );
}

function finish(port: MessagePort, job: Job, reply: FromWorker): void {
  current = null;
  try {
    port.postMessage(reply);
  } catch (error) {
    // The value cannot be cloned (a function, a class instance with private state).
    port.postMessage(answerFor(job, error));
  }
}

function answerFor(job: Job, error: unknown): FromWorker {
  if (job.requested() && isCancellation(error)) return [job.id, null, CANCELLED];
  if (error instanceof Error) return [job.id, toWire(error), ERROR];
  try {
    return [job.id, structuredClone(error), THROWN];
  } catch {
    return [job.id, String(error), THROWN];
  }
}

const ignore = (): void => {};
