/**
 * Introspection of a running loop: the tree of living tasks with what each
 * awaits and who can end that wait, and the wait-for graph behind debug mode's
 * deadlock report. Pure reads of the kernel's structures; it changes nothing.
 *
 * @example
 * ```ts
 * import { Lock, run, sleep, taskGroup } from 'corio';
 * import { waitAllTasksBlocked } from 'corio/testing';
 * import { taskTree } from 'corio/trace';
 *
 * await run(async () => {
 *   const lock = new Lock();
 *   await taskGroup(async (tg) => {
 *     tg.spawn(() => lock.run(() => sleep(10)), { name: 'holder' });
 *     tg.spawn(() => lock.run(() => {}), { name: 'waiter' });
 *     await waitAllTasksBlocked();
 *     for (const t of taskTree()[0]?.children ?? []) {
 *       const [wait] = t.awaiting;
 *       console.log(t.name, t.state, wait?.description, wait?.heldBy);
 *     }
 *   });
 * });
 * // => holder waiting sleep(10) []
 * // => waiter waiting Lock.acquire [ 'holder' ]
 * ```
 * @module
 */
import { checkInstance } from '../_internal/validate.js';
import {
  type Suspension,
  currentLoop,
  parentTaskOf,
  taskStartTime,
  tasksOf,
  waitsOf,
} from '../core/lowlevel.js';
import { EventLoop } from '../core/loop.js';
import type { Task } from '../core/task.js';

/** One parked wait of a task. */
export interface WaitInfo {
  /** What is awaited: `sleep(500)`, `Lock.acquire`, `await worker`. */
  readonly description: string;
  /** Names of the tasks that can end the wait (a lock's holder, awaited tasks). */
  readonly heldBy: readonly string[];
  /** True when only something outside the loop's tasks can end it (a timer, I/O). */
  readonly external: boolean;
}

/** One living task, as `taskTree()` reports it. */
export interface TaskInfo {
  readonly name: string;
  /** `pending`: not started; `running`: runnable; `waiting`: parked in a corio wait. */
  readonly state: 'pending' | 'running' | 'waiting';
  /** The task whose group (or scope) it runs in; null for a top-level task. */
  readonly parent: string | null;
  /** Loop ms since the task started (0 when pending). */
  readonly age: number;
  readonly awaiting: readonly WaitInfo[];
  readonly children: readonly TaskInfo[];
  /** Where it was created: set in debug mode (`run(main, { debug: true })`). */
  readonly createdAt?: string;
  /** The task itself, for callers that want more (`cancel()`, `statistics`). */
  readonly task: Task;
}

/** @internal Creation stacks, kept by debug mode. */
export const creationStacks = new WeakMap<Task, string>();

/** @internal The tasks that can end `s`, or null when only the outside world can. */
export function blockers(s: Suspension): readonly Task[] | null {
  if (s.signal !== null) return null;
  return s.kind.waitingOn === undefined ? [] : s.kind.waitingOn(s);
}

function describeWait(s: Suspension): WaitInfo {
  const by = blockers(s);
  return Object.freeze({
    description: s.description,
    heldBy: Object.freeze((by ?? []).map((t) => t.name)),
    external: by === null,
  });
}

function info(
  task: Task,
  loop: EventLoop,
  parent: string | null,
  kids: Map<Task, Task[]>,
): TaskInfo {
  const waits = waitsOf(task);
  const startedAt = taskStartTime(task);
  const stack = creationStacks.get(task);
  return Object.freeze({
    name: task.name,
    state: startedAt < 0 ? 'pending' : waits.length > 0 ? 'waiting' : 'running',
    parent,
    age: startedAt < 0 ? 0 : loop.time() - startedAt,
    awaiting: Object.freeze(waits.map(describeWait)),
    children: Object.freeze(
      (kids.get(task) ?? []).map((child) => info(child, loop, task.name, kids)),
    ),
    ...(stack === undefined ? {} : { createdAt: stack }),
    task,
  });
}

/**
 * The living tasks of the current loop (or `loop`) as a forest: each task with
 * its state, age, what it awaits and who can end that wait, and its children.
 * Top-level tasks (the main task, unstructured `createTask` tasks) are the roots,
 * in creation order.
 */
export function taskTree(loop: EventLoop = currentLoop()): TaskInfo[] {
  checkInstance('taskTree()', 'loop', loop, EventLoop, 'an EventLoop');
  const living = tasksOf(loop);
  const kids = new Map<Task, Task[]>();
  const roots: Task[] = [];
  for (const task of living) {
    const parent = parentTaskOf(task);
    if (parent === null || !parent.live) roots.push(task);
    else {
      const list = kids.get(parent);
      if (list === undefined) kids.set(parent, [task]);
      else list.push(task);
    }
  }
  return roots.map((task) => info(task, loop, null, kids));
}

/** A deadlock: every task parked, and nothing outside them can wake one. */
export interface Deadlock {
  /** A wait-for cycle, as task names (the first repeated at the end), if there is one. */
  readonly cycle: readonly string[] | null;
  /** The report, as debug mode prints it. */
  readonly report: string;
}

/**
 * @internal Whether the loop's living tasks are deadlocked: all parked (the
 * caller checked no task is runnable and no timer is set), none in a wait that a
 * timer, a host promise or a signal could end. Null when they are not.
 */
export function findDeadlock(loop: EventLoop): Deadlock | null {
  const living = tasksOf(loop);
  if (living.length === 0) return null;
  const edges = new Map<Task, { s: Suspension; by: readonly Task[] }[]>();
  for (const task of living) {
    const waits = waitsOf(task);
    if (waits.length === 0) return null;
    const out: { s: Suspension; by: readonly Task[] }[] = [];
    for (const s of waits) {
      const by = blockers(s);
      if (by === null) return null;
      out.push({ s, by });
    }
    edges.set(task, out);
  }
  const cycle = findCycle(living, edges);
  const lines = ['deadlock: every task is blocked and nothing outside them can wake one'];
  for (const [task, waits] of edges) {
    for (const { s, by } of waits) {
      const held = by.length > 0 ? `, held by ${by.map((t) => t.name).join(', ')}` : '';
      lines.push(`  ${task.name} waits on ${s.description}${held}`);
    }
    const stack = creationStacks.get(task);
    if (stack !== undefined) lines.push(indent(stack, '      '));
  }
  if (cycle !== null) lines.push(`  cycle: ${cycle.join(' -> ')}`);
  else lines.push('  no cycle: the tasks wait on things only another blocked task could signal');
  return Object.freeze({
    cycle: cycle === null ? null : Object.freeze(cycle),
    report: lines.join('\n'),
  });
}

const indent = (text: string, pad: string): string =>
  text
    .split('\n')
    .map((line) => pad + line.trim())
    .join('\n');

// A cycle in the wait-for graph, by depth-first search from each task in order:
// task names alternating with what each waits on, the first task again at the end.
function findCycle(
  tasks: readonly Task[],
  edges: Map<Task, { s: Suspension; by: readonly Task[] }[]>,
): string[] | null {
  const done = new Set<Task>();
  // The tasks on the current search path, each with the wait that led onwards.
  const path: Task[] = [];
  const via: string[] = [];
  const visit = (task: Task): string[] | null => {
    path.push(task);
    for (const { s, by } of edges.get(task) ?? []) {
      via.push(s.description);
      for (const next of by) {
        const at = path.indexOf(next);
        if (at >= 0) {
          const cycle: string[] = [];
          for (let i = at; i < path.length; i++) {
            cycle.push((path[i] as Task).name, via[i] as string);
          }
          cycle.push(next.name);
          return cycle;
        }
        if (!done.has(next)) {
          const found = visit(next);
          if (found !== null) return found;
        }
      }
      via.pop();
    }
    path.length -= 1; // pop() would hand back a Task, a thenable nobody awaits
    done.add(task);
    return null;
  };
  for (const task of tasks) {
    if (done.has(task)) continue;
    const found = visit(task);
    if (found !== null) return found;
  }
  return null;
}
