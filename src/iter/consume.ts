/**
 * Consumers that end a pipeline: `toArray`, `reduce`, and `forEach` (optionally
 * concurrent, with `concurrency`).
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { forEach, range, reduce, toArray } from 'corio/iter';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   console.log(await reduce(range(1, 5), (sum, n) => sum + n, 0));
 *   await forEach(['a', 'b', 'c'], async (item) => {
 *     await sleep(item === 'a' ? 20 : 10);
 *     console.log(item);
 *   }, { concurrency: 2 });
 *   console.log(await toArray(new Set([1, 2])));
 * }, { clock: new VirtualClock() });
 * // => 10
 * // => b
 * // => a
 * // => c
 * // => [ 1, 2 ]
 * ```
 * @module
 */
import {
  checkFunction,
  checkOptions,
  checkSize,
  isThenable,
  optionNames,
} from '../_internal/validate.js';
import { taskGroup } from '../group/task-group.js';
import type { Task } from '../core/task.js';
import { ExceptionGroup } from '../errors.js';
import { type MapOptions, map } from './map.js';
import { type Source, asAsync, syncItems } from './source.js';
import { throwIfCancelled } from '../core/suspend.js';
import { Lock } from '../sync/lock.js';

const FOR_EACH_OPTIONS = optionNames<Pick<MapOptions, 'concurrency'>>({ concurrency: true });

/**
 * Collects every item.
 *
 * **Cancellation:** each pull is a cancellation point; the items collected so
 * far are dropped with the error, and the source is closed (`for await`'s
 * `return()`).
 */
export async function toArray<T>(source: Source<T>): Promise<T[]> {
  const items = asAsync('toArray()', source);
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Folds the items into one value with `reducer(accumulator, item, index)` (it may be async).
 *
 * **Cancellation:** each pull and each `reducer` call is a cancellation point;
 * the source is closed on the way out.
 */
export async function reduce<T, A>(
  source: Source<T>,
  reducer: (accumulator: A, item: T, index: number) => A | PromiseLike<A>,
  initial: A,
): Promise<A> {
  const items = asAsync('reduce()', source);
  checkFunction('reduce()', 'reducer', reducer);
  let acc = initial;
  let i = 0;
  for await (const item of items) acc = await reducer(acc, item, i++);
  return acc;
}

/**
 * Calls `fn(item, index)` for every item, up to `concurrency` at once (default 1),
 * and resolves once all have finished. With `concurrency > 1` the calls run in
 * up to that many worker tasks (children of the caller) that take turns pulling
 * the source, so at most `concurrency` items are in flight; a worker starts only
 * once the one before it has pulled an item, so a short source starts few,
 * whatever the bound. The first error stops the
 * iteration: the other calls are cancelled and awaited, the source is closed, and
 * the error is thrown as itself (an `ExceptionGroup` only if several failed).
 *
 * **Cancellation:** each pull is a cancellation point. A cancelled caller
 * cancels the running calls, waits for them, closes the source, and throws
 * `CancelledError`; items pulled but not yet handed to `fn` are dropped with
 * the source. A worker task cancelled on its own (from outside) loses the item
 * it held, and forEach throws its `CancelledError` once the other workers have
 * finished, never returns as if every item were done. If that worker was
 * pulling, the pull is cancelled: an async generator runs in the task that pulls
 * it, so the generator ends and the others find the source exhausted. If it had
 * not yet pulled its first item, it had not started the next worker either.
 */
export async function forEach<T>(
  source: Source<T>,
  fn: (item: T, index: number) => unknown,
  options?: Pick<MapOptions, 'concurrency'>,
): Promise<void> {
  checkFunction('forEach()', 'fn', fn);
  checkOptions('forEach()', 'options', options, FOR_EACH_OPTIONS);
  const items = asAsync('forEach()', source);
  const concurrency = checkSize('forEach()', 'options.concurrency', options?.concurrency ?? 1, 1);
  if (concurrency === 1) {
    let i = 0;
    for await (const item of items) {
      const r = fn(item, i++);
      if (isThenable(r)) await r;
    }
    return;
  }
  if (concurrency === Infinity) {
    // No bound, so no fixed set of workers: a task per item, as map() does.
    for await (const _ of map(fn, { concurrency, ordered: false })(items));
    return;
  }
  // A source that never waits is pulled synchronously by the workers, with the
  // per-item cancellation check asAsync() would make: no async step per item.
  const plain = syncItems(source);
  const syncIt = plain === null ? null : plain[Symbol.iterator]();
  const it = syncIt ?? items[Symbol.asyncIterator]();
  let index = 0;
  // Set by the workers: an object, so the read below is not narrowed away.
  const state = { exhausted: false };
  const pull = syncIt === null ? serialPuller(it as AsyncIterator<T>) : null;
  // Workers start as items come: each starts the next once it has pulled its
  // first item, until `concurrency` run. So a source of 3 items starts at most
  // 4 workers, however large the bound (`concurrency: 1e6` once made a million
  // tasks up front). The flag is a local, so the loop's steady state costs one
  // test of it per item.
  let started = 0;
  // A worker cancelled on its own (a task cancelled from outside: its group
  // does not count that as a failure) dropped what it held, an item or a pull:
  // forEach then throws that CancelledError instead of returning as if all
  // were done.
  const workers: Task[] = [];
  try {
    await taskGroup((tg) => {
      const worker = async (): Promise<void> => {
        let first = true;
        for (;;) {
          let next: IteratorResult<T>;
          if (pull === null) {
            throwIfCancelled();
            next = (syncIt as Iterator<T>).next();
          } else next = await pull();
          if (next.done === true) {
            state.exhausted = true;
            return;
          }
          if (first) {
            first = false;
            if (started < concurrency) {
              started++;
              workers.push(tg.spawn(worker));
            }
          }
          const r = fn(next.value, index++);
          // A plain source and a synchronous fn would never yield: await
          // anyway, as an async source's step would, so other tasks get in.
          if (isThenable(r) || pull === null) await r;
        }
      };
      started = 1;
      workers.push(tg.spawn(worker));
    });
    for (const w of workers) if (w.cancelled()) w.result();
  } catch (error) {
    if (error instanceof ExceptionGroup && error.errors.length === 1) throw error.errors[0];
    throw error;
  } finally {
    if (!state.exhausted) await it.return?.();
  }
}

/**
 * One next() at a time, since an async iterator need not support concurrent
 * calls. The workers take turns through a corio `Lock`, not through the
 * iterator's own queue (a native async generator queues concurrent calls) or a
 * promise chain: a worker waiting for its turn must be parked in a corio wait, or
 * it counts as runnable and a virtual clock never moves while the source sleeps
 * (#11: forEach over a waiting source hung under VirtualClock).
 */
function serialPuller<T>(it: AsyncIterator<T>): () => Promise<IteratorResult<T>> {
  const turn = new Lock();
  return async () => {
    const held = await turn.acquire();
    try {
      return await it.next();
    } finally {
      held.release();
    }
  };
}
