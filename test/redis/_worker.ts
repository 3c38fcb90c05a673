// A worker process for the fault tests (test/redis/faults.test.ts): serves the
// queue QUEUE of REDIS_URL. Each job counts its runs (HINCRBY <queue>:exec id),
// waits JOB_MS (or, for a value { block: ms }, blocks its event loop that long on
// its first attempt),
// then records itself done (SADD <queue>:done id) before serve() acks it. A job
// whose signal aborts records when (HSET <queue>:aborted id <epoch ms>). On
// SIGTERM it shuts the queue down (SHUTDOWN=graceful|immediate) and exits once
// serve() returns. It prints `ready`, and one `report <ErrorName> <message>` line
// per report of the loop's exception handler.
import { createClient } from '@redis/client';
import { getRunningLoop, run, sleep } from 'corio';
import { openWorkQueue } from 'corio/redis';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const queueName = env('QUEUE', 'faults');
const jobMs = Number(env('JOB_MS', '0'));
const now = (): number => performance.timeOrigin + performance.now();

const client = createClient({ url: env('REDIS_URL', '') });
client.on('error', () => {});
await client.connect();

await run(async () => {
  getRunningLoop().setExceptionHandler(({ message, error }) => {
    const name = error instanceof Error ? error.name : '-';
    console.log(`report ${name} ${message.replace(/\n/g, ' ')}`);
  });
  await using queue = await openWorkQueue<{ block?: number } | number>({
    client,
    name: queueName,
    visibilityTimeout: Number(env('VISIBILITY', '1000')),
    heartbeat: Number(env('HEARTBEAT', '200')),
    maxDeliveries: Number(env('MAX_DELIVERIES', '5')),
  });
  process.once('SIGTERM', () => {
    void queue.shutdown({ immediate: env('SHUTDOWN', 'graceful') === 'immediate' });
  });
  console.log('ready');
  await queue.serve(
    async (value, job) => {
      job.signal.addEventListener('abort', () => {
        client.hSet(`${queueName}:aborted`, job.id, String(now())).catch(() => {});
      });
      await client.hIncrBy(`${queueName}:exec`, job.id, 1);
      await client.rPush(`${queueName}:log`, `${job.id} attempt ${job.attempt} on ${process.pid}`);
      if (typeof value === 'object' && value.block !== undefined && job.attempt === 1) {
        const end = performance.now() + value.block;
        while (performance.now() < end); // a handler that blocks the event loop
      } else if (jobMs > 0) {
        await sleep(jobMs);
      }
      await client.sAdd(`${queueName}:done`, job.id);
    },
    { concurrency: Number(env('CONCURRENCY', '4')) },
  );
});
client.destroy();
