/**
 * The fuzzer's `corio/iter` operations: `map` and `forEach` with concurrency,
 * `merge`, `buffer` and `chunk(n, { within })` over sources that wait between
 * items, consumed to the end or left early, and cancelled whenever the program
 * says. Whatever way the pipeline ends, no call of the mapped function may still
 * run and no source may be left open; a pipeline that ends normally has seen
 * every item once, in order where order is promised; concurrency and read-ahead
 * bounds hold throughout.
 */
import { sleep } from 'corio';
import { buffer, chunk, forEach, map, merge, pipe } from 'corio/iter';
import type { Leaf } from './program.js';
import type { World } from './world.js';

type IterOp = Extract<Leaf, { op: 'map' | 'forEach' | 'merge' | 'pipeline' | 'buffer' | 'chunk' }>;

interface SourceState {
  /** Sources started and not finished (their `finally` has not run). */
  open: number;
  /** Items yielded so far. */
  pulled: number;
}

async function* source(
  st: SourceState,
  tag: string,
  n: number,
  ms: number,
): AsyncGenerator<string, void, undefined> {
  st.open++;
  try {
    for (let i = 0; i < n; i++) {
      if (ms > 0) await sleep(ms);
      st.pulled++;
      yield `${tag}${i}`;
    }
  } finally {
    st.open--;
  }
}

const items = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}`);
const sorted = (xs: readonly string[]) => [...xs].sort();
const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export async function iterOp(w: World, o: IterOp): Promise<void> {
  const st: SourceState = { open: 0, pulled: 0 };
  const calls = { active: 0 };
  const got: string[] = [];
  const conc = 'concurrency' in o ? o.concurrency : Infinity;
  const fn = async (x: string, ms: number): Promise<string> => {
    calls.active++;
    w.check(calls.active <= conc, `${o.op}: ${calls.active} calls at once, concurrency ${conc}`);
    try {
      await sleep(ms);
      return x;
    } finally {
      calls.active--;
    }
  };
  const sources: SourceState[] = [st];
  let completed: boolean;
  try {
    completed = await consume(w, o, st, sources, fn, got);
  } finally {
    w.check(calls.active === 0, `${o.op}: ${calls.active} call(s) still running after it ended`);
    const open = sources.reduce((n, s) => n + s.open, 0);
    w.check(open === 0, `${o.op}: ${open} source(s) left open after it ended`);
  }
  if (!completed) return;
  const expected =
    o.op === 'merge' ? o.sources.flatMap((s, k) => items(`s${k}.`, s.n)) : items('x', o.n);
  const ordered =
    o.op === 'buffer' || o.op === 'chunk' || o.op === 'pipeline' || (o.op === 'map' && o.ordered);
  w.check(
    ordered ? same(got, expected) : same(sorted(got), sorted(expected)),
    `${o.op}: ended normally with [${got.join(',')}], expected [${expected.join(',')}]`,
  );
  if (o.op === 'merge') {
    o.sources.forEach((_, k) => {
      const mine = got.filter((x) => x.startsWith(`s${k}.`));
      w.check(same(mine, items(`s${k}.`, mine.length)), `merge: source ${k}'s items out of order`);
    });
  }
}

// Runs the pipeline; true when it was consumed to the end (not left early).
async function consume(
  w: World,
  o: IterOp,
  st: SourceState,
  sources: SourceState[],
  fn: (x: string, ms: number) => Promise<string>,
  got: string[],
): Promise<boolean> {
  const leave = (o: { breakAfter: number | null }) =>
    o.breakAfter !== null && got.length >= o.breakAfter;
  switch (o.op) {
    case 'map': {
      const mapped = pipe(
        source(st, 'x', o.n, o.itemMs),
        map((x: string) => fn(x, o.fnMs), { concurrency: o.concurrency, ordered: o.ordered }),
      );
      for await (const x of mapped) {
        got.push(x);
        w.check(
          st.pulled - got.length <= o.concurrency,
          `map: ${st.pulled} items pulled with ${got.length} consumed, concurrency ${o.concurrency}`,
        );
        if (leave(o)) return false;
      }
      return true;
    }
    case 'forEach': {
      await forEach(
        source(st, 'x', o.n, o.itemMs),
        async (x: string) => {
          got.push(await fn(x, o.fnMs));
        },
        { concurrency: o.concurrency },
      );
      return true;
    }
    case 'merge': {
      sources.length = 0;
      const inputs = o.sources.map((s, k) => {
        const state: SourceState = { open: 0, pulled: 0 };
        sources.push(state);
        return source(state, `s${k}.`, s.n, s.ms);
      });
      for await (const x of merge(...inputs)) {
        got.push(x);
        if (leave(o)) return false;
      }
      return true;
    }
    case 'buffer': {
      for await (const x of pipe(source(st, 'x', o.n, o.itemMs), buffer(o.size))) {
        got.push(x);
        w.check(
          st.pulled - got.length <= o.size + 1,
          `buffer(${o.size}): ${st.pulled} items pulled with ${got.length} consumed`,
        );
        if (leave(o)) return false;
        await sleep(o.consumeMs);
      }
      return true;
    }
    case 'pipeline': {
      let items: AsyncIterable<string> = source(st, 'x', o.n, o.itemMs);
      for (const stage of o.stages) {
        items =
          stage.kind === 'buffer'
            ? pipe(items, buffer(stage.size))
            : pipe(
                items,
                map((x: string) => fn(x, stage.ms), { concurrency: stage.concurrency }),
              );
      }
      for await (const x of items) {
        got.push(x);
        if (leave(o)) return false;
        await sleep(o.consumeMs);
      }
      return true;
    }
    case 'chunk': {
      const batches = pipe(source(st, 'x', o.n, o.itemMs), chunk(o.size, { within: o.within }));
      for await (const batch of batches) {
        w.check(
          batch.length >= 1 && batch.length <= o.size,
          `chunk(${o.size}): a batch of ${batch.length}`,
        );
        got.push(...batch);
        if (leave(o)) return false;
        await sleep(o.consumeMs);
      }
      return true;
    }
  }
}
