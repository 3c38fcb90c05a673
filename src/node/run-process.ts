/**
 * `runProcess(file, args, options)`: Trio's `run_process` (Python's
 * `subprocess.run`). Runs a command to its end and returns how it ended, its
 * output captured if asked; a non-zero exit is a `CalledProcessError` unless
 * `check: false`. The child's stdin is empty (`/dev/null`) unless `input` is
 * given.
 *
 * **Cancellation:** a cancelled `runProcess` stops the child as its owning
 * scope's cancellation does (`killSignal` to the group, SIGKILL after
 * `killGrace`, or `deliverCancel`), waits for the exit, and only then throws
 * `CancelledError`. Not cancel-safe: the command may have done part of its work.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { CalledProcessError, runProcess } from 'corio/node';
 *
 * await run(async () => {
 *   const done = await runProcess('tr', ['a-z', 'A-Z'], { input: 'hello', capture: true });
 *   console.log(done.returncode, String(done.stdout));
 *   try {
 *     await runProcess('sh', ['-c', 'echo oops >&2; exit 3'], { capture: { stderr: true } });
 *   } catch (error) {
 *     if (!(error instanceof CalledProcessError)) throw error;
 *     console.log(error.message, JSON.stringify(String(error.stderr)));
 *   }
 * });
 * // => 0 HELLO
 * // => sh -c "echo oops >&2; exit 3" exited with status 3 "oops\n"
 * ```
 * @module
 */
import { checkBoolean, checkOptions, describe, optionNames } from '../_internal/validate.js';
import { SUBPROCESS_OPTIONS } from './_internal/spawn-options.js';
import { type SubprocessOptions, openProcess } from './subprocess.js';

export interface RunProcessOptions extends SubprocessOptions {
  /** Bytes (or UTF-8 text) for the child's stdin, which is then a pipe closed after them. */
  readonly input?: Uint8Array | string;
  /** A non-zero exit is a `CalledProcessError`; default true. */
  readonly check?: boolean;
  /** Read stdout and stderr (or the ones named) into the result; default false. */
  readonly capture?: boolean | { readonly stdout?: boolean; readonly stderr?: boolean };
}

/** How a command ended (Python's `CompletedProcess`). */
export interface CompletedProcess {
  /** The command as it was run. */
  readonly args: readonly string[];
  /** Its exit code, or `-N` when signal `N` ended it. */
  readonly returncode: number;
  /** What it wrote to stdout, when captured. */
  readonly stdout: Buffer | null;
  /** What it wrote to stderr, when captured. */
  readonly stderr: Buffer | null;
}

/** A command run with `check` ended with a non-zero `returncode` (Python's `CalledProcessError`). */
export class CalledProcessError extends Error {
  static {
    this.prototype.name = 'CalledProcessError';
  }
  readonly returncode: number;
  /** The command as it was run. */
  readonly cmd: readonly string[];
  readonly stdout: Buffer | null;
  readonly stderr: Buffer | null;

  constructor(done: CompletedProcess) {
    const cmd = done.args.map(quote).join(' ');
    const code = done.returncode;
    super(code < 0 ? `${cmd} was killed by signal ${-code}` : `${cmd} exited with status ${code}`);
    this.returncode = code;
    this.cmd = done.args;
    this.stdout = done.stdout;
    this.stderr = done.stderr;
  }
}

const RUN_PROCESS_OPTIONS = (() => {
  const own = optionNames<Pick<RunProcessOptions, 'input' | 'check' | 'capture'>>({
    input: true,
    check: true,
    capture: true,
  });
  return { names: [...SUBPROCESS_OPTIONS.names, ...own.names], required: [] };
})();

const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg));

/**
 * Runs `file` with `args` to its end and returns how it ended; see the module doc.
 *
 * **Cancellation:** not cancel-safe. A cancelled call stops the child as its
 * owning scope's cancellation does (`killSignal` to the group, SIGKILL after
 * `killGrace`, or `deliverCancel`), waits for the exit, and only then throws
 * `CancelledError`; the command may have done part of its work.
 *
 * @throws {CalledProcessError} when `check` and the command exits non-zero.
 * @throws {TypeError} / {RangeError} for bad arguments, naming them; the errors
 * of `createSubprocessExec` when the command cannot start.
 */
export async function runProcess(
  file: string,
  args?: readonly string[],
  options?: RunProcessOptions,
): Promise<CompletedProcess> {
  const fn = 'runProcess()';
  checkOptions(fn, 'options', options, RUN_PROCESS_OPTIONS);
  const { input, check, capture, ...rest } = options ?? {};
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new TypeError(
      `${fn}: \`options.input\` must be a Uint8Array or a string, got ${describe(input)}`,
    );
  }
  checkBoolean(fn, 'options.check', check);
  const captured = checkCapture(fn, capture);
  for (const [stream, wanted] of [
    ['stdout', captured.stdout],
    ['stderr', captured.stderr],
  ] as const) {
    if (wanted && rest[stream] !== undefined) {
      throw new TypeError(
        `${fn}: \`options.capture\` and \`options.${stream}\` both say where ${stream} goes`,
      );
    }
  }
  if (input !== undefined && rest.stdin !== undefined) {
    throw new TypeError(`${fn}: \`options.input\` and \`options.stdin\` both say what stdin is`);
  }
  const stdio: Pick<SubprocessOptions, 'stdin' | 'stdout' | 'stderr'> = {
    stdin: input === undefined ? (rest.stdin ?? 'ignore') : 'pipe',
    ...(captured.stdout ? { stdout: 'pipe' } : {}),
    ...(captured.stderr ? { stderr: 'pipe' } : {}),
  };
  await using proc = await openProcess(fn, file, args, { ...rest, ...stdio });
  const output = await proc.communicate(
    input,
    rest.signal === undefined ? undefined : { signal: rest.signal },
  );
  const done: CompletedProcess = {
    args: proc.args,
    returncode: proc.returncode as number,
    stdout: output.stdout,
    stderr: output.stderr,
  };
  if (check !== false && done.returncode !== 0) throw new CalledProcessError(done);
  return done;
}

function checkCapture(fn: string, value: unknown): { stdout: boolean; stderr: boolean } {
  if (value === undefined || value === false) return { stdout: false, stderr: false };
  if (value === true) return { stdout: true, stderr: true };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { stdout, stderr } = value as { stdout?: unknown; stderr?: unknown };
    checkBoolean(fn, 'options.capture.stdout', stdout);
    checkBoolean(fn, 'options.capture.stderr', stderr);
    return { stdout: stdout === true, stderr: stderr === true };
  }
  throw new TypeError(
    `${fn}: \`options.capture\` must be a boolean or { stdout?, stderr? }, got ${describe(value)}`,
  );
}
