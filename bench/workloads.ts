// The kernel's workloads, each as raw promise code (the physical limit) and as
// corio code, written the way a user would write them. Same shapes as
// shared/anchors-bench (W1, W7, W8), so the numbers compare across the two.
import { run, sleep, taskGroup, timeout } from 'corio';

export interface CellResult {
  readonly value: number;
  /** Set when the cell times only a phase of its own (W7: the cancellation). */
  readonly ms?: number;
}

export interface Workload {
  readonly title: string;
  readonly n: number;
  readonly expected: (n: number) => number;
  readonly impls: Record<string, (n: number) => Promise<CellResult>>;
}

const resolved = Promise.resolve();
const HOUR = 3_600_000;
const triangle = (n: number): number => (n * (n - 1)) / 2;

export const workloads: Record<string, Workload> = {
  W1: {
    title: 'spawn-join: N tasks, one microtask hop each, join, sum',
    n: 100_000,
    expected: triangle,
    impls: {
      async raw(n) {
        const task = async (i: number) => {
          await resolved;
          return i;
        };
        const promises = new Array<Promise<number>>(n);
        for (let i = 0; i < n; i++) promises[i] = task(i);
        const results = await Promise.all(promises);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += results[i] as number;
        return { value: sum };
      },
      async corio(n) {
        return run(async () => {
          const tasks = new Array<{ result(): number }>(n);
          await taskGroup((tg) => {
            for (let i = 0; i < n; i++) {
              tasks[i] = tg.spawn(async () => {
                await resolved;
                return i;
              });
            }
          });
          let sum = 0;
          for (let i = 0; i < n; i++) sum += (tasks[i] as { result(): number }).result();
          return { value: sum };
        });
      },
    },
  },
  W7: {
    title: 'cancel: N tasks asleep for an hour, cancel all; ms from cancel to all done',
    n: 100_000,
    expected: (n) => n,
    impls: {
      async raw(n) {
        const cancelled = new Error('cancelled');
        const cancels = new Array<() => void>(n);
        const tasks = new Array<Promise<number>>(n);
        for (let i = 0; i < n; i++) {
          tasks[i] = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, HOUR);
            cancels[i] = () => {
              clearTimeout(timer);
              reject(cancelled);
            };
          }).then(
            () => 0,
            (e: unknown) => (e === cancelled ? 1 : 0),
          );
        }
        await new Promise((resolve) => setImmediate(resolve));
        const t1 = performance.now();
        for (let i = 0; i < n; i++) (cancels[i] as () => void)();
        let count = 0;
        for (const c of await Promise.all(tasks)) count += c;
        return { value: count, ms: performance.now() - t1 };
      },
      async corio(n) {
        return run(async () => {
          let count = 0;
          let t1 = 0;
          await taskGroup(async (tg) => {
            for (let i = 0; i < n; i++) {
              tg.spawn(async () => {
                try {
                  await sleep(HOUR);
                } catch (err) {
                  count++;
                  throw err;
                }
              });
            }
            await new Promise((resolve) => setImmediate(resolve));
            t1 = performance.now();
            tg.cancel();
          });
          return { value: count, ms: performance.now() - t1 };
        });
      },
    },
  },
  W8: {
    title: 'timeout: N sequential fast calls (one microtask) under a 1,000 ms timeout',
    n: 100_000,
    expected: (n) => n,
    impls: {
      async raw(n) {
        const op = async () => {
          await resolved;
          return 1;
        };
        const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const expiry = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              reject(new Error('timeout'));
            }, ms);
          });
          return Promise.race([p, expiry]).finally(() => {
            clearTimeout(timer);
          });
        };
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await withTimeout(op(), 1000);
        return { value: sum };
      },
      async corio(n) {
        const op = async () => {
          await resolved;
          return 1;
        };
        return run(async () => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += await timeout(1000, op);
          return { value: sum };
        });
      },
    },
  },
};
