/**
 * The cancellation tree (Trio's `CancelStatus` tree). Every task, cancel scope and
 * task group is a node; a node's children are the scopes entered inside it and
 * the tasks spawned into it. Cancelling a node reaches its whole subtree at once,
 * children of its groups included, and stops at shielded nodes.
 *
 * Invariants:
 * - A node is cancelled "effectively" iff it or an ancestor reached without
 *   crossing a shield has `cancelReason` set. Nothing caches this: it is walked
 *   up on demand (trees are shallow), so moving a shield or a node is O(1).
 * - A wait (Suspension) is linked into the node it started in iff it is PARKED.
 *   So a cancellation reaches exactly the waits it must abort, and none of them
 *   twice after they end.
 * - `cancelReason`, once set, never changes: cancellation is level-triggered and
 *   sticky, and the same `CancelledError` is thrown at every checkpoint inside.
 * - A node has a parent only while it is live: `attach` and `detach` are the
 *   only writers of `parent` and `live` (a loop's root, never cancelled, is
 *   made live by the loop), and `cancelNode` the only writer of
 *   `cancelReason`; each recounts (below). The fast paths rest on this.
 * - A cancelled node is *in force* while it is live or has children, and
 *   `cancelsInForce()` counts those nodes in the process. A live node cancelled
 *   effectively has a cancelled node on its way up, and every node on that way
 *   above it has a live child, so it is in force: when the count is 0, no live
 *   node is cancelled, and a checkpoint need not look up where it runs (an
 *   AsyncLocalStorage read, a third of a queue's put and get, bench W3, #16).
 *
 * @example
 * ```ts
 * import { cancelScope, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   await cancelScope(async (scope) => {
 *     await taskGroup((tg) => {
 *       tg.spawn(async () => {
 *         try { await sleep(1000); } finally { console.log('child reached:', scope.signal.aborted); }
 *       });
 *       tg.spawn(async () => { await sleep(10); scope.cancel(); });
 *     });
 *   });
 * }, { clock: new VirtualClock() });
 * // => child reached: true
 * ```
 * @module
 */
import type { CancelledError } from '../errors.js';
import type { EventLoop } from './loop.js';
import type { Suspension } from './suspend.js';
import type { Task } from './task.js';

/**
 * The state every task and cancel scope shares: its place in the cancellation tree
 * and its lazily created `signal`.
 */
// Task declares these fields itself, in this order, rather than extending the
// class (task.ts says why), and this constructor does not run for a task: a
// field added here is added there too (the test "a task is a CancelNode"
// compares their names and order, not their initial values), and what the
// constructor does, Task's does too.
export class CancelNode {
  /** @internal */ parent: CancelNode | null = null;
  /** @internal */ firstChild: CancelNode | null = null;
  /** @internal */ lastChild: CancelNode | null = null;
  /** @internal */ prevSibling: CancelNode | null = null;
  /** @internal */ nextSibling: CancelNode | null = null;
  /** @internal */ firstWait: Suspension | null = null;
  /** @internal */ lastWait: Suspension | null = null;
  /** @internal Set iff cancel was called on this node itself; never changes after. */
  cancelReason: CancelledError | null = null;
  /** @internal */ shielded: boolean;
  /** @internal Created only when `signal` is read (docs/design.md, principle "Fast"). */
  controller: AbortController | null = null;
  /** @internal Linked into the tree: entered and not yet exited. */
  live = false;
  /** @internal */ loop: EventLoop;
  /** @internal The task this node runs in: itself for a task; null for a loop's root. */
  task: Task | null;
  /** @internal Its entry while counted in `cancelsInForce()` (see the invariants). */
  inForce: { counted: boolean } | null = null;

  /** @internal A node of its own (a nursery's, a loop's root). */
  static _new(loop: EventLoop, task: Task | null, shielded: boolean): CancelNode {
    return new CancelNode(loop, task, shielded);
  }

  // Protected: a node is a task, a scope, a group or a nursery, made by them.
  protected constructor(loop: EventLoop, task: Task | null, shielded: boolean) {
    this.loop = loop;
    this.task = task;
    this.shielded = shielded;
  }

  /**
   * An `AbortSignal` that aborts, with the `CancelledError` as its `reason`, as soon
   * as this task or scope is cancelled: pass it to `fetch` and any Node API that
   * takes a signal. Created on first read.
   */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      const reason = effectiveCancel(this);
      if (reason !== null) this.controller.abort(reason);
    }
    return this.controller.signal;
  }
}

/** The CancelledError in force at `node`, or null when it is not cancelled. */
export function effectiveCancel(node: CancelNode): CancelledError | null {
  // A live node is cancelled only while some node is in force (the invariants
  // above): then no walk up the tree, for a task's start, a wait's resumption
  // or an await. A node that has ended is walked.
  if (node.live && nodesInForce === 0) return null;
  for (let n: CancelNode | null = node; n !== null; n = n.parent) {
    if (n.cancelReason !== null) return n.cancelReason;
    if (n.shielded) return null;
  }
  return null;
}

// Cancelled nodes in force, in every loop of the process (see the invariants).
let nodesInForce = 0;

/**
 * How many cancelled nodes are in force in the process: 0 means no live node is
 * cancelled, so no code running in a task or scope is.
 */
export function cancelsInForce(): number {
  return nodesInForce;
}

// A counted node that becomes garbage still counted (a Nursery never exited, a
// map() iterator dropped without return()) stops counting when it is collected:
// no code can run in it then, and no live node lies below it (a live child
// keeps its parent reachable). Without this, one such node would turn the fast
// path off for good, in every loop of the process.
interface Counted {
  counted: boolean;
}
const collected = new FinalizationRegistry<Counted>((entry) => {
  if (entry.counted) nodesInForce--;
});

/** Recounts `node` after it was cancelled, or its liveness or children changed. */
export function recount(node: CancelNode): void {
  const now = node.cancelReason !== null && (node.live || node.firstChild !== null);
  const entry = node.inForce;
  if (now === (entry !== null)) return;
  if (now) {
    const fresh: Counted = { counted: true };
    node.inForce = fresh;
    collected.register(node, fresh, fresh);
    nodesInForce++;
  } else {
    (entry as Counted).counted = false;
    collected.unregister(entry as Counted);
    node.inForce = null;
    nodesInForce--;
  }
}

/** Links `node` as the last child of `parent` (or as a root) and marks it live. */
export function attach(node: CancelNode, parent: CancelNode | null): void {
  node.parent = parent;
  node.live = true;
  if (node.cancelReason !== null) recount(node);
  if (parent === null) return;
  node.prevSibling = parent.lastChild;
  node.nextSibling = null;
  if (parent.lastChild === null) parent.firstChild = node;
  else parent.lastChild.nextSibling = node;
  parent.lastChild = node;
  if (parent.cancelReason !== null) recount(parent);
}

export function detach(node: CancelNode): void {
  node.live = false;
  if (node.cancelReason !== null) recount(node);
  const parent = node.parent;
  if (parent === null) return;
  if (node.prevSibling === null) parent.firstChild = node.nextSibling;
  else node.prevSibling.nextSibling = node.nextSibling;
  if (node.nextSibling === null) parent.lastChild = node.prevSibling;
  else node.nextSibling.prevSibling = node.prevSibling;
  node.prevSibling = null;
  node.nextSibling = null;
  node.parent = null;
  if (parent.cancelReason !== null) recount(parent);
}

/** A task's own node is the task itself; a scope's or group's node is not. */
export const isTaskNode = (node: CancelNode): node is Task => (node.task as CancelNode) === node;

/**
 * Walks `node`'s subtree without entering tasks below it: `onNode` sees `node`
 * and every scope or group node on the way, `onTask` each task met (a group's
 * children, a task's own children).
 */
export function walkOwn(
  node: CancelNode,
  onNode: ((n: CancelNode) => void) | null,
  onTask: ((t: Task) => void) | null,
): void {
  onNode?.(node);
  for (let c = node.firstChild; c !== null; c = c.nextSibling) {
    if (isTaskNode(c)) onTask?.(c);
    else walkOwn(c, onNode, onTask);
  }
}

/** The tasks directly under `node` (see walkOwn). */
export function childTasks(node: CancelNode): Task[] {
  const tasks: Task[] = [];
  walkOwn(node, null, (t) => tasks.push(t));
  return tasks;
}
