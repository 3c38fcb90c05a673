// Effect (v4) cells: each workload written as an Effect user writes it. Where
// the workload is defined by a promise (W1's microtask hop, W2's setImmediate
// tick, W4's await, W8's fast call) the promise is wrapped with Effect.promise,
// as Effect users wrap promise APIs; everything else is Effect-native.
import type { CellResult } from '../workloads.js';

type Impl = (n: number) => Promise<CellResult>;

const resolved = Promise.resolve();
const HOUR = 3_600_000;
const sumOf = (xs: readonly number[]): number => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};
const indices = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export const effectW1: Impl = async (n) => {
  const { Effect } = await import('effect');
  const task = (i: number) => Effect.promise(() => resolved.then(() => i));
  const results = await Effect.runPromise(
    Effect.forEach(indices(n), task, { concurrency: 'unbounded' }),
  );
  return { value: sumOf(results) };
};

export const effectW2 = (tick: () => Promise<void>): Impl =>
  async function effect(n) {
    const { Effect } = await import('effect');
    let sum = 0;
    await Effect.runPromise(
      Effect.forEach(
        indices(n),
        (i) =>
          Effect.promise(async () => {
            await tick();
            sum += i;
          }),
        { concurrency: 16, discard: true },
      ),
    );
    return { value: sum };
  };

export const effectW3 =
  (p: number, c: number): Impl =>
  async (n) => {
    const { Effect, Fiber, Queue } = await import('effect');
    const program = Effect.gen(function* () {
      const q = yield* Queue.bounded<number>(100);
      const consumer = Effect.gen(function* () {
        let s = 0;
        for (;;) {
          const x = yield* Queue.take(q);
          if (x < 0) return s;
          s += x;
        }
      });
      const consumers = [];
      for (let i = 0; i < c; i++) consumers.push(yield* Effect.forkChild(consumer));
      const producer = (k: number) =>
        Effect.gen(function* () {
          for (let i = k; i < n; i += p) yield* Queue.offer(q, i);
        });
      yield* Effect.forEach(indices(p), producer, { concurrency: 'unbounded', discard: true });
      for (let i = 0; i < c; i++) yield* Queue.offer(q, -1);
      return sumOf(yield* Fiber.joinAll(consumers));
    });
    return { value: await Effect.runPromise(program) };
  };

export const effectW4: Impl = async (n) => {
  const { Effect, Semaphore } = await import('effect');
  let counter = 0;
  const program = Effect.gen(function* () {
    const lock = yield* Semaphore.make(1);
    const critical = lock.withPermits(1)(
      Effect.gen(function* () {
        const v = counter;
        yield* Effect.promise(() => resolved);
        counter = v + 1;
      }),
    );
    const task = Effect.gen(function* () {
      for (let k = 0; k < n / 100; k++) yield* critical;
    });
    yield* Effect.forEach(indices(100), () => task, { concurrency: 'unbounded', discard: true });
  });
  await Effect.runPromise(program);
  return { value: counter };
};

export const effectW5 =
  (delays: (n: number) => number[]): Impl =>
  async (n) => {
    const { Effect } = await import('effect');
    const ds = delays(n);
    const t0 = performance.now();
    await Effect.runPromise(
      Effect.forEach(ds, (ms) => Effect.sleep(ms), { concurrency: 'unbounded', discard: true }),
    );
    return { value: n, ms: performance.now() - t0 };
  };

export const effectW6 =
  (
    integers: (n: number) => AsyncIterable<number>,
    double: (x: number) => number,
    third: (x: number) => boolean,
  ): Impl =>
  async (n) => {
    const { Effect, Stream } = await import('effect');
    const program = Stream.fromAsyncIterable(integers(n), (e) => e).pipe(
      Stream.map(double),
      Stream.filter(third),
      Stream.grouped(100),
      Stream.runFold(
        () => ({ items: 0, batches: 0 }),
        (acc, batch) => {
          acc.items += batch.length;
          acc.batches++;
          return acc;
        },
      ),
    );
    const { items, batches } = await Effect.runPromise(program);
    return { value: items * 1e4 + batches };
  };

export const effectW7: Impl = async (n) => {
  const { Effect, Fiber } = await import('effect');
  let cancelled = 0;
  const sleeper = Effect.sleep(HOUR).pipe(
    Effect.onInterrupt(() =>
      Effect.sync(() => {
        cancelled++;
      }),
    ),
  );
  const program = Effect.gen(function* () {
    const fibers = [];
    for (let i = 0; i < n; i++) fibers.push(yield* Effect.forkChild(sleeper));
    // Let every fiber reach its sleep, as the other cells do, before timing.
    yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)));
    const t1 = performance.now();
    yield* Fiber.interruptAll(fibers);
    return { value: cancelled, ms: performance.now() - t1 };
  });
  return Effect.runPromise(program);
};

export const effectW8: Impl = async (n) => {
  const { Effect } = await import('effect');
  const op = async () => {
    await resolved;
    return 1;
  };
  const call = Effect.promise(op).pipe(Effect.timeout(1000));
  const program = Effect.gen(function* () {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += yield* call;
    return sum;
  });
  return { value: await Effect.runPromise(program) };
};
