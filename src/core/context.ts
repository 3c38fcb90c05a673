/**
 * The ambient context: the one `AsyncLocalStorage` of corio, and the only import
 * of `node:async_hooks`. Its store is the innermost cancel node the code runs in:
 * a task, a cancel scope or task group inside it, or a loop's own root node for
 * callbacks the loop runs. `currentTask()`, the current scope and its deadline
 * all follow from it, across every `await`.
 *
 * It is entered once per task and once per cancel scope, never per step, and
 * through `runIn()`, not `als.run`: see there (#16). A task, and a callback the
 * loop runs for the user, starts in the context of the code that made it (see
 * `Origin`), so the user's own AsyncLocalStorage values reach it.
 *
 * @example
 * ```ts
 * import { AsyncLocalStorage } from 'node:async_hooks';
 * import { currentTask, run, sleep, taskGroup } from 'corio';
 *
 * const requestId = new AsyncLocalStorage<string>();
 * await run(async () => {
 *   await sleep(1);
 *   console.log(currentTask()?.name);
 *   await taskGroup((tg) => {
 *     for (const id of ['r1', 'r2']) {
 *       // Spawned in one tick, started in one batch: each sees its own request.
 *       requestId.run(id, () => {
 *         tg.spawn(async () => {
 *           await sleep(id === 'r1' ? 20 : 10);
 *           console.log(currentTask()?.name, 'handles', requestId.getStore());
 *         }, { name: `handler-${id}` });
 *       });
 *     }
 *   });
 * });
 * // => main
 * // => handler-r2 handles r2
 * // => handler-r1 handles r1
 * ```
 * @module
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { CancelNode } from './cancel-node.js';

/** @internal */
export const context: AsyncLocalStorage<CancelNode> = new AsyncLocalStorage<CancelNode>();

// Whether contexts live in copied frames (Node's AsyncContextFrame: the default
// from Node 24, behind a flag on 22), told apart from the async_hooks model of
// Node 20 by behaviour: in a frame, a store entered inside runInAsyncScope()
// ends with it; in the async_hooks model it sticks to the resource.
function framesAreCopied(): boolean {
  const probe = new AsyncLocalStorage<number>();
  try {
    const resource = new AsyncResource('corio.probe');
    resource.runInAsyncScope(() => {
      probe.enterWith(1);
    });
    return resource.runInAsyncScope(() => probe.getStore()) === undefined;
  } catch {
    return false;
  } finally {
    probe.disable();
  }
}

function enterAndCall<A, B, R>(node: CancelNode, fn: (a: A, b: B) => R, a: A, b: B): R {
  context.enterWith(node);
  return fn(a, b);
}

function runAndCall<A, B, R>(node: CancelNode, fn: (a: A, b: B) => R, a: A, b: B): R {
  return context.run(node, fn, a, b);
}

const copied = framesAreCopied();
const enter = copied ? enterAndCall : runAndCall;

/**
 * The context of the code that made a task (or scheduled a callback), captured
 * then to start the task in later (asyncio's `create_task` copies the caller's
 * context the same way). A task starts in a batch of the loop's, and without it
 * would start in the context of whoever queued that batch: a request's task
 * could see another request's AsyncLocalStorage values.
 * @internal
 */
export type Origin = AsyncResource;

/** A callback and the context it is to run in (a loop callback, a done callback). @internal */
export interface InContext<F> {
  readonly callback: F;
  readonly origin: Origin;
}

/** Captures the calling code's context, for `startIn()`. @internal */
export function captureOrigin(): Origin {
  return new AsyncResource('corio.context');
}

/**
 * Calls `fn(a, b)` in the context `origin` captured, with `node` as the current
 * node, and gives the caller back its own context. @internal
 */
export function startIn<A, B, R>(
  origin: Origin,
  node: CancelNode,
  fn: (a: A, b: B) => R,
  a: A,
  b: B,
): R {
  return origin.runInAsyncScope(enter<A, B, R>, null, node, fn, a, b);
}

/**
 * Calls `fn(a, b)` with `node` as the current node, and returns what it returns.
 *
 * In a frame `als.run(store, fn)` copies the frame twice, once to enter and once
 * to restore the prior store (0.23 µs on Node 24 and 26), and the copy it
 * restores keeps whatever other stores the callee entered. An `AsyncResource`
 * holds the caller's frame itself and puts it back exactly, without a copy, so
 * entering costs one copy and the resource: 0.14 µs, per task and per cancel
 * scope (bench W1, W8). In the async_hooks model of Node 20, `als.run` is the
 * cheap way (10 ns).
 * @internal
 */
export const runIn: <A, B, R>(node: CancelNode, fn: (a: A, b: B) => R, a: A, b: B) => R = copied
  ? (node, fn, a, b) => startIn(captureOrigin(), node, fn, a, b)
  : runAndCall;

/**
 * The live node the calling code runs in, or `null` outside every loop (or in a
 * stray callback of a task or scope that has already ended).
 * @internal
 */
export function currentNode(): CancelNode | null {
  const node = context.getStore();
  return node !== undefined && node.live ? node : null;
}
