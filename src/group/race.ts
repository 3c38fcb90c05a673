/**
 * `race()`: the structured race. Runs every function as a child task; the first
 * to settle decides: `race` resolves with its value (or throws its error) once the
 * others have been cancelled and have finished. Unlike `Promise.race`, no loser is
 * left running.
 *
 * @example
 * ```ts
 * import { race, run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const winner = await race([
 *     async () => { await sleep(100); return 'mirror-1'; },
 *     async () => { await sleep(20); return 'mirror-2'; },
 *   ]);
 *   console.log(winner);
 * }, { clock: new VirtualClock() });
 * // => mirror-2
 * ```
 * @module
 */
import { describe, isIterable } from '../_internal/validate.js';
import { CancelledError, ExceptionGroup, isCancellation, throwCollected } from '../errors.js';
import type { Task } from '../core/task.js';
import { taskGroup } from './task-group.js';

/**
 * Runs `fns` concurrently; the first to return or throw wins, the rest are
 * cancelled and awaited.
 *
 * **Cancellation:** a cancelled caller cancels every contestant, waits for them,
 * and throws `CancelledError`.
 *
 * @throws the winner's error, if the first to settle threw; an `ExceptionGroup`
 * if losers also failed with real errors while being cancelled.
 * @throws {RangeError} if `fns` is empty. {TypeError} if one is not a function.
 */
export async function race<T>(fns: Iterable<(task: Task) => T | PromiseLike<T>>): Promise<T> {
  const input: unknown = fns;
  if (!isIterable(input)) {
    throw new TypeError(`race(): \`fns\` must be an iterable of functions, got ${describe(input)}`);
  }
  const list: unknown[] = [...input];
  if (list.length === 0) throw new RangeError('race(): `fns` must hold at least one function');
  list.forEach((fn, i) => {
    if (typeof fn !== 'function') {
      throw new TypeError(`race(): \`fns[${i}]\` must be a function, got ${describe(fn)}`);
    }
  });
  const contestants = list as ((task: Task) => T | PromiseLike<T>)[];
  // Mutated by the contestants: an object, so the reads below are not narrowed away.
  const outcome: { decided: boolean; failed: boolean; value?: T; error?: unknown } = {
    decided: false,
    failed: false,
  };
  try {
    await taskGroup((tg) => {
      for (const fn of contestants) {
        tg.spawn(async (task) => {
          let result: T;
          try {
            result = await fn(task);
          } catch (e) {
            if (outcome.decided || isCancellation(e)) throw e;
            outcome.decided = outcome.failed = true;
            outcome.error = e;
            tg.cancel('race(): another contestant settled first');
            return;
          }
          if (!outcome.decided) {
            outcome.decided = true;
            outcome.value = result;
            tg.cancel('race(): another contestant settled first');
          }
        });
      }
    });
  } catch (e) {
    if (!(e instanceof ExceptionGroup)) throw e;
    const errors = outcome.failed ? [outcome.error, ...e.errors] : e.errors;
    throwCollected(errors, 'race(): several contestants failed');
  }
  if (outcome.failed) throw outcome.error;
  if (!outcome.decided) {
    throw new CancelledError('race(): every contestant was cancelled', { source: 'parent' });
  }
  return outcome.value as T;
}
