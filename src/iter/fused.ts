/**
 * Stage fusion: `pipe()` runs consecutive sequential stages — `map` without
 * concurrency, `filter`, and a `chunk` by size that ends the run — as one async
 * generator instead of one generator each. Every generator a pipeline item passes
 * through costs its microtask hops and promises; fused, a map→filter→chunk
 * pipeline pulls each item once (bench W6). An operator applied on its own, or
 * a stage pipe cannot fuse, runs as before; what a pipeline yields, the order it
 * calls the functions in, and when it pulls are the same either way.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { chunk, filter, map, pipe, range, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   // One generator runs the three stages: each item is pulled once.
 *   const batches = pipe(range(0, 10), map((n) => n * 2), filter((n) => n % 3 === 0), chunk(2));
 *   console.log(await toArray(batches));
 * });
 * // => [ [ 0, 6 ], [ 12, 18 ] ]
 * ```
 * @module
 */
import { isThenable } from '../_internal/validate.js';
import type { Operator } from './source.js';

/** A stage pipe() may fuse with its neighbours. */
export type Stage =
  | { readonly kind: 'map'; readonly fn: (item: unknown, index: number) => unknown }
  | { readonly kind: 'filter'; readonly fn: (item: unknown, index: number) => unknown }
  | { readonly kind: 'chunk'; readonly n: number };

const stages = new WeakMap<Operator<never, unknown>, Stage>();

/** Marks `op` as fusable as `stage`, and returns it. */
export function fusable<A, B>(op: Operator<A, B>, stage: Stage): Operator<A, B> {
  stages.set(op as Operator<never, unknown>, stage);
  return op;
}

/**
 * The operators of a pipe, with each run of two or more fusable stages replaced
 * by one fused operator. A `chunk` ends a run: what comes after it sees arrays.
 */
export function fuseRuns(
  operators: readonly Operator<unknown, unknown>[],
): Operator<unknown, unknown>[] {
  const out: Operator<unknown, unknown>[] = [];
  let run: { op: Operator<unknown, unknown>; stage: Stage }[] = [];
  const flush = (): void => {
    if (run.length === 1) out.push((run[0] as { op: Operator<unknown, unknown> }).op);
    else if (run.length > 1) {
      const fused = run.map((r) => r.stage);
      out.push((source) => fusedStages(source as AsyncIterable<unknown>, fused));
    }
    run = [];
  };
  for (const op of operators) {
    const stage = stages.get(op as Operator<never, unknown>);
    if (stage === undefined) {
      flush();
      out.push(op);
      continue;
    }
    run.push({ op, stage });
    if (stage.kind === 'chunk') flush();
  }
  flush();
  return out;
}

// The fused stages, each with its own index, as the unfused ones count.
async function* fusedStages(
  items: AsyncIterable<unknown>,
  run: readonly Stage[],
): AsyncGenerator<unknown, void, undefined> {
  const last = run[run.length - 1] as Stage;
  const size = last.kind === 'chunk' ? last.n : 0;
  const steps = size > 0 ? run.length - 1 : run.length;
  const indexes = new Array<number>(steps).fill(0);
  let batch: unknown[] = [];
  outer: for await (const item of items) {
    let value = item;
    for (let k = 0; k < steps; k++) {
      const stage = run[k] as Stage & { readonly fn: (item: unknown, index: number) => unknown };
      const index = indexes[k] as number;
      indexes[k] = index + 1;
      let out = stage.fn(value, index);
      // A synchronous function is not awaited: that would cost a hop per item.
      if (isThenable(out)) out = await out;
      if (stage.kind === 'map') value = out;
      else if (!out) continue outer;
    }
    if (size === 0) {
      yield value;
      continue;
    }
    batch.push(value);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
