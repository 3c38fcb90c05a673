// `npm run bench:redis`: corio/redis beside BullMQ on the same redis-server (a
// private one on a Unix socket, no persistence): jobs per second with {1, 2, 4}
// worker processes × concurrency {1, 8, 64}, for 0 ms and 5 ms jobs, and the
// latency from put() to the start of the job, p50 and p99. corio runs from
// dist/ (the script builds it first), as its users run it; BullMQ on ioredis,
// its own client. Each cell: the workers start and connect, N jobs are put,
// then the workers are told to go and the clock runs until all N are done
// (throughput); then jobs are put one at a time, spaced so the workers are
// never behind, each carrying its put time (latency).
//
//   npm run bench:redis                  every cell, 3 repetitions (median)
//   npm run bench:redis -- --quick       one repetition
//   npm run bench:redis -- --reps 5 --procs 1,4 --conc 8 --ms 0
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { gather, run } from 'corio';
import { openWorkQueue } from 'corio/redis';
import { redisVersion, startRedis } from '../scripts/redis-server.js';

const args = process.argv.slice(2);
const option = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const list = (flag: string, fallback: number[]): number[] =>
  option(flag)?.split(',').map(Number) ?? fallback;
const reps = Number(option('--reps') ?? (args.includes('--quick') ? 1 : 3));
const PROCS = list('--procs', [1, 2, 4]);
const CONC = list('--conc', [1, 8, 64]);
const MS = list('--ms', [0, 5]);
const ENGINES = ['corio', 'bullmq'] as const;
type Engine = (typeof ENGINES)[number];
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const workerFile = join(here, 'redis-worker.ts');
const now = (): number => performance.timeOrigin + performance.now();

const redis = await startRedis();
const socket = redis.socket;
const admin = await createClient({ url: `unix://${socket}` }).connect();

interface Worker {
  readonly child: ChildProcess;
  done: number;
  latencies: number[] | null;
  readonly ready: Promise<void>;
}

function startWorker(engine: Engine, queue: string, concurrency: number, jobMs: number): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', workerFile], {
    env: {
      ...process.env,
      ENGINE: engine,
      REDIS_SOCKET: socket,
      QUEUE: queue,
      CONCURRENCY: String(concurrency),
      JOB_MS: String(jobMs),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let readyNow: () => void = () => {};
  const worker: Worker = {
    child,
    done: 0,
    latencies: null,
    ready: new Promise<void>((resolve) => {
      readyNow = resolve;
    }),
  };
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      if (line === 'ready') readyNow();
      else if (line.startsWith('done ')) worker.done = Number(line.slice(5));
      else if (line.startsWith('latency '))
        worker.latencies = JSON.parse(line.slice(8)) as number[];
    }
  });
  return worker;
}

const tell = (workers: readonly Worker[], line: string): void => {
  for (const w of workers) w.child.stdin?.write(`${line}\n`);
};
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function untilDone(workers: readonly Worker[], n: number): Promise<void> {
  while (workers.reduce((sum, w) => sum + w.done, 0) < n) await pause(1);
}

/** A producer for `engine`: `put(value)` adds one job. */
async function producer(engine: Engine, queue: string) {
  if (engine === 'bullmq') {
    const connection = new Redis({ path: socket, maxRetriesPerRequest: null });
    const q = new Queue(queue, { connection });
    const opts = { removeOnComplete: true, removeOnFail: true };
    return {
      put: (value: object) => q.add('job', value, opts).then(() => undefined),
      close: async () => {
        await q.close();
        connection.disconnect();
      },
    };
  }
  const client = await createClient({ url: `unix://${socket}` }).connect();
  let put: (value: object) => Promise<void> = () => Promise.resolve();
  let release: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    release = resolve;
  });
  const opened = new Promise<void>((ready) => {
    void run(async () => {
      await using q = await openWorkQueue<object>({ client, name: queue });
      put = (value) => q.put(value).then(() => undefined);
      ready();
      await closed;
    });
  });
  await opened;
  return {
    put: (value: object) => put(value),
    close: async () => {
      release();
      await pause(10);
      client.destroy();
    },
  };
}

interface Result {
  readonly jobsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function cell(engine: Engine, procs: number, conc: number, jobMs: number): Promise<Result> {
  await admin.flushAll();
  const queue = `bench-${engine}`;
  const n = jobMs === 0 ? 4000 : Math.min(4000, procs * conc * 200);
  const workers = Array.from({ length: procs }, () => startWorker(engine, queue, conc, jobMs));
  await Promise.all(workers.map((w) => w.ready));
  const source = await producer(engine, queue);
  await run(async () => {
    for (let i = 0; i < n; i += 200) {
      await gather(...Array.from({ length: Math.min(200, n - i) }, () => () => source.put({})));
    }
  });
  const start = performance.now();
  tell(workers, 'go');
  await untilDone(workers, n);
  const seconds = (performance.now() - start) / 1000;
  // Latency: one job at a time, spaced so the workers keep up.
  const latencyJobs = 200;
  const gap = Math.max(2, Math.ceil((2 * jobMs) / (procs * conc)));
  for (let i = 0; i < latencyJobs; i++) {
    await source.put({ t: now() });
    await pause(gap);
  }
  await untilDone(workers, n + latencyJobs);
  tell(workers, 'stop');
  await Promise.all(workers.map((w) => once(w.child, 'exit')));
  await source.close();
  const latencies = workers.flatMap((w) => w.latencies ?? []).sort((a, b) => a - b);
  const at = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { jobsPerSecond: n / seconds, p50: at(0.5), p99: at(0.99) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

const bullmq = (
  JSON.parse(readFileSync(join(root, 'node_modules', 'bullmq', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
console.log(
  `corio/redis vs BullMQ ${bullmq}, ` +
    `Redis ${redisVersion()} (Unix socket, no persistence), Node ${process.version}, ` +
    `median of ${reps}\n`,
);
console.log(
  '| procs | concurrency | job | corio jobs/s | BullMQ jobs/s | corio ÷ BullMQ | corio put→start p50 / p99 | BullMQ put→start p50 / p99 |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
const f1 = (x: number): string => x.toFixed(1);
for (const jobMs of MS) {
  for (const procs of PROCS) {
    for (const conc of CONC) {
      const results: Record<Engine, Result[]> = { corio: [], bullmq: [] };
      for (let r = 0; r < reps; r++) {
        for (const engine of ENGINES) results[engine].push(await cell(engine, procs, conc, jobMs));
      }
      const m = (engine: Engine, key: keyof Result): number =>
        median(results[engine].map((x) => x[key]));
      const [c, b] = [m('corio', 'jobsPerSecond'), m('bullmq', 'jobsPerSecond')];
      console.log(
        `| ${procs} | ${conc} | ${jobMs} ms | ${c.toFixed(0)} | ${b.toFixed(0)} | ${(c / b).toFixed(2)} | ` +
          `${f1(m('corio', 'p50'))} / ${f1(m('corio', 'p99'))} ms | ${f1(m('bullmq', 'p50'))} / ${f1(m('bullmq', 'p99'))} ms |`,
      );
    }
  }
}
admin.destroy();
await redis.dispose();
