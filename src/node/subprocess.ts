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
import { currentLoop, rejected } from '../core/lowlevel.js';
import { hostIoOf, hostOperation } from './host-wait.js';
import { Process } from './process.js';
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
  const loop = currentLoop();
  const io = hostIoOf(loop);
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
      // Before the spawn, an error means it could not start; after it, a signal
      // that could not be sent: reported, never an 'error' event without a
      // listener, which would end the parent.
      child.on('error', (error) => {
        if (child.pid === undefined) settle.reject(cannotStart(file, error));
        else
          loop.callExceptionHandler({ message: `process ${child.pid}: ${error.message}`, error });
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
  return Process._open(child, exit, io, options);
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
