/**
 * The two records a `WorkerPool` keeps: a `Job` (one `run()` call, from its
 * submission to its end) and a `Thread` (one `Worker`, its cancellation flag
 * and the job it runs).
 * @module
 */
import { type Transferable, Worker } from 'node:worker_threads';
import type { HostIo, Settle } from '../host-wait.js';
import type { CancelMode } from '../worker-pool.js';
import type { CorioWorkerData } from './worker-protocol.js';

// The thread's entry: corio's worker module, as TypeScript when corio runs from
// its sources (a loader is then registered), as JavaScript once built.
export const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? '../worker.ts' : '../worker.js',
  import.meta.url,
);

export const QUEUED = 0;
export const RUNNING = 1;
export const DONE = 2;

// Job ids are per thread, 1 … 2^31 - 1, so that they fit the Int32 flag; 0 is "none".
const MAX_ID = 0x7fffffff;

export class Job {
  readonly module: string | null;
  readonly name: string;
  readonly args: readonly unknown[];
  readonly transfer: readonly Transferable[] | undefined;
  readonly cancel: CancelMode;
  /** The caller's loop: its clock measures the cancel grace, its HostIo hears of the thread. */
  readonly io: HostIo | null;
  state = QUEUED;
  id = 0;
  thread: Thread | null = null;
  /** Ends the caller's wait; set when the wait starts. */
  settle: Settle<unknown> | null = null;
  /** Its caller no longer waits for its outcome (cancelled, or the pool was force-closed). */
  orphaned = false;
  /** A stop was asked for (cooperatively, or by terminating the thread). */
  stopping = false;
  /** Called when the job ends, whichever way (a reply, its thread's exit). */
  onEnd: (() => void) | null = null;
  /** Counted among the pool's waiting callers. */
  counted = false;
  /** Set by a cancelled close(): what the caller hears instead of the job's outcome. */
  closedWith: Error | null = null;

  constructor(
    module: string | null,
    name: string,
    args: readonly unknown[],
    transfer: readonly Transferable[] | undefined,
    cancel: CancelMode,
    io: HostIo | null,
  ) {
    this.module = module;
    this.name = name;
    this.args = args;
    this.transfer = transfer;
    this.cancel = cancel;
    this.io = io;
  }

  resolve(value: unknown): void {
    this.io?.activity();
    if (this.closedWith !== null) this.settle?.reject(this.closedWith);
    else this.settle?.resolve(value);
  }

  reject(error: unknown): void {
    this.io?.activity();
    this.settle?.reject(this.closedWith ?? error);
  }
}

export class Thread {
  readonly worker: Worker;
  readonly flag: Int32Array;
  /** Resolves when the thread has exited (its 'exit' event). */
  readonly exited: Promise<void>;
  markExited!: () => void;
  /** The job it runs; null while idle. */
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
