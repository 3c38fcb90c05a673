/**
 * A corio wait for the host: a child's exit, a worker thread's reply. It parks
 * like every corio wait (a task tree shows what it awaits; a cancellation
 * withdraws it), with two additions:
 *
 * - **Stopping before throwing.** With an `onCancel`, a cancellation does not
 *   end the wait at once: `onCancel` stops the work (terminates the thread,
 *   kills the process group) and the wait throws `CancelledError` only once it
 *   has stopped. Nothing runs on behind the settled promise.
 * - **Virtual time holds while the host works.** A parked wait would let a
 *   `VirtualClock` jump to the next timer while a real process runs, so a
 *   `timeout()` around it would fire at once. While a host wait is parked, a
 *   helper task stays runnable and holds virtual time (the VirtualClock's rule
 *   for real I/O); under the system clock nothing is created.
 * @module
 */
import { CancelledError } from '../../errors.js';
import { type EventLoop, createTask } from '../../index.js';
import {
  type Suspension,
  type WaitKind,
  cancelReasonOf,
  currentLoop,
  fail,
  parkThen,
  resumed,
  suspend,
  wake,
} from '../../core/lowlevel.js';

/** The CancelledError for a wait whose own `signal` aborted (as corio's waits make it). */
export function signalCancel(signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledError) return reason;
  return new CancelledError('the operation was aborted by its signal', {
    source: 'signal',
    cause: reason,
  });
}

/**
 * What a cancelled wait does before it throws: stop the work it waited for,
 * and resolve once it has stopped. Its promise must not reject.
 */
export type OnCancel = (reason: CancelledError) => Promise<void>;

export interface HostWaitOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onCancel?: OnCancel | undefined;
}

// One wait's owner: what its abort hook needs.
class HostWait {
  readonly onCancel: OnCancel | undefined;
  /** A cancellation reached the wait and onCancel runs: the awaited promise no longer decides. */
  stopping = false;

  constructor(onCancel: OnCancel | undefined) {
    this.onCancel = onCancel;
  }
}

const reasonOf = (s: Suspension): CancelledError =>
  (s.node === null ? null : cancelReasonOf(s.node)) ?? signalCancel(s.signal as AbortSignal);

const HOST: WaitKind = {
  abort(s) {
    const wait = s.owner as HostWait;
    if (wait.onCancel === undefined) return true;
    // A second cancellation (an outer scope) finds the stop under way.
    if (wait.stopping) return false;
    wait.stopping = true;
    const reason = reasonOf(s);
    void wait.onCancel(reason).then(
      () => fail(s, reason),
      () => fail(s, reason),
    );
    return false;
  },
  // Only the host (a process, a thread) can end it.
  waitingOn: () => null,
};

const afterWait = (s: Suspension): unknown => {
  resumed(s);
  return s.value;
};

/**
 * Waits for `promise` as a corio wait described as `description`. Throws at
 * once when the calling code or `signal` is already cancelled. See the module
 * doc for `onCancel`.
 */
export function hostWait<T>(
  promise: Promise<T>,
  description: string,
  options?: HostWaitOptions,
): Promise<T> {
  const wait = new HostWait(options?.onCancel);
  const s = suspend<T>(description, wait, HOST, options?.signal);
  const hold = holdFor(currentLoop());
  if (hold !== null) {
    hold.begin();
    const end = (): void => {
      hold.end();
    };
    s.promise.then(end, end);
  }
  promise.then(
    (value) => {
      if (!wait.stopping) wake(s, value);
    },
    (error: unknown) => {
      if (!wait.stopping) fail(s, error);
    },
  );
  return parkThen(s, afterWait as (s: never) => T);
}

// ---- holding virtual time --------------------------------------------------

/**
 * The parked host waits of one loop whose clock jumps when idle. While there
 * is one, a helper task awaits a plain promise: it stays runnable, so the
 * clock does not jump.
 *
 * Invariant: `#release` is set iff `#waits > 0` (the helper is living).
 */
class Hold {
  #waits = 0;
  #release: (() => void) | null = null;

  begin(): void {
    if (this.#waits++ > 0) return;
    const held = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
    createTask(
      (task) => {
        // run()'s shutdown cancels every created task: end with it.
        task.signal.addEventListener('abort', () => {
          this.#release?.();
        });
        return held;
      },
      { name: 'corio/node: waiting for the host' },
    );
  }

  end(): void {
    if (--this.#waits > 0) return;
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}

const holds = new WeakMap<EventLoop, Hold | null>();

function holdFor(loop: EventLoop): Hold | null {
  let hold = holds.get(loop);
  if (hold === undefined) {
    hold = typeof loop.clock.onIdle === 'function' ? new Hold() : null;
    holds.set(loop, hold);
  }
  return hold;
}
