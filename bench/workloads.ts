// The kernel's workloads, each as raw promise code (the physical limit) and as
// corio code, written the way a user would write them (docs/performance.md
// describes each).
import { AsyncLocalStorage } from 'node:async_hooks';
import { CapacityLimiter, Lock, Queue, openChannel, run, sleep, taskGroup, timeout } from 'corio';
import { chunk, filter, forEach, map, pipe, range } from 'corio/iter';
import type { Instrument } from 'corio/trace';
import {
  effectW1,
  effectW2,
  effectW3,
  effectW4,
  effectW5,
  effectW6,
  effectW7,
  effectW8,
} from './peers/effect.js';
import { effectionW1, effectionW3, effectionW7 } from './peers/effection.js';
import { asyncio, corioW10, corioW9, rawW10, rawW9 } from './io.js';
import { W11, W12 } from './processes.js';
import { RawCheckedMutex, RawMutex, RawQueue, RawSemaphore, contextEntry } from './raw.js';

export interface CellResult {
  readonly value: number;
  /** Set when the cell times only a phase of its own (W7: the cancellation). */
  readonly ms?: number;
  /** Set when the work ran in another process (Python's asyncio). */
  readonly peakRssMiB?: number;
  /** Set when the work ran in another process: its CPU time, user + system. */
  readonly cpuMs?: number;
  /** W10: the RSS each connection added, both of its ends. */
  readonly rssPerConnectionKiB?: number;
}

export interface Workload {
  readonly title: string;
  readonly n: number;
  readonly expected: (n: number) => number;
  readonly impls: Record<string, (n: number) => Promise<CellResult>>;
  /**
   * Cells too slow to run at full N within `--quick`'s two minutes run at this
   * N there instead; their ratio is then per item against raw at full N.
   */
  readonly quickN?: Record<string, number>;
  /**
   * Also report CPU time (user + system) and its ratio: for I/O workloads whose
   * client and server share the process, on a machine other jobs share.
   */
  readonly cpu?: boolean;
}

const resolved = Promise.resolve();

// W3: P producers and C consumers move the integers 0..n-1 through a queue of
// capacity 100 (producer k sends k, k+P, …); then one -1 per consumer ends them.
function queueWorkload(title: string, p: number, c: number): Workload {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    title,
    n: 1_000_000,
    expected: triangle,
    impls: {
      async raw(n) {
        const q = new RawQueue<number>(100);
        const consumer = async () => {
          let s = 0;
          for (;;) {
            const x = await q.get();
            if (x < 0) return s;
            s += x;
          }
        };
        const consumers = Array.from({ length: c }, consumer);
        const producer = async (k: number) => {
          for (let i = k; i < n; i += p) await q.put(i);
        };
        await Promise.all(Array.from({ length: p }, (_, k) => producer(k)));
        for (let i = 0; i < c; i++) await q.put(-1);
        return { value: sum(await Promise.all(consumers)) };
      },
      async 'corio-queue'(n) {
        return run(async () => {
          const q = new Queue<number>(100);
          let total = 0;
          await taskGroup(async (tg) => {
            for (let i = 0; i < c; i++) {
              tg.spawn(async () => {
                for (;;) {
                  const x = await q.get();
                  if (x < 0) return;
                  total += x;
                }
              });
            }
            await taskGroup((producers) => {
              for (let k = 0; k < p; k++) {
                producers.spawn(async () => {
                  for (let i = k; i < n; i += p) await q.put(i);
                });
              }
            });
            for (let i = 0; i < c; i++) await q.put(-1);
          });
          return { value: total };
        });
      },
      async 'corio-channel'(n) {
        return run(async () => {
          const [send, receive] = openChannel<number>(100);
          let total = 0;
          await taskGroup((tg) => {
            for (let i = 0; i < c; i++) {
              const rx = receive.clone();
              tg.spawn(async () => {
                for await (const x of rx) total += x;
              });
            }
            receive.close();
            for (let k = 0; k < p; k++) {
              const tx = send.clone();
              tg.spawn(async () => {
                using out = tx;
                for (let i = k; i < n; i += p) await out.send(i);
              });
            }
            send.close();
          });
          return { value: total };
        });
      },
      effect: effectW3(p, c),
      effection: effectionW3(p, c),
    },
  };
}
const HOUR = 3_600_000;

// W1's corio form, run with or without a tracer.
function spawnJoin(n: number, trace: Instrument | undefined): Promise<CellResult> {
  return run(
    async () => {
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
    },
    trace === undefined ? {} : { trace },
  );
}
const triangle = (n: number): number => (n * (n - 1)) / 2;

// W2's callback workers with the results as an async iterable: see W2's floor
// rows. No await where the queue need not wait, and a next() that is not async.
async function iteratorWorkers(n: number): Promise<CellResult> {
  const q = new RawQueue<number>(1);
  let next = 0;
  const fn = async (i: number) => {
    await tick();
    return i;
  };
  const worker = async () => {
    while (next < n) {
      const put = q.put(await fn(next++));
      if (put !== undefined) await put;
    }
  };
  const produced = Promise.all(Array.from({ length: 16 }, worker)).then(() => q.put(-1));
  const step = (x: number): IteratorResult<number> =>
    x < 0 ? { done: true, value: undefined } : { done: false, value: x };
  const results: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => ({
      next(): Promise<IteratorResult<number>> {
        const x = q.get();
        return typeof x === 'number' ? Promise.resolve(step(x)) : x.then(step);
      },
    }),
  };
  let sum = 0;
  for await (const x of results) sum += x;
  await produced;
  return { value: sum };
}

// W2's raw workers with the work as a callback: see W2's floor rows.
async function callbackWorkers(n: number): Promise<CellResult> {
  let next = 0;
  let sum = 0;
  const fn = async (i: number) => {
    await tick();
    sum += i;
  };
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { value: sum };
}

// W6: N integers from an async generator → map(x*2) → filter(x%3==0) → batches
// of 100 → counted. The value packs the item and batch counts: items*1e4 + batches.
// The anchors' source: an async generator that never waits.
// eslint-disable-next-line @typescript-eslint/require-await
async function* integers(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}
const double = (x: number): number => x * 2;
const third = (x: number): boolean => x % 3 === 0;
async function tally(batches: AsyncIterable<number[]>): Promise<CellResult> {
  let items = 0;
  let count = 0;
  for await (const b of batches) {
    items += b.length;
    count++;
  }
  return { value: items * 1e4 + count };
}

// W2: N items, at most 16 at once, each awaiting one setImmediate tick (simulated I/O).
const tick = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

// W5: a seeded uniform 0–100 ms delay per item (mulberry32, as the anchors).
function delays(n: number): number[] {
  let a = 42;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Math.floor(next() * 100));
}

const table: Record<string, Workload> = {
  W2: {
    title: 'bounded map: N items, concurrency 16, one setImmediate tick each',
    n: 100_000,
    expected: triangle,
    impls: {
      async raw(n) {
        let next = 0;
        let sum = 0;
        const worker = async () => {
          while (next < n) {
            const i = next++;
            await tick();
            sum += i;
          }
        };
        await Promise.all(Array.from({ length: 16 }, worker));
        return { value: sum };
      },
      // Floors for an API that takes the work as a callback (forEach, map, p-map):
      // raw's 16 workers, each item an async function call they await; then the
      // same inside one AsyncLocalStorage context, whose promise hook on Node 20
      // runs for the callback's promises too.
      'floor-callback': (n) => callbackWorkers(n),
      'floor-callback-als': (n) => als.run(true, () => callbackWorkers(n)),
      // Floors for results as an async iterable, as map() gives them: the
      // callback workers put each result into a hand-written queue of 1 (in
      // completion order; map keeps the source's), and the consumer takes them
      // with for await through an async iterator; then the same inside one
      // AsyncLocalStorage context (Node 20's promise hook, as for forEach).
      'floor-map': (n) => iteratorWorkers(n),
      'floor-map-als': (n) => als.run(true, () => iteratorWorkers(n)),
      async 'corio-forEach'(n) {
        return run(async () => {
          let sum = 0;
          await forEach(
            range(0, n),
            async (i) => {
              await tick();
              sum += i;
            },
            { concurrency: 16 },
          );
          return { value: sum };
        });
      },
      // map() with concurrency, the way users write a bounded fan-out.
      async 'corio-map'(n) {
        return run(async () => {
          let sum = 0;
          const calls = pipe(
            range(0, n),
            map(
              async (i) => {
                await tick();
                return i;
              },
              { concurrency: 16 },
            ),
          );
          for await (const i of calls) sum += i;
          return { value: sum };
        });
      },
      // The floor for a task per item behind a limiter: each item an async
      // function in an AsyncLocalStorage context of its own (a task's context,
      // see W1's floor-context) waiting on a hand-written semaphore of 16.
      async 'floor-task-limiter'(n) {
        const semaphore = new RawSemaphore(16);
        let sum = 0;
        const fn = async (i: number) => {
          await tick();
          sum += i;
        };
        const item = async (i: number) => {
          await semaphore.acquire();
          try {
            await fn(i);
          } finally {
            semaphore.release();
          }
        };
        const promises = new Array<Promise<void>>(n);
        // From inside a context, as corio's tasks are made (see W1's floor-context).
        als.run(true, () => {
          for (let i = 0; i < n; i++) promises[i] = enterContext(true, item, i);
        });
        await Promise.all(promises);
        return { value: sum };
      },
      async 'corio-limiter'(n) {
        return run(async () => {
          const limiter = new CapacityLimiter(16);
          let sum = 0;
          await taskGroup((tg) => {
            for (let i = 0; i < n; i++) {
              tg.spawn(() =>
                limiter.run(async () => {
                  await tick();
                  sum += i;
                }),
              );
            }
          });
          return { value: sum };
        });
      },
      async 'p-limit'(n) {
        const { default: pLimit } = await import('p-limit');
        const limit = pLimit(16);
        let sum = 0;
        await Promise.all(
          Array.from({ length: n }, (_, i) =>
            limit(async () => {
              await tick();
              sum += i;
            }),
          ),
        );
        return { value: sum };
      },
      async 'p-map'(n) {
        const { default: pMap } = await import('p-map');
        let sum = 0;
        await pMap(
          Array.from({ length: n }, (_, i) => i),
          async (i) => {
            await tick();
            sum += i;
          },
          { concurrency: 16 },
        );
        return { value: sum };
      },
      async 'p-queue'(n) {
        const { default: PQueue } = await import('p-queue');
        const queue = new PQueue({ concurrency: 16 });
        let sum = 0;
        for (let i = 0; i < n; i++) {
          void queue.add(async () => {
            await tick();
            sum += i;
          });
        }
        await queue.onIdle();
        return { value: sum };
      },
      effect: effectW2(tick),
    },
  },
  W5: {
    title: 'timers: N concurrent sleeps, seeded uniform 0–100 ms; ms for the whole set',
    n: 100_000,
    expected: (n) => n,
    impls: {
      async raw(n) {
        const ds = delays(n);
        const t0 = performance.now();
        await Promise.all(
          ds.map(
            (ms) =>
              new Promise((resolve) => {
                setTimeout(resolve, ms);
              }),
          ),
        );
        return { value: n, ms: performance.now() - t0 };
      },
      async 'timers-promises'(n) {
        const { setTimeout: hostSleep } = await import('node:timers/promises');
        const ds = delays(n);
        const t0 = performance.now();
        await Promise.all(ds.map((ms) => hostSleep(ms)));
        return { value: n, ms: performance.now() - t0 };
      },
      // The same shape as raw: one task awaiting all the sleeps.
      async 'corio-sleep'(n) {
        const ds = delays(n);
        return run(async () => {
          const t0 = performance.now();
          await Promise.all(ds.map((ms) => sleep(ms)));
          return { value: n, ms: performance.now() - t0 };
        });
      },
      // A task per sleep, as Effect's cell forks a fiber per sleep.
      async 'corio-tasks'(n) {
        const ds = delays(n);
        return run(async () => {
          const t0 = performance.now();
          await taskGroup((tg) => {
            for (const ms of ds) tg.spawn(() => sleep(ms));
          });
          return { value: n, ms: performance.now() - t0 };
        });
      },
      effect: effectW5(delays),
    },
  },
  W6: {
    title: 'pipeline: N integers → map → filter → batches of 100 → count',
    n: 1_000_000,
    expected: (n) => {
      const items = Math.ceil(n / 3);
      return items * 1e4 + Math.ceil(items / 100);
    },
    impls: {
      async raw(n) {
        async function* mapped(it: AsyncIterable<number>) {
          for await (const x of it) yield double(x);
        }
        async function* filtered(it: AsyncIterable<number>) {
          for await (const x of it) if (third(x)) yield x;
        }
        async function* batched(it: AsyncIterable<number>) {
          let buf: number[] = [];
          for await (const x of it) {
            buf.push(x);
            if (buf.length === 100) {
              yield buf;
              buf = [];
            }
          }
          if (buf.length > 0) yield buf;
        }
        return tally(batched(filtered(mapped(integers(n)))));
      },
      async corio(n) {
        return run(() => tally(pipe(integers(n), map(double), filter(third), chunk(100))));
      },
      async 'streaming-iterables'(n) {
        const si = await import('streaming-iterables');
        return tally(
          si.pipeline(() => integers(n), si.map(double), si.filter(third), si.batch(100)),
        );
      },
      async ix(n) {
        const { from } = await import('ix/asynciterable');
        const ops = await import('ix/asynciterable/operators');
        return tally(from(integers(n)).pipe(ops.map(double), ops.filter(third), ops.buffer(100)));
      },
      async 'node-stream'(n) {
        const { Readable, Transform, Writable } = await import('node:stream');
        const { pipeline } = await import('node:stream/promises');
        const mapT = new Transform({
          objectMode: true,
          transform(x: number, _enc, cb) {
            cb(null, double(x));
          },
        });
        const filterT = new Transform({
          objectMode: true,
          transform(x: number, _enc, cb) {
            if (third(x)) cb(null, x);
            else cb();
          },
        });
        let buf: number[] = [];
        const batchT = new Transform({
          objectMode: true,
          transform(x: number, _enc, cb) {
            buf.push(x);
            if (buf.length === 100) {
              const out = buf;
              buf = [];
              cb(null, out);
            } else cb();
          },
          flush(cb) {
            if (buf.length > 0) this.push(buf);
            cb();
          },
        });
        let items = 0;
        let count = 0;
        const sink = new Writable({
          objectMode: true,
          write(b: number[], _enc, cb) {
            items += b.length;
            count++;
            cb();
          },
        });
        await pipeline(Readable.from(integers(n)), mapT, filterT, batchT, sink);
        return { value: items * 1e4 + count };
      },
      'effect-stream': effectW6(integers, double, third),
    },
  },
  W3a: queueWorkload('queue 1×1: capacity 100, 1 producer → 1 consumer, N integers', 1, 1),
  W3b: queueWorkload('queue 4×4: capacity 100, 4 producers → 4 consumers, N integers', 4, 4),
  W4: {
    title: 'contended lock: 100 tasks × N/100 acquisitions, one await inside',
    n: 100_000,
    expected: (n) => n,
    impls: {
      async raw(n) {
        const m = new RawMutex();
        let counter = 0;
        const task = async () => {
          for (let k = 0; k < n / 100; k++) {
            await m.lock();
            try {
              const v = counter;
              await resolved;
              counter = v + 1;
            } finally {
              m.unlock();
            }
          }
        };
        await Promise.all(Array.from({ length: 100 }, task));
        return { value: counter };
      },
      // The floor of the contract's lock (bench/raw.ts, RawCheckedMutex): raw's
      // mutex plus the resumption check a woken waiter runs before it holds the
      // lock (a promise reaction per hand-over), and a guard for `using`, as
      // corio's cell writes it.
      async 'floor-checked'(n) {
        const m = new RawCheckedMutex();
        let counter = 0;
        const task = async () => {
          for (let k = 0; k < n / 100; k++) {
            using _held = await m.acquire();
            const v = counter;
            await resolved;
            counter = v + 1;
          }
        };
        await Promise.all(Array.from({ length: 100 }, task));
        return { value: counter };
      },
      async 'async-mutex'(n) {
        const { Mutex } = await import('async-mutex');
        const m = new Mutex();
        let counter = 0;
        const critical = async () => {
          const v = counter;
          await resolved;
          counter = v + 1;
        };
        const task = async () => {
          for (let k = 0; k < n / 100; k++) await m.runExclusive(critical);
        };
        await Promise.all(Array.from({ length: 100 }, task));
        return { value: counter };
      },
      async corio(n) {
        return run(async () => {
          const lock = new Lock();
          let counter = 0;
          await taskGroup((tg) => {
            for (let t = 0; t < 100; t++) {
              tg.spawn(async () => {
                for (let k = 0; k < n / 100; k++) {
                  using _held = await lock.acquire();
                  const v = counter;
                  await resolved;
                  counter = v + 1;
                }
              });
            }
          });
          return { value: counter };
        });
      },
      effect: effectW4,
    },
  },
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
      // The floor for any library that gives each task a context of its own, as
      // corio does (its current task and scope): raw's async functions, each
      // started in an AsyncLocalStorage context of its own (one context frame per
      // task, with no other bookkeeping), entered the cheapest way (contextEntry),
      // from inside a context: corio's tasks are made inside one (their maker's,
      // which holds corio's store), and on Nodes 24 and 26 a frame entered from
      // a frame that holds a store copies it (10-30 % of this row's time).
      async 'floor-context'(n) {
        const task = async (i: number) => {
          await resolved;
          return i;
        };
        const promises = new Array<Promise<number>>(n);
        als.run(true, () => {
          for (let i = 0; i < n; i++) promises[i] = enterContext(true, task, i);
        });
        const results = await Promise.all(promises);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += results[i] as number;
        return { value: sum };
      },
      async corio(n) {
        return spawnJoin(n, undefined);
      },
      // The same with corio/trace recording every kernel event (bounded buffer).
      async 'corio-traced'(n) {
        const { Tracer } = await import('corio/trace');
        return spawnJoin(n, new Tracer());
      },
      effect: effectW1,
      effection: effectionW1,
    },
    quickN: { effection: 10_000 },
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
      async abortcontroller(n) {
        const { setTimeout: hostSleep } = await import('node:timers/promises');
        const controllers = Array.from({ length: n }, () => new AbortController());
        const tasks = controllers.map(({ signal }) =>
          hostSleep(HOUR, undefined, { signal }).then(
            () => 0,
            (e: unknown) => ((e as Error).name === 'AbortError' ? 1 : 0),
          ),
        );
        await new Promise((resolve) => setImmediate(resolve));
        const t1 = performance.now();
        for (const c of controllers) c.abort();
        let count = 0;
        for (const c of await Promise.all(tasks)) count += c;
        return { value: count, ms: performance.now() - t1 };
      },
      // The floor of corio's cell: raw's cancel, but each sleeper is what the
      // cell's tasks are, an async function in a context of its own (made inside
      // a context, as W1's floor-context) that catches the cancellation, counts
      // it and rethrows; joined by a count. An async function resumed with a
      // rejection, its catch and its rethrow cost more than raw's one `.then`
      // handler per sleeper on Nodes 20 and 24 (about as much on Node 26).
      async 'floor-rethrow'(n) {
        const cancelled = new Error('cancelled');
        const cancels = new Array<() => void>(n);
        let count = 0;
        // Joined as a group joins its tasks: a count of those still running.
        let running = n;
        let allEnded!: () => void;
        const ended = new Promise<void>((resolve) => {
          allEnded = resolve;
        });
        const end = () => {
          if (--running === 0) allEnded();
        };
        const sleeper = async (i: number) => {
          try {
            await new Promise<void>((resolve, reject) => {
              const timer = setTimeout(resolve, HOUR);
              cancels[i] = () => {
                clearTimeout(timer);
                reject(cancelled);
              };
            });
          } catch (err) {
            count++;
            throw err;
          }
        };
        als.run(true, () => {
          for (let i = 0; i < n; i++) enterContext(true, sleeper, i).then(end, end);
        });
        await new Promise((resolve) => setImmediate(resolve));
        const t1 = performance.now();
        for (let i = 0; i < n; i++) (cancels[i] as () => void)();
        await ended;
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
      effect: effectW7,
      effection: effectionW7,
    },
    quickN: { effection: 10_000 },
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
      async 'p-timeout'(n) {
        const { default: pTimeout } = await import('p-timeout');
        const op = async () => {
          await resolved;
          return 1;
        };
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await pTimeout(op(), { milliseconds: 1000 });
        return { value: sum };
      },
      async 'abortsignal-timeout'(n) {
        const op = async (signal: AbortSignal) => {
          await resolved;
          signal.throwIfAborted();
          return 1;
        };
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await op(AbortSignal.timeout(1000));
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
      effect: effectW8,
    },
  },
  W9: {
    title: 'echo throughput: one loopback connection, N lines written and echoed back',
    n: 100_000,
    expected: (n) => n,
    cpu: true,
    impls: {
      raw: (n) => rawW9(n),
      'raw-corked': (n) => rawW9(n, true),
      corio: corioW9,
      asyncio: asyncio('W9'),
    },
  },
  W10: {
    title: 'many connections: N lines as ping-pong over 1,000 concurrent loopback connections',
    n: 100_000,
    expected: (n) => n,
    cpu: true,
    impls: { raw: rawW10, corio: corioW10, asyncio: asyncio('W10') },
    quickN: { asyncio: 20_000 },
  },
  W11,
  W12,
};

// `raw-als`: the raw code run inside one AsyncLocalStorage context. On Node 20 a
// live AsyncLocalStorage puts a hook on every promise the process makes, so this
// row is the floor for any library that carries an ambient context there (corio's
// current task and scope); on Node 24 (AsyncContextFrame) it matches raw.
const als = new AsyncLocalStorage<true>();
const enterContext = contextEntry(als);

export const workloads: Record<string, Workload> = Object.fromEntries(
  Object.entries(table).map(([id, w]) => {
    const { raw, ...others } = w.impls;
    if (raw === undefined) throw new Error(`${id} has no raw cell`);
    const impls = { raw, 'raw-als': (n: number) => als.run(true, () => raw(n)), ...others };
    return [id, { ...w, impls }];
  }),
);

/** A cell named on the command line: `<workload> <impl> [N]`; exits 2 if unknown. */
export function cellFromArgs(args: readonly string[]): {
  readonly workloadId: string;
  readonly implName: string;
  readonly workload: Workload;
  readonly impl: (n: number) => Promise<CellResult>;
  readonly n: number;
} {
  const [workloadId = '', implName = '', size, ...extra] = args;
  const workload = workloads[workloadId];
  const impl = workload?.impls[implName];
  if (workload === undefined || impl === undefined) {
    console.error(`unknown cell ${workloadId}/${implName}`);
    process.exit(2);
  }
  if (
    extra.length > 0 ||
    (size !== undefined && !(Number.isInteger(Number(size)) && Number(size) >= 1))
  ) {
    console.error(`usage: <workload> <impl> [N], N a positive integer; got ${args.join(' ')}`);
    process.exit(2);
  }
  return {
    workloadId,
    implName,
    workload,
    impl,
    n: size === undefined ? workload.n : Number(size),
  };
}
