/**
 * The ambient context: the one `AsyncLocalStorage` of corio, and the only import
 * of `node:async_hooks`. Its store is the innermost cancel node the code runs in:
 * a task, a cancel scope or task group inside it, or a loop's own root node for
 * callbacks the loop runs. `currentTask()`, the current scope and its deadline
 * all follow from it, across every `await`.
 *
 * It is entered once per task and once per cancel scope, never per step: on
 * Node 24 `als.run` costs ~0.26 µs, so a per-step entry would dominate.
 *
 * @example
 * ```ts
 * import { currentTask, run, sleep } from 'corio';
 *
 * await run(async () => {
 *   await sleep(1);
 *   console.log(currentTask()?.name);
 * });
 * // => main
 * ```
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CancelNode } from './cancel-node.js';

/** @internal */
export const context: AsyncLocalStorage<CancelNode> = new AsyncLocalStorage<CancelNode>();

/**
 * The live node the calling code runs in, or `null` outside every loop (or in a
 * stray callback of a task or scope that has already ended).
 * @internal
 */
export function currentNode(): CancelNode | null {
  const node = context.getStore();
  return node !== undefined && node.live ? node : null;
}
