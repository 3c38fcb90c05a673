// W11 and W12, corio/node's processes and threads, against raw child_process
// and worker_threads (the physical limit) and piscina.
//
// W11 spawn-and-wait: N `true` processes, one after the other: spawn, wait for
//     the exit. raw: `spawn()` and its 'exit' event; raw-group: the same with
//     `detached: true`, as corio spawns (a process group of its own).
// W12 thread calls: N calls of a job that returns its argument plus one, all
//     submitted at once, on 2 threads started (and warmed by one call each)
//     before the clock starts. raw: two `Worker`s, each sent its next number as
//     it answers the last; piscina 5.3.2; corio's WorkerPool.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { run } from 'corio';
import { WorkerPool, createSubprocessExec, runProcess } from 'corio/node';

export interface ProcessesResult {
  readonly value: number;
  readonly ms?: number;
}

const THREADS = 2;
const ADD_ONE = new URL('./threads/add-one.ts', import.meta.url);
const RAW_ECHO = new URL('./threads/raw-echo.ts', import.meta.url);

const exitCode = (child: ReturnType<typeof spawn>): Promise<number> =>
  once(child, 'exit').then(([code]) => code as number);

export const W11 = {
  title: 'spawn-and-wait: N `true` processes, one after the other',
  n: 200,
  expected: (n: number) => n,
  impls: {
    async raw(n: number): Promise<ProcessesResult> {
      let ok = 0;
      for (let i = 0; i < n; i++)
        if ((await exitCode(spawn('true', { stdio: 'ignore' }))) === 0) ok++;
      return { value: ok };
    },
    async 'raw-group'(n: number): Promise<ProcessesResult> {
      let ok = 0;
      for (let i = 0; i < n; i++) {
        const child = spawn('true', { stdio: 'ignore', detached: true });
        if ((await exitCode(child)) === 0) ok++;
      }
      return { value: ok };
    },
    async 'corio-exec'(n: number): Promise<ProcessesResult> {
      return run(async () => {
        let ok = 0;
        for (let i = 0; i < n; i++) {
          const proc = await createSubprocessExec('true', [], { stdin: 'ignore' });
          if ((await proc.wait()) === 0) ok++;
        }
        return { value: ok };
      });
    },
    async 'corio-runProcess'(n: number): Promise<ProcessesResult> {
      return run(async () => {
        let ok = 0;
        for (let i = 0; i < n; i++) if ((await runProcess('true')).returncode === 0) ok++;
        return { value: ok };
      });
    },
  },
};

// The sum of (i + 1) for i in 0..n-1.
const sumOfNext = (n: number): number => (n * (n + 1)) / 2;

export const W12 = {
  title: `thread calls: N small jobs submitted at once to ${THREADS} threads`,
  n: 10_000,
  expected: sumOfNext,
  impls: {
    async raw(n: number): Promise<ProcessesResult> {
      const workers = Array.from({ length: THREADS }, () => new Worker(RAW_ECHO));
      // Warm: one round trip each.
      await Promise.all(
        workers.map(async (w) => {
          w.postMessage(0);
          await once(w, 'message');
        }),
      );
      const t0 = performance.now();
      let next = 0;
      let sum = 0;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              const send = (): void => {
                if (next < n) w.postMessage(next++);
                else resolve();
              };
              w.on('message', (value: number) => {
                sum += value;
                send();
              });
              send();
            }),
        ),
      );
      const ms = performance.now() - t0;
      await Promise.all(workers.map((w) => w.terminate()));
      return { value: sum, ms };
    },
    async piscina(n: number): Promise<ProcessesResult> {
      const pool = new Piscina({
        filename: ADD_ONE.href,
        minThreads: THREADS,
        maxThreads: THREADS,
      });
      await Promise.all(Array.from({ length: THREADS }, () => pool.run(0)));
      const t0 = performance.now();
      const values = await Promise.all(
        Array.from({ length: n }, (_, i) => pool.run(i) as Promise<number>),
      );
      const ms = performance.now() - t0;
      await pool.destroy();
      return { value: values.reduce((a, b) => a + b, 0), ms };
    },
    async corio(n: number): Promise<ProcessesResult> {
      await using pool = new WorkerPool({
        filename: ADD_ONE,
        minThreads: THREADS,
        maxThreads: THREADS,
      });
      return await run(async () => {
        await Promise.all(Array.from({ length: THREADS }, () => pool.run(0)));
        const t0 = performance.now();
        const values = await Promise.all(Array.from({ length: n }, (_, i) => pool.run<number>(i)));
        const ms = performance.now() - t0;
        return { value: values.reduce((a, b) => a + b, 0), ms };
      });
    },
  },
};
