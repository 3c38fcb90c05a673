/**
 * Delivering a cancellation through the tree: `cancelNode` marks a node
 * cancelled and aborts, synchronously, every parked wait in the subtree it
 * reaches (stopping at shields and at nodes already cancelled); `reparent` moves
 * a node and delivers what it now inherits. The one module that knows both the
 * tree (`cancel-node.ts`) and the waits (`suspend.ts`), so neither imports the
 * other's values.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from 'corio';
 *
 * await run(async () => {
 *   const task = createTask(() => sleep(1000));
 *   await sleep(1);
 *   task.cancel(); // cancelNode: the parked sleep is aborted before cancel() returns
 *   console.log(String(task));
 *   await Promise.resolve(task).catch(() => {});
 *   console.log(String(task));
 * });
 * // => Task<Task-1 pending>
 * // => Task<Task-1 cancelled>
 * ```
 * @module
 */
import { CancelledError } from '../errors.js';
import { type CancelNode, attach, detach, effectiveCancel, recount } from './cancel-node.js';
import { type Suspension, abortSuspension } from './suspend.js';
import type { Task } from './task.js';

/** Moves a live node under another parent, delivering a cancellation it now inherits. */
export function reparent(node: CancelNode, parent: CancelNode): void {
  detach(node);
  attach(node, parent);
  const reason = effectiveCancel(node);
  if (reason !== null) deliver(node, reason);
}

/**
 * Cancels `node` with `reason`. Returns false if it was already cancelled (the
 * first reason stays). Every wait in the subtree that the cancellation reaches is
 * aborted synchronously, before this returns.
 */
export function cancelNode(node: CancelNode, reason: CancelledError): boolean {
  if (node.cancelReason !== null) return false;
  node.cancelReason = reason;
  recount(node);
  // An ancestor's cancellation already reached the subtree (unless we are shielded).
  if (!node.shielded && node.parent !== null && effectiveCancel(node.parent) !== null) return true;
  deliver(node, reason);
  return true;
}

/**
 * Aborts the waits of `root`'s subtree, skipping shielded subtrees (not reached) and
 * already cancelled ones (reached when they were cancelled). Controllers are aborted
 * after the walk: their 'abort' listeners are user code and may change the tree.
 */
export function deliver(root: CancelNode, reason: CancelledError): void {
  let controllers: AbortController[] | null = null;
  let node: CancelNode | null = root;
  while (node !== null) {
    for (let s = node.firstWait; s !== null; ) {
      const next: Suspension | null = s.nextWait;
      abortSuspension(s, reason);
      s = next;
    }
    if (node.controller !== null && !node.controller.signal.aborted) {
      (controllers ??= []).push(node.controller);
    }
    node = nextInWalk(root, node);
  }
  if (controllers !== null) for (const c of controllers) c.abort(reason);
}

const reached = (n: CancelNode): boolean => !n.shielded && n.cancelReason === null;

// Depth-first successor of `node` within `root`'s subtree, among reached nodes.
function nextInWalk(root: CancelNode, node: CancelNode): CancelNode | null {
  for (let c = node.firstChild; c !== null; c = c.nextSibling) if (reached(c)) return c;
  for (let n: CancelNode = node; n !== root; ) {
    for (let s = n.nextSibling; s !== null; s = s.nextSibling) if (reached(s)) return s;
    if (n.parent === null) return null;
    n = n.parent;
  }
  return null;
}

const ignore = (): void => {};

// The function ended while work it started inside it was still waiting (a
// corio call it did not await, the loser of a Promise.race of corio waits).
// That work must not outlive the task: it is cancelled. A wait's own promise
// may have nobody to receive the CancelledError, so it is marked handled and
// the leftover is reported once instead (#11: it was an unhandled rejection
// that ended the process).
export function reapOrphans(task: Task): void {
  const reason = new CancelledError(`${task.name} ended while work it started was still waiting`, {
    source: 'parent',
  });
  for (let c = task.firstChild; c !== null; ) {
    const next = c.nextSibling;
    cancelNode(c, reason);
    c = next;
  }
  if (task.firstWait === null) return;
  const left: string[] = [];
  for (let s: Suspension | null = task.firstWait; s !== null; ) {
    const next: Suspension | null = s.nextWait;
    s.promise.then(undefined, ignore);
    const where = task.loop._instrument?.callSiteOf?.(s);
    left.push(where === undefined ? s.description : `${s.description}, called at\n${where}`);
    abortSuspension(s, reason);
    s = next;
  }
  task.loop.callExceptionHandler({
    message:
      `Task ${task.name} ended while corio waits it started were still pending; they were cancelled: ${left.join('; ')}. ` +
      'Await every corio call, or run it as a task (createTask, tg.spawn); instead of a Promise.race of corio waits, use race() or moveOnAfter()' +
      (task.loop._instrument?.callSiteOf === undefined
        ? '. run(main, { debug: true }) shows where each wait was made'
        : ''),
    task,
  });
}
