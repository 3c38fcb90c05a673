import { CancelledError, InvalidStateError, createTask, run, sleep, taskGroup } from 'corio';
import { ParkingLot, throwIfCancelled } from 'corio/lowlevel';

/** A one-shot result, set once and awaited by any number of tasks (asyncio's Future). */
class Future<T> {
  #state: 'pending' | 'value' | 'error' = 'pending';
  #value: T | undefined;
  #error: unknown;
  // The waiting tasks. A waiter cancelled while it waits is unlinked at once;
  // one woken as the result is set still sees it (wakeAll has nothing to hand on).
  readonly #waiters = new ParkingLot();

  done(): boolean {
    return this.#state !== 'pending';
  }

  setResult(value: T): void {
    this.#settle('value', value, undefined);
  }

  setException(error: unknown): void {
    this.#settle('error', undefined, error);
  }

  #settle(state: 'value' | 'error', value: T | undefined, error: unknown): void {
    if (this.#state !== 'pending') throw new InvalidStateError('Future: already done');
    this.#state = state;
    this.#value = value;
    this.#error = error;
    this.#waiters.wakeAll(undefined);
  }

  /**
   * Waits for the result.
   *
   * **Cancellation:** always a cancellation point, even when the future is done.
   * A cancelled waiter leaves nothing behind, and calling again loses nothing: the
   * result stays until it is read.
   */
  async result(): Promise<T> {
    throwIfCancelled();
    if (this.#state === 'pending') await this.#waiters.park('Future.result');
    if (this.#state === 'error') throw this.#error;
    return this.#value as T;
  }

  /** How many tasks wait: 0 again after every cancellation. */
  get waiting(): number {
    return this.#waiters.size;
  }
}

await run(async () => {
  const answer = new Future<number>();
  // A waiter that gives up: cancelled while parked, it is unlinked at once.
  const impatient = createTask(() => answer.result(), { name: 'impatient' });
  await sleep(5);
  console.log('waiting:', answer.waiting);
  impatient.cancel();
  await Promise.resolve(impatient).catch((err: unknown) => {
    console.log('impatient:', err instanceof CancelledError ? 'cancelled' : err);
  });
  console.log('waiting after the cancel:', answer.waiting);

  await taskGroup((tg) => {
    for (const name of ['a', 'b']) {
      tg.spawn(async () => {
        console.log(name, 'got', await answer.result());
      });
    }
    tg.spawn(async () => {
      await sleep(10);
      answer.setResult(42);
    });
  });
  console.log('done:', answer.done(), 'waiting:', answer.waiting);
});
// => waiting: 1
// => impatient: cancelled
// => waiting after the cancel: 0
// => a got 42
// => b got 42
// => done: true waiting: 0
