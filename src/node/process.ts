/**
 * `Process` (asyncio's `asyncio.subprocess.Process`, Trio's `trio.Process`): a
 * running child, made by `createSubprocessExec()` or `createSubprocessShell()`.
 * It belongs to the code that started it: when that code is cancelled, or its
 * task ends, while the child runs, the child's process group gets
 * `killSignal`, then SIGKILL after `killGrace` (or `deliverCancel` runs), and
 * `wait()`, `communicate()` and `await using` wait for the exit before they
 * throw. Its pipes are corio streams: `stdout`/`stderr` are `StreamReader`s
 * (cancel-safe reads), `stdin` a `StreamWriter`.
 *
 * @example
 * ```ts
 * import { moveOnAfter, run } from 'corio';
 * import { createSubprocessExec } from 'corio/node';
 *
 * await run(async () => {
 *   await using proc = await createSubprocessExec('sleep', ['30']);
 *   // wait() is cancel-safe: given up on, the child runs on.
 *   console.log(await moveOnAfter(20, () => proc.wait()), proc.returncode);
 *   proc.terminate();
 *   console.log(await proc.wait(), String(proc).startsWith('Process<exited returncode=-15'));
 * });
 * // => undefined null
 * // => -15 true
 * ```
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkMadeBy, describe } from '../_internal/validate.js';
import {
  InvalidStateError,
  cancelScope,
  isCancellation,
  moveOnAfter,
  taskGroup,
  type Task,
} from '../index.js';
import {
  Nursery,
  awaitPromise,
  cancelReasonOf,
  currentLoop,
  enterWait,
  type SignalOptions,
} from '../core/lowlevel.js';
import { type HostIo, type Settle, hostOperation } from './host-wait.js';
import type { StreamReader } from './stream-reader.js';
import type { StreamWriter } from './stream-writer.js';
import { PipeReadTransport, PipeWriteTransport } from './_internal/pipes.js';
import { signalGroup } from './_internal/process-group.js';
import type { Exit, SpawnOptions } from './_internal/spawn-options.js';

/** What `communicate()` returns: each piped output read to its end, `null` for one not piped. */
export interface CommunicateResult {
  readonly stdout: Buffer | null;
  readonly stderr: Buffer | null;
}

const READ_SIZE = 65_536;

// Proves a Process is made by corio (its constructor is internal).
const MADE: unique symbol = Symbol('Process');

export class Process implements AsyncDisposable {
  /** The child's process id (on POSIX, its process group's id too). */
  readonly pid: number;
  /** The command as it was run: the file and its arguments (`['/bin/sh', '-c', cmd]` for a shell). */
  readonly args: readonly string[];
  /** The child's stdin, when `stdin: 'pipe'`. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout, when `stdout: 'pipe'` (with stderr, when `stderr: 'stdout'`). */
  readonly stdout: StreamReader | null;
  /** The child's stderr, when `stderr: 'pipe'`. */
  readonly stderr: StreamReader | null;
  readonly #child: ChildProcess;
  readonly #group: boolean;
  readonly #exit: Exit;
  readonly #io: HostIo | null;
  readonly #options: SpawnOptions;
  readonly #nursery: Nursery;
  readonly #owner: Task<void>;
  // The kill sequence, started at most once (by the owner, or by disposal).
  #stopping: Promise<void> | null = null;
  // Output communicate() has read and not yet returned: a cancelled call keeps it here.
  #out: Buffer[] = [];
  #err: Buffer[] = [];
  // stdin was taken by communicate(): its input is sent at most once.
  #inputTaken = false;

  /** @internal Made by `createSubprocessExec()` and `createSubprocessShell()`. */
  static _open(child: ChildProcess, exit: Exit, io: HostIo | null, options: SpawnOptions): Process {
    return new Process(MADE, child, exit, io, options);
  }

  private constructor(
    made: symbol,
    child: ChildProcess,
    exit: Exit,
    io: HostIo | null,
    options: SpawnOptions,
  ) {
    checkMadeBy(
      'new Process()',
      made === MADE,
      'createSubprocessExec() or createSubprocessShell()',
    );
    this.#child = child;
    this.#exit = exit;
    this.#io = io;
    this.#options = options;
    this.#group = options.group;
    this.pid = child.pid as number;
    this.args = child.spawnargs;
    this.stdin = child.stdin === null ? null : new PipeWriteTransport(child.stdin, io).writer;
    const outputs = [child.stdout, options.mergeStderr ? child.stderr : null].filter(
      (s) => s !== null,
    );
    this.stdout =
      outputs.length === 0 ? null : new PipeReadTransport(outputs, io, options.limit).reader;
    this.stderr =
      child.stderr === null || options.mergeStderr
        ? null
        : new PipeReadTransport([child.stderr], io, options.limit).reader;
    // The owner: a helper task under the code that started the process. A
    // cancellation of that code, or the end of its task, cancels it, and it
    // stops the process.
    // Both helpers (the owner, stdin's feeder) handle their own errors; the
    // nursery exits when the last has ended.
    this.#nursery = new Nursery({
      onEnd: () => {
        this.#closeNursery();
      },
    });
    this.#owner = this.#nursery.spawn(() => this.#own(), { name: `process ${this.pid} owner` });
  }

  /**
   * How the child ended: its exit code, or `-N` when signal `N` ended it
   * (asyncio's convention: -15 for SIGTERM, -9 for SIGKILL); `null` while it runs.
   */
  get returncode(): number | null {
    return this.#exit.returncode;
  }

  /**
   * Waits until the child has exited and returns its `returncode`. A child that
   * writes to a pipe nobody reads stops once the pipe is full: read it, or use
   * `communicate()`.
   *
   * **Cancellation:** cancel-safe: the child runs on, still owned by its scope.
   * When the cancellation is the owning scope's own, the child is being killed:
   * `wait()` then waits for the exit, shielded, and throws `CancelledError` after.
   */
  wait(options?: SignalOptions): Promise<number> {
    try {
      enterWait('Process.wait()', options);
      const code = this.#exit.returncode;
      if (code !== null) return Promise.resolve(code);
      return this.#waitExit(`Process.wait(${this.pid})`, options?.signal, true);
    } catch (error) {
      return this.#afterCancel(error);
    }
  }

  /**
   * Sends `input` (if given) to stdin and closes it, reads stdout and stderr to
   * their ends, concurrently, and waits for the exit (asyncio's `communicate`).
   * Returns the output read, `null` for a stream that is not a pipe.
   *
   * **Cancellation:** as cancel-safe as it can be (cpython#139373): output read
   * before a cancellation is kept and returned by the next `communicate()`; the
   * input is handed to a helper of the process that sends it once, whatever
   * happens to the caller, so a later call must not pass it again. When the
   * cancellation is the owning scope's, it waits for the child's exit first.
   *
   * @throws {InvalidStateError} for `input` without `stdin: 'pipe'`, or `input`
   * again after an earlier call took stdin.
   */
  async communicate(
    input?: Uint8Array | string,
    options?: SignalOptions,
  ): Promise<CommunicateResult> {
    const fn = 'Process.communicate()';
    if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
      throw new TypeError(
        `${fn}: \`input\` must be a Uint8Array or a string, got ${describe(input)}`,
      );
    }
    const signal = options?.signal;
    try {
      enterWait(fn, options);
    } catch (error) {
      return this.#afterCancel(error);
    }
    if (input !== undefined) {
      if (this.stdin === null) {
        throw new InvalidStateError(`${fn}: \`input\` needs stdin: 'pipe'`);
      }
      if (this.#inputTaken) {
        throw new InvalidStateError(
          `${fn}: stdin was taken by an earlier communicate(), which sends its input once; call it again without input`,
        );
      }
    }
    if (this.stdin !== null && !this.#inputTaken) {
      this.#inputTaken = true;
      this.#feed(this.stdin, input);
    }
    try {
      await taskGroup((tg) => {
        if (this.stdout !== null)
          tg.spawn(() => readAll(this.stdout as StreamReader, this.#out, signal));
        if (this.stderr !== null)
          tg.spawn(() => readAll(this.stderr as StreamReader, this.#err, signal));
      }).catch(unwrapOne);
      await this.#waitExit(`Process.communicate(${this.pid})`, signal, true);
    } catch (error) {
      return this.#afterCancel(error);
    }
    const result: CommunicateResult = {
      stdout: this.stdout === null ? null : Buffer.concat(this.#out),
      stderr: this.stderr === null ? null : Buffer.concat(this.#err),
    };
    this.#out = [];
    this.#err = [];
    return result;
  }

  /**
   * Sends `signal` to the child's process group (or to the child alone, without
   * `processGroup` or on Windows). Does nothing once the child has exited.
   */
  sendSignal(signal: NodeJS.Signals | number): void {
    if (this.#exit.returncode !== null) return;
    signalGroup(this.#child, this.#group, signal);
  }

  /** `sendSignal('SIGTERM')`. */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /** `sendSignal('SIGKILL')`. */
  kill(): void {
    this.sendSignal('SIGKILL');
  }

  /**
   * Ends the process if it still runs, as its scope's cancellation would
   * (`deliverCancel`, or `killSignal`, `killGrace`, SIGKILL), and waits for its
   * exit, shielded; closes stdin.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await cancelScope(
      async () => {
        if (this.#exit.returncode === null) await this.#stop();
        this.stdin?.close();
      },
      { shield: true },
    );
  }

  [inspectSymbol](): string {
    const code = this.#exit.returncode;
    return show('Process', code === null ? ['running'] : ['exited', `returncode=${code}`], {
      pid: this.pid,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }

  // ---- ownership -------------------------------------------------------------

  async #own(): Promise<void> {
    try {
      await awaitPromise(this.#exit.promise, `process ${this.pid}: runs`, this.#options.signal);
      return;
    } catch (error) {
      if (!isCancellation(error)) throw error;
    }
    try {
      await cancelScope(() => this.#stop(), { shield: true });
    } catch (error) {
      currentLoop().callExceptionHandler({
        message: `corio could not stop process ${this.pid} (${this.args.join(' ')})`,
        error,
      });
    }
  }

  // The owner's cancellation reached, or the caller's signal: the process is
  // being stopped by its owner, so a wait in that scope waits for the exit.
  #ownerStopping(): boolean {
    return (
      this.#stopping !== null ||
      cancelReasonOf(this.#owner) !== null ||
      this.#options.signal?.aborted === true
    );
  }

  #stop(): Promise<void> {
    return (this.#stopping ??= this.#kill());
  }

  // The kill sequence; runs in a shielded scope.
  async #kill(): Promise<void> {
    const deliver = this.#options.deliverCancel;
    if (deliver !== undefined) {
      try {
        await deliver(this);
      } catch (error) {
        signalGroup(this.#child, this.#group, 'SIGKILL');
        currentLoop().callExceptionHandler({
          message: `the deliverCancel of process ${this.pid} threw; the process got SIGKILL`,
          error,
        });
      }
    } else if (this.#exit.returncode === null) {
      signalGroup(this.#child, this.#group, this.#options.killSignal);
      await moveOnAfter(this.#options.killGrace, () =>
        this.#waitExit(`process ${this.pid}: ${this.#options.killSignal} sent`, undefined, false),
      );
      // The leader has exited or the grace is over: what is left of the group
      // (a member that ignores the signal) is killed.
      signalGroup(this.#child, this.#group, 'SIGKILL');
    }
    await this.#waitExit(`process ${this.pid}: stopping`, undefined, false);
  }

  // A wait that throws: when the cancellation is the owner's, the process is
  // being stopped; wait for its exit, shielded, then throw (Trio's run_process).
  async #afterCancel(error: unknown): Promise<never> {
    if (isCancellation(error) && this.#exit.returncode === null && this.#ownerStopping()) {
      await cancelScope(() => this.#waitExit(`process ${this.pid}: stopping`, undefined, false), {
        shield: true,
      });
    }
    throw error;
  }

  /**
   * A corio wait for the exit. Cancelled, it is withdrawn (cancel-safe), unless
   * `owned` and the cancellation is the owner's: then it ends at the exit.
   */
  #waitExit(description: string, signal: AbortSignal | undefined, owned: boolean): Promise<number> {
    const exit = this.#exit;
    if (exit.returncode !== null) return Promise.resolve(exit.returncode);
    let mine: Settle<number> | null = null;
    const stopping = (): boolean => owned && this.#ownerStopping();
    return hostOperation<number>(
      description,
      {
        io: this.#io,
        signal,
        cancel: () => {
          if (!stopping() && mine !== null) exit.waiters.delete(mine);
        },
        get settle() {
          return stopping();
        },
      },
      (settle) => {
        mine = settle;
        exit.waiters.add(settle);
      },
    );
  }

  // Sends `input` and closes stdin, in a helper of the process: the caller's
  // cancellation does not cut it, so the input goes once.
  #feed(stdin: StreamWriter, input: Uint8Array | string | undefined): void {
    this.#nursery.spawn(
      async () => {
        try {
          if (input !== undefined && input.length > 0) await stdin.writeAll(input);
        } catch (error) {
          // The child exited or closed its stdin first (asyncio ignores these too).
          if (!isCancellation(error) && !isPipeGone(error)) {
            currentLoop().callExceptionHandler({
              message: `sending input to process ${this.pid} failed`,
              error,
            });
          }
        } finally {
          stdin.close();
        }
      },
      { name: `process ${this.pid} stdin` },
    );
  }

  #closeNursery(): void {
    if (this.#nursery.size === 0 && !this.#nursery.closed) this.#nursery.exit();
  }
}

async function readAll(reader: StreamReader, into: Buffer[], signal: AbortSignal | undefined) {
  for (;;) {
    const chunk = await reader.read(READ_SIZE, signal === undefined ? undefined : { signal });
    if (chunk.length === 0) return;
    into.push(chunk);
  }
}

// A taskGroup's ExceptionGroup of one error is thrown as that error.
function unwrapOne(error: unknown): never {
  if (error instanceof AggregateError && error.errors.length === 1) throw error.errors[0];
  throw error;
}

const isPipeGone = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_STREAM_DESTROYED';
};
