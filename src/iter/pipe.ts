/**
 * `pipe(source, ...operators)`: compose pipeline stages left to right, with the
 * item type flowing through without annotations. `pipe(src, f, g)` is `g(f(src))`.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { filter, map, pipe, range, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   const squaresOfOdds = pipe(range(0, 10), filter((n) => n % 2 === 1), map((n) => n * n));
 *   console.log(await toArray(squaresOfOdds));
 * });
 * // => [ 1, 9, 25, 49, 81 ]
 * ```
 * @module
 */
import { checkFunction } from '../_internal/validate.js';
import { fuseRuns } from './fused.js';
import { type Operator, type Source, asAsync } from './source.js';

export function pipe<A>(source: Source<A>): AsyncIterable<A>;
export function pipe<A, B>(source: Source<A>, op1: Operator<A, B>): AsyncIterable<B>;
export function pipe<A, B, C>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
): AsyncIterable<C>;
export function pipe<A, B, C, D>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
): AsyncIterable<D>;
export function pipe<A, B, C, D, E>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
): AsyncIterable<E>;
export function pipe<A, B, C, D, E, F>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
): AsyncIterable<F>;
export function pipe<A, B, C, D, E, F, G>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
): AsyncIterable<G>;
export function pipe<A, B, C, D, E, F, G, H>(
  source: Source<A>,
  op1: Operator<A, B>,
  op2: Operator<B, C>,
  op3: Operator<C, D>,
  op4: Operator<D, E>,
  op5: Operator<E, F>,
  op6: Operator<F, G>,
  op7: Operator<G, H>,
): AsyncIterable<H>;
export function pipe(
  source: Source<unknown>,
  ...operators: Operator<unknown, unknown>[]
): AsyncIterable<unknown>;
export function pipe(
  source: Source<unknown>,
  ...operators: Operator<unknown, unknown>[]
): AsyncIterable<unknown> {
  operators.forEach((op, i) => {
    checkFunction('pipe()', `operators[${i}]`, op);
  });
  let stage: AsyncIterable<unknown> = asAsync('pipe()', source);
  // Runs of sequential stages (map, filter, chunk by size) run as one generator.
  for (const op of fuseRuns(operators)) stage = op(stage);
  return stage;
}
