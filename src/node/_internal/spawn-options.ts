/**
 * The options of `createSubprocessExec()` and `createSubprocessShell()`,
 * checked at once (each message names the function and the argument) and
 * turned into what `spawn()` and a `Process` need; and the record a child's
 * 'exit' event fills in.
 * @module
 */
import type { StdioOptions } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  checkBoolean,
  checkCount,
  checkDelay,
  checkFunction,
  checkChoice,
  checkOptions,
  checkSignal,
  describe,
  type OptionNames,
  optionNames,
} from '../../_internal/validate.js';
import type { Settle } from '../host-wait.js';
import type { Process } from '../process.js';
import type { SubprocessOptions } from '../subprocess.js';
import { POSIX, SIGNALS } from './process-group.js';

export interface SpawnOptions {
  readonly stdio: StdioOptions;
  /** `stderr: 'stdout'`: stderr is piped and read through `proc.stdout`. */
  readonly mergeStderr: boolean;
  readonly cwd: string | undefined;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly limit: number;
  /** In a process group of its own (POSIX, `processGroup` not false). */
  readonly group: boolean;
  readonly killSignal: NodeJS.Signals;
  readonly killGrace: number;
  readonly deliverCancel: ((process: Process) => void | PromiseLike<void>) | undefined;
  readonly signal: AbortSignal | undefined;
}

/** How a child ended, filled in by its 'exit' event. */
export class Exit {
  returncode: number | null = null;
  /** The waits for the exit, ended by it. */
  readonly waiters = new Set<Settle<number>>();
  readonly promise: Promise<number>;
  resolve!: (code: number) => void;

  constructor() {
    this.promise = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }
}

/** The keys of `SubprocessOptions`. */
export const SUBPROCESS_OPTIONS = optionNames<SubprocessOptions>({
  stdin: true,
  stdout: true,
  stderr: true,
  cwd: true,
  env: true,
  limit: true,
  processGroup: true,
  killSignal: true,
  killGrace: true,
  deliverCancel: true,
  signal: true,
});

const STDIO = ['pipe', 'inherit', 'ignore'];

function checkStdio(fn: string, arg: string, value: unknown, extra?: string): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return;
  const choices = extra === undefined ? STDIO : [...STDIO, extra];
  const what = `${choices.map((c) => `'${c}'`).join(', ')} or a file descriptor`;
  checkChoice(fn, arg, value, choices, what);
}

/** Checks `file` (or `command`), `args` and the options; returns what spawning needs. */
export function checkSpawn(
  fn: string,
  file: unknown,
  args: unknown,
  options: SubprocessOptions | undefined,
  fileArg = 'file',
  known: OptionNames = SUBPROCESS_OPTIONS,
): SpawnOptions {
  if (typeof file !== 'string' || file === '') {
    throw new TypeError(`${fn}: \`${fileArg}\` must be a non-empty string, got ${describe(file)}`);
  }
  if (!Array.isArray(args)) {
    throw new TypeError(`${fn}: \`args\` must be an array of strings, got ${describe(args)}`);
  }
  for (const [i, arg] of (args as unknown[]).entries()) {
    if (typeof arg !== 'string') {
      throw new TypeError(`${fn}: \`args[${i}]\` must be a string, got ${describe(arg)}`);
    }
  }
  checkOptions(fn, 'options', options, known);
  checkStdio(fn, 'options.stdin', options?.stdin);
  checkStdio(fn, 'options.stdout', options?.stdout);
  checkStdio(fn, 'options.stderr', options?.stderr, 'stdout');
  const merge = options?.stderr === 'stdout';
  if (merge && options.stdout !== 'pipe') {
    throw new TypeError(`${fn}: \`options.stderr\` 'stdout' needs \`options.stdout\` 'pipe'`);
  }
  checkBoolean(fn, 'options.processGroup', options?.processGroup);
  const killSignal = options?.killSignal ?? 'SIGTERM';
  checkChoice(fn, 'options.killSignal', killSignal, SIGNALS, "a signal name such as 'SIGTERM'");
  const killGrace = checkDelay(fn, 'options.killGrace', options?.killGrace ?? 5000);
  const limit = checkCount(fn, 'options.limit', options?.limit ?? 65_536, 1);
  if (options?.deliverCancel !== undefined) {
    checkFunction(fn, 'options.deliverCancel', options.deliverCancel);
  }
  checkSignal(fn, options?.signal);
  return {
    stdio: [
      options?.stdin ?? 'inherit',
      options?.stdout ?? 'inherit',
      merge ? 'pipe' : (options?.stderr ?? 'inherit'),
    ] as StdioOptions,
    mergeStderr: merge,
    cwd: checkCwd(fn, options?.cwd),
    env: checkEnv(fn, options?.env),
    limit,
    group: POSIX && options?.processGroup !== false,
    killSignal,
    killGrace,
    deliverCancel: options?.deliverCancel,
    signal: options?.signal,
  };
}

function checkCwd(fn: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let path: string;
  if (value instanceof URL) path = fileURLToPath(value);
  else if (typeof value === 'string') path = value;
  else
    throw new TypeError(
      `${fn}: \`options.cwd\` must be a path or a file: URL, got ${describe(value)}`,
    );
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory() !== true) {
    throw new TypeError(`${fn}: \`options.cwd\` must be a directory: ${path} is none`);
  }
  return path;
}

function checkEnv(fn: string, value: unknown): NodeJS.ProcessEnv | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${fn}: \`options.env\` must be an object of strings, got ${describe(value)}`,
    );
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (typeof v !== 'string') {
      throw new TypeError(`${fn}: \`options.env.${key}\` must be a string, got ${describe(v)}`);
    }
    env[key] = v;
  }
  return env;
}
