// Effection (v4) cells, written as an Effection user writes them: generator
// operations, `spawn` for children, `until` to await a promise.
import type { CellResult } from '../workloads.js';

type Impl = (n: number) => Promise<CellResult>;

const resolved = Promise.resolve();
const HOUR = 3_600_000;

export const effectionW1: Impl = async (n) => {
  const { run, spawn, until } = await import('effection');
  const value = await run(function* () {
    const tasks = [];
    for (let i = 0; i < n; i++) {
      tasks.push(
        yield* spawn(function* () {
          yield* until(resolved);
          return i;
        }),
      );
    }
    let sum = 0;
    for (const t of tasks) sum += yield* t;
    return sum;
  });
  return { value };
};

// Effection's createQueue is unbounded; the capacity of 100 is a second queue of
// 100 slot tokens (a put takes one, a get gives one back).
export const effectionW3 =
  (p: number, c: number): Impl =>
  async (n) => {
    const { run, spawn, createQueue } = await import('effection');
    const value = await run(function* () {
      const data = createQueue<number, never>();
      const slots = createQueue<undefined, never>();
      for (let i = 0; i < 100; i++) slots.add(undefined);
      function* put(x: number) {
        yield* slots.next();
        data.add(x);
      }
      function* get() {
        const next = yield* data.next();
        slots.add(undefined);
        return next.value;
      }
      const consumers = [];
      for (let i = 0; i < c; i++) {
        consumers.push(
          yield* spawn(function* () {
            let s = 0;
            for (;;) {
              const x = yield* get();
              if (x < 0) return s;
              s += x;
            }
          }),
        );
      }
      const producers = [];
      for (let k = 0; k < p; k++) {
        producers.push(
          yield* spawn(function* () {
            for (let i = k; i < n; i += p) yield* put(i);
          }),
        );
      }
      for (const t of producers) yield* t;
      for (let i = 0; i < c; i++) yield* put(-1);
      let sum = 0;
      for (const t of consumers) sum += yield* t;
      return sum;
    });
    return { value };
  };

export const effectionW7: Impl = async (n) => {
  const { run, spawn, sleep, suspend } = await import('effection');
  let started = 0;
  let cancelled = 0;
  const main = run(function* () {
    for (let i = 0; i < n; i++) {
      // The scope owns its children: halting main halts them; nothing joins them.
      void (yield* spawn(function* () {
        started++;
        try {
          yield* sleep(HOUR);
        } finally {
          cancelled++;
        }
      }));
    }
    yield* suspend();
  });
  while (started < n) await new Promise((resolve) => setImmediate(resolve));
  const t1 = performance.now();
  await main.halt();
  return { value: cancelled, ms: performance.now() - t1 };
};
