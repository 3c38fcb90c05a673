/**
 * `assertCheckpoints()` (Trio's `assert_checkpoints`): proves that an operation is
 * a cancellation point even on its fast path. It runs `operation` inside a cancel
 * scope that is already cancelled and checks that it throws `CancelledError`
 * before doing anything.
 *
 * @example
 * ```ts
 * import { Event, run } from 'corio';
 * import { VirtualClock, assertCheckpoints } from 'corio/testing';
 *
 * await run(async () => {
 *   const event = new Event();
 *   event.set();
 *   await assertCheckpoints(() => event.wait());
 *   console.log('Event.wait() is a checkpoint even when set');
 * }, { clock: new VirtualClock() });
 * // => Event.wait() is a checkpoint even when set
 * ```
 * @module
 */
import { checkFunction } from '../_internal/validate.js';
import { CancelScope } from '../core/cancel-scope.js';
import { CancelledError } from '../errors.js';

/**
 * Runs `operation` in a cancelled scope and throws an `Error` unless it rejects
 * with `CancelledError`.
 *
 * **Cancellation:** runs `operation` in a scope of its own, already cancelled;
 * a cancellation of the caller is not caught and propagates.
 */
export async function assertCheckpoints(operation: () => PromiseLike<unknown>): Promise<void> {
  checkFunction('assertCheckpoints()', 'operation', operation);
  const scope = new CancelScope();
  scope.cancel('assertCheckpoints()');
  let outcome = 'returned';
  await scope.run(async () => {
    try {
      await operation();
    } catch (error) {
      outcome = error instanceof CancelledError ? 'cancelled' : `threw ${String(error)}`;
    }
  });
  if (outcome !== 'cancelled') {
    throw new Error(
      `assertCheckpoints(): the operation ${outcome} in a cancelled scope; it is not a cancellation point`,
    );
  }
}
