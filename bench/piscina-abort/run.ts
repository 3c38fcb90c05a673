// The experiment behind "Why not piscina" (docs/guide/threads.md): when a running
// job is cancelled, when does the caller hear of it, and when has the thread
// really stopped? piscina 5.3.2 (`run(task, { signal })`) against corio's
// WorkerPool. Run it with
//
//   node --conditions=corio-source --import tsx --import ./scripts/tsx-in-workers.mjs bench/piscina-abort/run.ts
//
// It prints one table per case: the median of 7 runs, in ms after the cancel.
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { CancelScope, run } from 'corio';
import { WorkerPool } from 'corio/node';

const JOBS = new URL('./jobs.ts', import.meta.url);
const REPS = 7;
const now = (): number => performance.timeOrigin + performance.now();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
// Every thread's exit, as it happens, for both pools: neither says when its
// threads exit, so the experiment listens on Worker itself.
let lastExit = NaN;
type Emit = (this: Worker, event: string | symbol, ...args: unknown[]) => boolean;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its `this` below
const emit: Emit = Worker.prototype.emit;
Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]) {
  if (event === 'exit') lastExit = now();
  return emit.call(this, event, ...args);
};

const started = async (shared: SharedArrayBuffer): Promise<void> => {
  const counts = new Int32Array(shared, 0, 2);
  while (Atomics.load(counts, 0) === 0) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setTimeout(r, 20));
};

interface Sample {
  /** The caller's promise rejected. */
  readonly error: number;
  /** The thread's 'exit' event (NaN: it did not exit). */
  readonly exit: number;
  /** The job saw the cooperative flag (NaN: not asked, or never saw it). */
  readonly seen: number;
}

async function piscinaCase(name: 'spin' | 'native'): Promise<Sample> {
  const pool = new Piscina({ filename: JOBS.href, minThreads: 1, maxThreads: 1 });
  const shared = new SharedArrayBuffer(16);
  const ac = new AbortController();
  const job = pool.run({ shared, iterations: 300_000 }, { name, signal: ac.signal });
  await started(shared);
  const [thread] = pool.threads;
  const exited = new Promise<void>((resolve) => {
    thread?.once('exit', () => {
      resolve();
    });
  });
  lastExit = NaN;
  const t0 = now();
  ac.abort();
  let error = NaN;
  await job.catch(() => {
    error = now();
  });
  await exited;
  const exit = lastExit;
  await pool.destroy();
  return { error: error - t0, exit: exit - t0, seen: NaN };
}

async function corioCase(
  name: 'spin' | 'native' | 'cooperative',
  cancel: 'cooperative' | 'terminate',
): Promise<Sample & { reused: boolean }> {
  await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancel, cancelGrace: 100 });
  const shared = new SharedArrayBuffer(16);
  return await run(async () => {
    const before = await pool.run<number>(null, { name: 'thread' });
    const scope = new CancelScope();
    const job = scope.run(() => pool.run({ shared, iterations: 300_000 }, { name }));
    await started(shared);
    lastExit = NaN;
    const t0 = now();
    scope.cancel();
    await job;
    const error = now();
    const exit = lastExit;
    const seen = new Float64Array(shared, 8, 1)[0] as number;
    const after = await pool.run<number>(null, { name: 'thread' });
    return {
      error: error - t0,
      exit: exit - t0,
      seen: seen === 0 ? NaN : seen - t0,
      reused: after === before,
    };
  });
}

const fmt = (x: number): string => (Number.isNaN(x) ? '—' : x.toFixed(2));
async function report(title: string, sample: () => Promise<Sample & { reused?: boolean }>) {
  const samples: (Sample & { reused?: boolean })[] = [];
  for (let i = 0; i < REPS; i++) samples.push(await sample());
  const error = median(samples.map((s) => s.error));
  const exit = median(samples.map((s) => s.exit));
  const seen = median(samples.map((s) => s.seen));
  const reused = samples[0]?.reused;
  console.log(
    `| ${title} | ${fmt(error)} | ${fmt(exit)} | ${fmt(exit - error)} | ${fmt(seen)} | ${reused === undefined ? '—' : reused ? 'yes' : 'no'} |`,
  );
}

console.log(
  `node ${process.version}, piscina 5.3.2, median of ${REPS} runs, ms after the cancel\n`,
);
console.log(
  '| case | caller rejected | thread exited | exit − rejection | job saw the flag | thread reused |',
);
console.log('|---|---|---|---|---|---|');
await report('piscina, busy JS loop', () => piscinaCase('spin'));
await report('piscina, 300,000-round pbkdf2Sync', () => piscinaCase('native'));
await report('corio terminate, busy JS loop', () => corioCase('spin', 'terminate'));
await report('corio terminate, pbkdf2Sync', () => corioCase('native', 'terminate'));
await report('corio cooperative, checkCancelled() loop', () =>
  corioCase('cooperative', 'cooperative'),
);
await report('corio cooperative, busy loop that never checks', () =>
  corioCase('spin', 'cooperative'),
);

// How soon a busy job sees the flag in a warm thread: one pool, one thread, 30
// jobs in a row (the table's runs each start a new pool, so a cold thread).
await (async () => {
  await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancelGrace: 60_000 });
  const seen: number[] = [];
  await run(async () => {
    await pool.run(null, { name: 'thread' });
    for (let i = 0; i < 30; i++) {
      const shared = new SharedArrayBuffer(16);
      const scope = new CancelScope();
      const job = scope.run(() => pool.run({ shared }, { name: 'cooperative' }));
      await started(shared);
      const t0 = now();
      scope.cancel();
      await job;
      seen.push((new Float64Array(shared, 8, 1)[0] as number) - t0);
    }
  });
  seen.sort((a, b) => a - b);
  const at = (q: number): string => fmt(seen[Math.floor(q * (seen.length - 1))] as number);
  console.log(
    `\nwarm thread, 30 jobs: the flag seen ${at(0)} ms (min), ${at(0.5)} ms (median), ${at(0.9)} ms (p90) after the cancel; threads terminated: ${pool.statistics().terminated}`,
  );
})();
