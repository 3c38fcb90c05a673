// The fault tests of corio/redis (issue #17): worker processes (test/redis/_worker.ts)
// SIGKILLed while they run jobs, a worker whose event loop blocks past the
// visibility timeout, remote cancels timed end to end, and shutdowns, graceful
// and immediate, under load. Each asserts that no job is lost and bounds the
// duplicates by the jobs in flight when a worker died or let go.
//
// Sizes here keep `npm test` within tens of seconds; `npm run test:faults`
// runs them larger (FAULT_SCALE=5: 10,000 jobs in the kill test, …).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { gather, run } from 'corio';
import { openWorkQueue } from 'corio/redis';
import { type Client, connect, fresh, pause, skip, until, useRedis } from './_redis.js';

const scale = Number(process.env['FAULT_SCALE'] ?? '1');
const redis = useRedis({ appendonly: true });
const source = join(fileURLToPath(new URL('.', import.meta.url)), '_worker.ts');

// The worker as one bundled file: it starts in about a quarter of a second, where
// tsx compiling corio and @redis/client at each start would take a second or
// more, longer than the 200 ms between two kills.
const scratch = mkdtempSync(join(tmpdir(), 'corio-faults-'));
const workerFile = join(scratch, 'worker.mjs');
before(async () => {
  if (skip !== false) return;
  await build({
    entryPoints: [source],
    outfile: workerFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['corio-source'],
    logLevel: 'warning',
    // @redis/client is CommonJS: give its require() calls one in the ES module.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Worker {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly ready: Promise<void>;
  /** It printed `ready`: it serves. */
  readonly serving: () => boolean;
}

function startWorker(queue: string, env: Record<string, string | number> = {}): Worker {
  const child = spawn(process.execPath, [workerFile], {
    env: {
      ...process.env,
      REDIS_URL: redis.server.url,
      QUEUE: queue,
      ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let readyNow: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    readyNow = resolve;
  });
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (line === 'ready') readyNow();
    }
  });
  return { child, lines, ready, serving: () => lines.includes('ready') };
}

async function stop(worker: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

async function putJobs(
  client: Client,
  queue: string,
  n: number,
  value: unknown = 0,
): Promise<void> {
  await run(async () => {
    await using producer = await openWorkQueue({ client, name: queue });
    for (let i = 0; i < n; i += 500) {
      const batch = Array.from(
        { length: Math.min(500, n - i) },
        (_, j) => () => producer.put(value, { id: `j${i + j}` }),
      );
      await gather(...batch);
    }
  });
}

/** Runs per job id, and how many ran more than once (their extra runs). */
async function runs(client: Client, queue: string): Promise<{ ids: number; extra: number }> {
  const exec = await client.hGetAll(`${queue}:exec`);
  const counts = Object.values(exec).map(Number);
  return { ids: counts.length, extra: counts.reduce((n, c) => n + c - 1, 0) };
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

describe('corio/redis under faults', { skip }, () => {
  test(`${2000 * scale} jobs, 3 workers, one SIGKILLed and restarted every 200 ms (AOF on): every job completes`, async (t) => {
    const client = await connect(redis.server.url);
    const queue = fresh('kill');
    const jobs = 2000 * scale;
    const concurrency = 8;
    try {
      await putJobs(client, queue, jobs);
      // A job in flight at several kills in a row is delivered again each time:
      // no delivery limit here, so every job must complete.
      const env = {
        CONCURRENCY: concurrency,
        JOB_MS: 5,
        VISIBILITY: 500,
        HEARTBEAT: 100,
        MAX_DELIVERIES: 1000,
      };
      const workers = [0, 1, 2].map(() => startWorker(queue, env));
      let kills = 0;
      let inFlightAtKills = 0;
      const started = performance.now();
      const finished = async (): Promise<boolean> =>
        (await client.sCard(`${queue}:done`)) === jobs &&
        (await client.xLen(`corio:{${queue}}`)) === 0;
      while (!(await finished())) {
        assert.ok(performance.now() - started < 120_000 * scale, 'the jobs finish');
        await pause(200);
        // A random worker among those serving (one still starting holds nothing).
        const serving = workers.flatMap((w, i) => (w.serving() ? [i] : []));
        if (serving.length === 0) continue;
        const i = serving[Math.floor(Math.random() * serving.length)] as number;
        // A worker holds at most `concurrency` jobs: serve() fetches only for free slots.
        await stop(workers[i] as Worker, 'SIGKILL');
        kills++;
        inFlightAtKills += concurrency;
        workers[i] = startWorker(queue, env);
      }
      const seconds = (performance.now() - started) / 1000;
      await gather(...workers.map((w) => () => stop(w)));
      const { ids, extra } = await runs(client, queue);
      assert.equal(await client.sCard(`${queue}:done`), jobs);
      assert.equal(ids, jobs);
      assert.equal(await client.xLen(`corio:{${queue}}`), 0, 'nothing left unfinished');
      assert.equal(await client.xLen(`corio:{${queue}}:dead`), 0, 'nothing dead-lettered');
      assert.ok(extra <= inFlightAtKills, `${extra} duplicate runs, ${kills} kills`);
      t.diagnostic(
        `${jobs} jobs in ${seconds.toFixed(1)} s, ${kills} SIGKILLs, ${extra} duplicate runs ` +
          `(bound: ${concurrency} in flight per kill = ${inFlightAtKills})`,
      );
    } finally {
      client.destroy();
    }
  });

  test('a worker that blocks its event loop past the visibility timeout: another runs the job; its ack fails with LeaseLostError', async () => {
    const client = await connect(redis.server.url);
    const queue = fresh('blocked');
    const env = { VISIBILITY: 500, HEARTBEAT: 100, CONCURRENCY: 1 };
    try {
      const stuck = startWorker(queue, env);
      await stuck.ready;
      await putJobs(client, queue, 1, { block: 2500 });
      await until(async () => (await client.hGet(`${queue}:exec`, 'j0')) === '1');
      const rescuer = startWorker(queue, env); // ready well before the block ends
      await until(async () => (await client.sCard(`${queue}:done`)) === 1, 10_000);
      await until(() => stuck.lines.some((l) => l.startsWith('report LeaseLostError')), 10_000);
      await gather(
        () => stop(stuck),
        () => stop(rescuer),
      );
      assert.equal(
        await client.hGet(`${queue}:exec`, 'j0'),
        '2',
        `it ran on both workers: ${(await client.lRange(`${queue}:log`, 0, -1)).join(', ')}; ${stuck.child.pid}: ${stuck.lines.join(' | ')}`,
      );
      assert.equal(await client.xLen(`corio:{${queue}}`), 0, 'acked once, by the new holder');
      assert.deepEqual(
        stuck.lines
          .filter((l) => l.startsWith('report'))
          .map((l) => l.split(' ').slice(0, 2).join(' ')),
        ['report LeaseLostError'],
      );
      assert.deepEqual(rescuer.lines, ['ready']);
    } finally {
      client.destroy();
    }
  });

  test('a remote cancel reaches the running job in another process (latency p50 and p99 reported)', async (t) => {
    const client = await connect(redis.server.url);
    const queue = fresh('cancel');
    const n = 100 * scale;
    try {
      const worker = startWorker(queue, { JOB_MS: 60_000, CONCURRENCY: 1 });
      await worker.ready;
      const latencies: number[] = [];
      await run(async () => {
        await using admin = await openWorkQueue<number>({ client, name: queue });
        for (let i = 0; i < n; i++) {
          await admin.put(i, { id: `c${i}` });
          await until(async () => (await client.hGet(`${queue}:exec`, `c${i}`)) === '1');
          const sent = performance.timeOrigin + performance.now();
          assert.equal(await admin.cancel(`c${i}`), true);
          await until(async () => (await client.hGet(`${queue}:aborted`, `c${i}`)) !== null);
          latencies.push(Number(await client.hGet(`${queue}:aborted`, `c${i}`)) - sent);
        }
        await admin.join();
        assert.equal((await admin.statistics()).dead, 0, 'a cancelled job is not retried');
      });
      await stop(worker);
      assert.equal(await client.sCard(`${queue}:done`), 0);
      const sorted = latencies.sort((a, b) => a - b);
      const [p50, p99] = [percentile(sorted, 50), percentile(sorted, 99)];
      t.diagnostic(
        `remote cancel → signal aborted: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (${n} cancels)`,
      );
    } finally {
      client.destroy();
    }
  });

  for (const mode of ['graceful', 'immediate'] as const) {
    test(`a ${mode} shutdown under load loses nothing`, async (t) => {
      const client = await connect(redis.server.url);
      const queue = fresh(mode);
      const jobs = 300 * scale;
      const concurrency = 4;
      const env = { JOB_MS: 20, CONCURRENCY: concurrency, SHUTDOWN: mode, VISIBILITY: 5000 };
      try {
        await putJobs(client, queue, jobs);
        const leaving = startWorker(queue, env);
        const staying = startWorker(queue, env);
        await until(async () => (await client.sCard(`${queue}:done`)) >= jobs / 4, 30_000);
        const started = performance.now();
        await stop(leaving); // SIGTERM: the worker shuts its queue down and exits
        const left = performance.now() - started;
        // A job records itself done before serve() acks it: wait for the acks
        // too, or an immediate shutdown of the staying worker cancels the last
        // ones in between and leaves them for a next worker, as it should.
        await until(
          async () =>
            (await client.sCard(`${queue}:done`)) === jobs &&
            (await client.xLen(`corio:{${queue}}`)) === 0,
          30_000,
        );
        await stop(staying);
        const { ids, extra } = await runs(client, queue);
        assert.equal(ids, jobs);
        assert.equal(await client.xLen(`corio:{${queue}}`), 0);
        if (mode === 'graceful') assert.equal(extra, 0, 'the running jobs finished before it left');
        else assert.ok(extra <= concurrency, `${extra} jobs stopped and run again elsewhere`);
        t.diagnostic(
          `${mode}: the worker left ${left.toFixed(0)} ms after SIGTERM; ${extra} jobs ran twice`,
        );
      } finally {
        client.destroy();
      }
    });
  }
});
