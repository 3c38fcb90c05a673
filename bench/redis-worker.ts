// One worker process of `npm run bench:redis` (bench/redis.ts): ENGINE=corio
// serves the queue with corio/redis's serve(), ENGINE=bullmq with a BullMQ
// Worker (on ioredis, its own client), at CONCURRENCY jobs at once, each job
// taking JOB_MS (0: none). It prints `ready` once connected, starts on a `go`
// line on stdin, prints `done <count>` every 20 ms, and on a `stop` line prints
// `latency <json>` (ms from each put to the start of its job, for jobs that carry
// their put time) and exits.
import { createInterface } from 'node:readline';
import { createClient } from '@redis/client';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createTask, Event, run, sleep } from 'corio';
import { openWorkQueue } from 'corio/redis';

const engine = process.env['ENGINE'] ?? 'corio';
const socket = process.env['REDIS_SOCKET'] ?? '';
const name = process.env['QUEUE'] ?? 'bench';
const concurrency = Number(process.env['CONCURRENCY'] ?? '1');
const jobMs = Number(process.env['JOB_MS'] ?? '0');
const now = (): number => performance.timeOrigin + performance.now();

interface Job {
  readonly t?: number;
}

let done = 0;
const latencies: number[] = [];
const started = (job: Job): void => {
  if (job.t !== undefined) latencies.push(now() - job.t);
};

const lines = createInterface({ input: process.stdin });
const next = (): Promise<string> =>
  new Promise((resolve) => {
    lines.once('line', resolve);
  });
const report = setInterval(() => {
  console.log(`done ${done}`);
}, 20);

const finish = (): void => {
  clearInterval(report);
  console.log(`done ${done}`);
  console.log(`latency ${JSON.stringify(latencies)}`);
  lines.close();
};

if (engine === 'corio') {
  const client = await createClient({ url: `unix://${socket}` }).connect();
  await run(async () => {
    await using queue = await openWorkQueue<Job>({ client, name });
    console.log('ready');
    await next(); // go
    const stop = new Event();
    const serving = createTask(() =>
      queue.serve(
        async (job) => {
          started(job);
          if (jobMs > 0) await sleep(jobMs);
          done++;
        },
        { concurrency },
      ),
    );
    void next().then(() => {
      stop.set();
    });
    await stop.wait();
    await queue.shutdown();
    await serving;
  });
  client.destroy();
} else {
  const connection = new Redis({ path: socket, maxRetriesPerRequest: null });
  const worker = new Worker<Job>(
    name,
    async (job) => {
      started(job.data);
      if (jobMs > 0) await new Promise((resolve) => setTimeout(resolve, jobMs));
      done++;
    },
    { connection, concurrency, autorun: false },
  );
  await worker.waitUntilReady();
  console.log('ready');
  await next(); // go
  void worker.run();
  await next(); // stop
  await worker.close();
  connection.disconnect();
}
finish();
