/**
 * The private nursery of an operator that runs tasks of its own (`map` with
 * concurrency, `merge`, `buffer`, `flatMap`): its tasks live under a cancel node
 * of their own below the consumer's, so a cancellation of the consumer reaches
 * them, and closing the operator cancels exactly them.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { map, pipe, toArray } from 'corio/iter';
 *
 * await run(async () => {
 *   // map's calls run as tasks of such a nursery, under the consuming task.
 *   console.log(await toArray(pipe([3, 1, 2], map((n) => sleep(n, n), { concurrency: 3 }))));
 * });
 * // => [ 3, 1, 2 ]
 * ```
 * @module
 */
import { CancelNode, attach, cancelNode, detach } from '../core/cancel-node.js';
import { currentNode } from '../core/context.js';
import { currentLoop } from '../core/loop.js';
import { type Suspension, UNABORTABLE, suspend, wake } from '../core/suspend.js';
import { type Task, startTask } from '../core/task.js';
import { CancelledError } from '../errors.js';

export class Workers {
  #node: CancelNode | null = null;
  readonly #tasks = new Set<Task>();
  #joiner: Suspension | null = null;

  /** `true` once `start()` was called. */
  get started(): boolean {
    return this.#node !== null;
  }

  /** Creates the nursery's node under the calling code's. */
  start(): void {
    const parent = currentNode();
    const loop = parent === null ? currentLoop() : parent.loop;
    const node = new CancelNode(loop, parent === null ? null : parent.task, false);
    attach(node, parent);
    this.#node = node;
  }

  /** Starts `body` as a task of the nursery; `onEnd` runs when it has ended. */
  spawn(body: () => Promise<void>, onEnd?: () => void): void {
    const node = this.#node as CancelNode;
    const task = startTask(node.loop, body, undefined, node);
    this.#tasks.add(task);
    task._onDone(() => {
      this.#tasks.delete(task);
      onEnd?.();
      if (this.#tasks.size === 0 && this.#joiner !== null) wake(this.#joiner, undefined);
    });
  }

  /** Cancels every task of the nursery. */
  cancel(message: string): void {
    if (this.#node !== null)
      cancelNode(this.#node, new CancelledError(message, { source: 'parent' }));
  }

  /**
   * Waits until every task has ended, then removes the node. Not a cancellation
   * point: a cancelled consumer still waits for its workers.
   */
  async join(description: string): Promise<void> {
    if (this.#tasks.size > 0) {
      const s = suspend<undefined>(description, this, UNABORTABLE);
      this.#joiner = s;
      await s.promise;
    }
    if (this.#node !== null) detach(this.#node);
  }
}
