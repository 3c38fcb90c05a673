/**
 * Child processes as asyncio has them (`create_subprocess_exec`,
 * `create_subprocess_shell`, `Process`), owned the way Trio's `run_process`
 * owns them: a process belongs to the scope that started it. On POSIX it runs
 * in a process group of its own, and when that scope is cancelled — or its task
 * ends — while the process runs, the whole group gets `killSignal` (SIGTERM),
 * then SIGKILL after `killGrace` ms (5 s); a `deliverCancel` hook replaces that
 * policy. `wait()` and `communicate()` cancelled by that cancellation wait
 * (shielded) for the exit before they throw, and `await using` does the same
 * when the block ends: nothing keeps running behind a settled promise.
 *
 * Its pipes are corio streams: `stdout`/`stderr` are `StreamReader`s (reads
 * are cancel-safe; a pipe nobody reads pauses the child once `2 × limit` bytes
 * wait), `stdin` is a `StreamWriter`.
 *
 * What cannot be done: a parent killed by SIGKILL leaves its children running
 * (Node has no `PR_SET_PDEATHSIG`; a `process.exit()` is covered: the groups
 * get SIGKILL from an exit hook); Ctrl+C no longer reaches a child in a group of
 * its own (wire `run(main, { signal })` to SIGINT, or pass `processGroup:
 * false`); Windows has no process groups, so there the child alone is signalled
 * (a tree kill is `taskkill /T /F /PID <pid>`).
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { createSubprocessExec } from 'corio/node';
 *
 * await run(async () => {
 *   await using proc = await createSubprocessExec('sort', [], { stdin: 'pipe', stdout: 'pipe' });
 *   const { stdout } = await proc.communicate('pear\napple\nfig\n');
 *   console.log(String(stdout).trim().split('\n'), proc.returncode);
 * });
 * // => [ 'apple', 'fig', 'pear' ] 0
 * ```
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkOptions, checkSignal, describe } from '../_internal/validate.js';
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
  rejected,
  throwIfCancelled,
} from '../core/lowlevel.js';
import { type HostIo, type Settle, hostIoOf, hostOperation } from './host-wait.js';
import type { StreamReader } from './stream-reader.js';
import type { StreamWriter } from './stream-writer.js';
import { PipeReadTransport, PipeWriteTransport } from './_internal/pipes.js';
import { signalGroup, signalNumber, track, untrack } from './_internal/process-group.js';
import { Exit, type SpawnOptions, checkSpawn } from './_internal/spawn-options.js';

/** Where a child's stdin, stdout or stderr goes: a corio stream (`'pipe'`), the parent's, nowhere, or a file descriptor. */
export type Stdio = 'pipe' | 'inherit' | 'ignore' | number;

export interface SubprocessOptions {
  /** Default `'inherit'` (asyncio's `None`). `'pipe'` makes `proc.stdin` a `StreamWriter`. */
  readonly stdin?: Stdio;
  /** Default `'inherit'`. `'pipe'` makes `proc.stdout` a `StreamReader`. */
  readonly stdout?: Stdio;
  /** Default `'inherit'`; `'stdout'` reads it through `proc.stdout` too (asyncio's `STDOUT`). */
  readonly stderr?: Stdio | 'stdout';
  /** The working directory; default the parent's. */
  readonly cwd?: string | URL;
  /** The environment, instead of the parent's (as Node's and asyncio's `env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The pipes' line and separator limit in bytes; default 65,536. */
  readonly limit?: number;
  /** POSIX: run in a process group of its own, signalled as a whole; default true. */
  readonly processGroup?: boolean;
  /** The first signal when the owning scope is cancelled; default `'SIGTERM'`. */
  readonly killSignal?: NodeJS.Signals;
  /** ms from `killSignal` to SIGKILL; default 5,000 (Trio's). */
  readonly killGrace?: number;
  /**
   * Replaces the kill policy (Trio's `deliver_cancel`): called when the owning
   * scope is cancelled while the process runs; corio then waits for the exit.
   * If it throws, the group gets SIGKILL and the error is reported.
   */
  readonly deliverCancel?: (process: Process) => void | PromiseLike<void>;
  /** Ends the process as a cancellation of its owning scope does. */
  readonly signal?: AbortSignal;
}

/** What `communicate()` returns: each piped output read to its end, `null` for one not piped. */
export interface CommunicateResult {
  readonly stdout: Buffer | null;
  readonly stderr: Buffer | null;
}

/** Options of `wait()` and `communicate()`. */
export interface ProcessWaitOptions {
  readonly signal?: AbortSignal;
}

const READ_SIZE = 65_536;

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
  constructor(child: ChildProcess, exit: Exit, io: HostIo | null, options: SpawnOptions) {
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
    this.#nursery = new Nursery();
    this.#owner = this.#nursery.spawn(() => this.#own(), {
      name: `process ${this.pid} owner`,
      onEnd: () => {
        this.#closeNursery();
      },
    });
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
  wait(options?: ProcessWaitOptions): Promise<number> {
    try {
      checkOptions('Process.wait()', 'options', options);
      checkSignal('Process.wait()', options?.signal);
      this.#enter(options?.signal);
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
    options?: ProcessWaitOptions,
  ): Promise<CommunicateResult> {
    const fn = 'Process.communicate()';
    if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
      throw new TypeError(
        `${fn}: \`input\` must be a Uint8Array or a string, got ${describe(input)}`,
      );
    }
    checkOptions(fn, 'options', options);
    const signal = options?.signal;
    checkSignal(fn, signal);
    try {
      this.#enter(signal);
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

  // The checkpoint of wait() and communicate().
  #enter(signal: AbortSignal | undefined): void {
    throwIfCancelled(signal);
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
      {
        name: `process ${this.pid} stdin`,
        onEnd: () => {
          this.#closeNursery();
        },
      },
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

// ---- starting a process -------------------------------------------------------

/**
 * Runs `file` with `args` (no shell), as asyncio's `create_subprocess_exec`,
 * and returns its `Process` once it has started.
 *
 * **Cancellation:** a cancellation point. A process that was spawned as the
 * call was cancelled gets SIGKILL and is waited for before `CancelledError`.
 *
 * @throws {TypeError} / {RangeError} for bad arguments, naming them (`args` not
 * an array of strings, a negative `killGrace`, a `cwd` that is no directory).
 * @throws {Error} with `code` `'ENOENT'` (or `'EACCES'`) when `file` cannot be run.
 * @example
 * ```ts
 * import { run, timeout } from 'corio';
 * import { createSubprocessExec } from 'corio/node';
 *
 * await run(async () => {
 *   await using proc = await createSubprocessExec('sh', ['-c', 'echo started; exec sleep 30'], {
 *     stdout: 'pipe',
 *   });
 *   console.log(String(await proc.stdout!.readline()).trim());
 *   proc.terminate();
 *   console.log(await proc.wait());
 * });
 * // => started
 * // => -15
 * ```
 */
export function createSubprocessExec(
  file: string,
  args?: readonly string[],
  options?: SubprocessOptions,
): Promise<Process> {
  return openProcess('createSubprocessExec()', file, args, options);
}

/** @internal `createSubprocessExec` for corio's own callers, whose name goes in messages. */
export function openProcess(
  fn: string,
  file: string,
  args: readonly string[] | undefined,
  options: SubprocessOptions | undefined,
): Promise<Process> {
  try {
    const spawnOptions = checkSpawn(fn, file, args ?? [], options);
    return start(file, args ?? [], false, spawnOptions);
  } catch (error) {
    return rejected(error);
  }
}

/**
 * Runs `command` through the shell (`/bin/sh -c` on POSIX), as asyncio's
 * `create_subprocess_shell`. The shell leads the process group, so a
 * cancellation reaches every command of a pipeline.
 *
 * **Cancellation:** as `createSubprocessExec`.
 */
export function createSubprocessShell(
  command: string,
  options?: SubprocessOptions,
): Promise<Process> {
  try {
    const spawnOptions = checkSpawn('createSubprocessShell()', command, [], options, 'command');
    return start(command, [], true, spawnOptions);
  } catch (error) {
    return rejected(error);
  }
}

async function start(
  file: string,
  args: readonly string[],
  shell: boolean,
  options: SpawnOptions,
): Promise<Process> {
  const io = hostIoOf(currentLoop());
  const exit = new Exit();
  let cancelled = false;
  const child = await hostOperation<ChildProcess>(
    `spawn ${file}`,
    {
      io,
      signal: options.signal,
      cancel: () => {
        cancelled = true;
      },
      settle: true,
      // Spawned, but the caller was cancelled before it resumed.
      unclaimed: (child) => {
        signalGroup(child, options.group, 'SIGKILL');
      },
    },
    (settle) => {
      const child = spawn(file, args, {
        stdio: options.stdio,
        cwd: options.cwd,
        env: options.env,
        detached: options.group,
        shell,
        windowsHide: true,
      });
      child.once('error', (error) => {
        if (child.pid === undefined) settle.reject(cannotStart(file, error));
      });
      child.once('spawn', () => {
        track(child, options.group);
        if (!cancelled) {
          settle.resolve(child);
          return;
        }
        // Cancelled while it started: it must not outlive the call.
        signalGroup(child, options.group, 'SIGKILL');
        child.once('exit', () => {
          settle.reject(new Error('stopped'));
        });
      });
      child.once('exit', (code, signal) => {
        untrack(child);
        exit.returncode = code ?? -signalNumber(signal as NodeJS.Signals);
        io?.activity();
        exit.resolve(exit.returncode);
        for (const waiter of exit.waiters) waiter.resolve(exit.returncode);
        exit.waiters.clear();
      });
    },
  );
  return new Process(child, exit, io, options);
}

function cannotStart(file: string, error: NodeJS.ErrnoException): Error {
  const why =
    error.code === 'ENOENT'
      ? 'no such file, or not found on PATH'
      : error.code === 'EACCES'
        ? 'permission denied (not executable?)'
        : error.message;
  const wrapped = new Error(`cannot start ${JSON.stringify(file)}: ${why} (${error.code ?? ''})`, {
    cause: error,
  });
  Object.assign(wrapped, {
    code: error.code,
    errno: error.errno,
    syscall: error.syscall,
    path: error.path,
  });
  return wrapped;
}
