// corio/node's processes and threads, as types: checked by `npm run typecheck`
// (tsc), never executed.
import {
  type CancelMode,
  type CompletedProcess,
  type Process,
  type StreamReader,
  type StreamWriter,
  type WorkerFunction,
  WorkerPool,
  createSubprocessExec,
  runProcess,
  workerFunction,
} from 'corio/node';
import { checkCancelled, workerSignal } from 'corio/node/worker';
import type * as Jobs from '../node/_jobs.js';

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const expectType = <T extends true>(_: T): void => {};

export async function processSurface(): Promise<void> {
  await using proc = await createSubprocessExec('cat', [], { stdin: 'pipe', stdout: 'pipe' });
  expectType<Equal<typeof proc, Process>>(true);
  expectType<Equal<typeof proc.stdin, StreamWriter | null>>(true);
  expectType<Equal<typeof proc.stdout, StreamReader | null>>(true);
  expectType<Equal<typeof proc.returncode, number | null>>(true);
  expectType<Equal<Awaited<ReturnType<Process['wait']>>, number>>(true);
  const { stdout, stderr } = await proc.communicate('input');
  expectType<Equal<typeof stdout, Buffer | null>>(true);
  expectType<Equal<typeof stderr, Buffer | null>>(true);
  // @ts-expect-error: a signal is a name or a number
  proc.sendSignal(true);
  // @ts-expect-error: the options of a process are checked
  await createSubprocessExec('true', [], { killGrase: 10 });

  const done = await runProcess('true', [], { capture: { stdout: true }, check: false });
  expectType<Equal<typeof done, CompletedProcess>>(true);
  expectType<Equal<typeof done.stdout, Buffer | null>>(true);
  // @ts-expect-error: args are strings
  await runProcess('sleep', [1]);
}

export async function threadSurface(): Promise<void> {
  await using pool = new WorkerPool({ filename: new URL('./jobs.js', import.meta.url) });
  // run() is typed by the caller; it is unknown otherwise.
  const n = await pool.run<number>(21);
  expectType<Equal<typeof n, number>>(true);
  const unknownResult = await pool.run(21);
  expectType<Equal<typeof unknownResult, unknown>>(true);
  const mode: CancelMode = pool.cancelMode;
  void mode;
  // @ts-expect-error: a cancel mode is one of three
  await pool.run(1, { cancel: 'later' });

  // workerFunction takes the export's parameters and resolves with its result.
  const add = workerFunction<typeof Jobs.add>(new URL('./jobs.js', import.meta.url), 'add');
  expectType<Equal<typeof add, WorkerFunction<typeof Jobs.add>>>(true);
  const sum = await add(1, 2);
  expectType<Equal<typeof sum, number>>(true);
  // @ts-expect-error: add takes two numbers
  await add('1', 2);
  const sleeper = workerFunction<typeof Jobs.sleeper>(new URL('./jobs.js', import.meta.url), 'x');
  const woke = await sleeper(new SharedArrayBuffer(8));
  expectType<Equal<typeof woke, string>>(true);

  // Inside a thread.
  expectType<Equal<ReturnType<typeof workerSignal>, AbortSignal>>(true);
  expectType<Equal<ReturnType<typeof checkCancelled>, void>>(true);
}
