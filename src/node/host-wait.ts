/**
 * Real I/O under virtual time. A task parked on a socket is a corio wait, so a
 * `VirtualClock` would count it as blocked and jump to the next timer while the
 * bytes it waits for are still on their way through the kernel: a `timeout()`
 * around a loopback round trip would fire at once. So while a corio/node wait on
 * real I/O is parked and corio's sockets have been busy within the last 50 ms of
 * real time, one helper task named `corio/node: real I/O in flight` stays
 * runnable and holds virtual time still; once they have been quiet that long,
 * time jumps as usual (Trio's `autojump_threshold`, applied to I/O only). Under
 * the system clock none of this exists: nothing is created, nothing is checked.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, timeout } from 'corio';
 * import { openConnection, startServer } from 'corio/node';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *   }, { host: '127.0.0.1', port: 0 });
 *   const [{ port }] = server.addresses();
 *   await using conn = await openConnection({ host: '127.0.0.1', port });
 *   const [reader, writer] = conn;
 *   writer.write('ping\n');
 *   // Virtual time holds while the line travels: the timeout does not fire.
 *   const line = await timeout(1000, () => reader.readline());
 *   console.log(line.toString().trim(), 'at', getRunningLoop().time());
 * }, { clock: new VirtualClock() });
 * // => ping at 0
 * ```
 * @module
 */
import { CancelledError, createTask, type EventLoop, type Task } from '../index.js';
import {
  cancelReasonOf,
  currentCancelNode,
  fail,
  parkThen,
  resumed,
  type Suspension,
  suspend,
  type WaitKind,
  wake,
} from '../core/lowlevel.js';

/** Real ms without I/O on corio's sockets after which virtual time may jump again. */
const QUIET_MS = 50;

/**
 * The real I/O of one loop whose clock jumps when idle. Every host wait is
 * counted by `begin()`/`end()`; `activity()` marks the host busy.
 *
 * Invariants:
 * - `#pin` is set iff the helper task is living and not yet released;
 * - `#quiet` is armed iff `#pin` is set.
 */
export class HostIo {
  /** Parked corio waits on real I/O. */
  #waits = 0;
  #pin: Task<undefined> | null = null;
  #release: (() => void) | null = null;
  #quiet: ReturnType<typeof setTimeout> | null = null;

  /** A corio wait on real I/O parked (call it in the waiting task). */
  begin(): void {
    this.#waits++;
    this.#hold();
  }

  /** A wait counted by `begin()` ended, whichever way. */
  end(): void {
    if (--this.#waits === 0) this.#drop();
  }

  /**
   * Bytes moved or a connection changed state. Inside a task (a write) it holds
   * virtual time again if a host wait is parked; from a host callback it only
   * restarts the quiet period, since the task it wakes is runnable anyway.
   */
  activity(): void {
    if (this.#pin !== null) this.#quiet?.refresh();
    else if (this.#waits > 0 && currentCancelNode() !== null) this.#hold();
  }

  #hold(): void {
    if (this.#pin !== null) {
      this.#quiet?.refresh();
      return;
    }
    // The promise exists before the task starts: a drop() that comes first still ends it.
    let release!: () => void;
    const held = new Promise<undefined>((resolve) => {
      release = () => {
        resolve(undefined);
      };
    });
    this.#release = release;
    const pin = createTask<undefined>(
      (task) => {
        // run()'s shutdown cancels every created task: end with it.
        task.signal.addEventListener('abort', release, { once: true });
        return held;
      },
      { name: 'corio/node: real I/O in flight' },
    );
    this.#pin = pin;
    pin.addDoneCallback(() => {
      if (this.#pin === pin) this.#drop();
    });
    const quiet = setTimeout(() => {
      this.#drop();
    }, QUIET_MS);
    quiet.unref();
    this.#quiet = quiet;
  }

  #drop(): void {
    if (this.#quiet !== null) clearTimeout(this.#quiet);
    this.#quiet = null;
    this.#pin = null;
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}

const perLoop = new WeakMap<EventLoop, HostIo | null>();

/**
 * The HostIo of `loop`, or null when its clock does not jump when idle (the
 * system clock): then real I/O needs no bookkeeping at all.
 */
export function hostIoOf(loop: EventLoop): HostIo | null {
  let io = perLoop.get(loop);
  if (io === undefined) {
    io = typeof loop.clock.onIdle === 'function' ? new HostIo() : null;
    perLoop.set(loop, io);
  }
  return io;
}

/** How a host operation reports its end to `hostOperation()`. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

export interface HostOperationOptions<T> {
  readonly io: HostIo | null;
  readonly signal?: AbortSignal | undefined;
  /**
   * Stops the operation when the waiting task is cancelled, with the
   * `CancelledError`. Without `settle`, the wait is withdrawn at once: the
   * operation must be over when this returns (a socket destroyed).
   */
  readonly cancel: (reason: CancelledError) => void;
  /**
   * Wait, after `cancel()`, for the operation to settle before throwing the
   * `CancelledError` (a request being aborted): nothing is left running.
   */
  readonly settle?: boolean;
  /** Disposes of a value the operation produced for a task that was cancelled meanwhile. */
  readonly unclaimed?: (value: T) => void;
}

// The state of one host operation; the owner of its Suspension.
class HostOperation<T> {
  readonly options: HostOperationOptions<T>;
  s: Suspension<T> | null = null;
  // The cancellation that stopped the operation, when settle is set.
  stopped: CancelledError | null = null;
  constructor(options: HostOperationOptions<T>) {
    this.options = options;
  }
}

const reasonOf = (s: Suspension): CancelledError =>
  (s.node === null ? null : cancelReasonOf(s.node)) ??
  (s.signal !== null && s.signal.reason instanceof CancelledError
    ? s.signal.reason
    : new CancelledError('the operation was aborted by its signal', {
        source: 'signal',
        cause: s.signal?.reason,
      }));

const HOST_OPERATION: WaitKind = {
  abort(s) {
    const op = s.owner as HostOperation<unknown>;
    const reason = reasonOf(s);
    op.options.cancel(reason);
    if (op.options.settle === true) {
      op.stopped = reason;
      return false;
    }
    op.options.io?.end();
    return true;
  },
  unclaimed(s) {
    (s.owner as HostOperation<unknown>).options.unclaimed?.(s.value);
  },
  waitingOn: () => null,
};

const afterOperation = (s: Suspension): unknown => {
  resumed(s);
  return s.value;
};

/**
 * Waits for a host operation (a connect, a listen, a request) as a corio wait:
 * a cancellation point whose cancellation stops the operation. `start` begins it
 * and reports through `settle`, at most once.
 */
export function hostOperation<T>(
  description: string,
  options: HostOperationOptions<T>,
  start: (settle: Settle<T>) => void,
): Promise<T> {
  const op = new HostOperation<T>(options);
  const s = suspend<T>(description, op, HOST_OPERATION, options.signal);
  op.s = s;
  options.io?.begin();
  const settle: Settle<T> = {
    resolve(value) {
      if (!s.parked) return;
      options.io?.end();
      if (op.stopped !== null) {
        options.unclaimed?.(value);
        fail(s, op.stopped);
      } else wake(s, value);
    },
    reject(error) {
      if (!s.parked) return;
      options.io?.end();
      fail(s, op.stopped ?? error);
    },
  };
  try {
    start(settle);
  } catch (error) {
    settle.reject(error);
  }
  return parkThen(s, afterOperation) as Promise<T>;
}
