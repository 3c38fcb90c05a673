/**
 * The living tasks as an indented tree, like `pstree` (or Python 3.14's
 * `asyncio pstree`): each task's state, age, what it awaits and who holds that.
 * `dumpTaskTreeOn('SIGUSR2')` prints it when a live process gets the signal.
 *
 * @example
 * ```ts
 * import { Event, run, taskGroup } from 'corio';
 * import { waitAllTasksBlocked } from 'corio/testing';
 * import { formatTaskTree } from 'corio/trace';
 *
 * await run(async () => {
 *   const ready = new Event();
 *   await taskGroup(async (tg) => {
 *     tg.spawn(() => ready.wait(), { name: 'worker' });
 *     await waitAllTasksBlocked();
 *     console.log(formatTaskTree({ ages: false }));
 *     ready.set();
 *   });
 * });
 * // => main (running)
 * // => └─ worker (waiting) Event.wait
 * ```
 * @module
 */
import { currentLoop } from '../core/lowlevel.js';
import { EventLoop } from '../core/loop.js';
import { type TaskInfo, taskTree } from './introspect.js';
import {
  checkBoolean,
  checkChoice,
  checkInstance,
  checkOptions,
  optionNames,
} from '../_internal/validate.js';

export interface TreeOptions {
  /** The loop to show; default the current one. */
  readonly loop?: EventLoop;
  /** Show each task's age; default true (turn off for stable output in tests). */
  readonly ages?: boolean;
}

const TREE_OPTIONS = optionNames<TreeOptions>({ loop: true, ages: true });

// The signals Node can listen for (NodeJS.Signals), so a typo is not a listener
// for an event that never comes.
const SIGNALS = Object.keys({
  SIGABRT: true,
  SIGALRM: true,
  SIGBREAK: true,
  SIGBUS: true,
  SIGCHLD: true,
  SIGCONT: true,
  SIGFPE: true,
  SIGHUP: true,
  SIGILL: true,
  SIGINFO: true,
  SIGINT: true,
  SIGIO: true,
  SIGIOT: true,
  SIGKILL: true,
  SIGLOST: true,
  SIGPIPE: true,
  SIGPOLL: true,
  SIGPROF: true,
  SIGPWR: true,
  SIGQUIT: true,
  SIGSEGV: true,
  SIGSTKFLT: true,
  SIGSTOP: true,
  SIGSYS: true,
  SIGTERM: true,
  SIGTRAP: true,
  SIGTSTP: true,
  SIGTTIN: true,
  SIGTTOU: true,
  SIGUNUSED: true,
  SIGURG: true,
  SIGUSR1: true,
  SIGUSR2: true,
  SIGVTALRM: true,
  SIGWINCH: true,
  SIGXCPU: true,
  SIGXFSZ: true,
} satisfies Record<NodeJS.Signals, true>);

// formatTaskTree() and printTaskTree() take the same options; each names itself.
function checkTreeOptions(fn: string, options: TreeOptions | undefined): void {
  checkOptions(fn, 'options', options, TREE_OPTIONS);
  if (options?.loop !== undefined) {
    checkInstance(fn, 'options.loop', options.loop, EventLoop, 'an EventLoop');
  }
  checkBoolean(fn, 'options.ages', options?.ages);
}

/** The task tree as text, one task a line. */
export function formatTaskTree(options?: TreeOptions): string {
  checkTreeOptions('formatTaskTree()', options);
  const roots = taskTree(options?.loop);
  const ages = options?.ages !== false;
  const lines: string[] = [];
  const line = (t: TaskInfo, prefix: string, branch: string): void => {
    const waits = t.awaiting
      .map((w) =>
        w.heldBy.length > 0 ? `${w.description} (held by ${w.heldBy.join(', ')})` : w.description,
      )
      .join(', ');
    const age = ages ? `, ${(t.age / 1000).toFixed(1)} s` : '';
    lines.push(`${prefix}${branch}${t.name} (${t.state}${age})${waits === '' ? '' : ` ${waits}`}`);
    const childPrefix = prefix + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    t.children.forEach((c, i) => {
      line(c, childPrefix, i === t.children.length - 1 ? '└─ ' : '├─ ');
    });
  };
  for (const root of roots) line(root, '', '');
  return lines.join('\n');
}

/** Prints the task tree to stderr. */
export function printTaskTree(options?: TreeOptions): void {
  checkTreeOptions('printTaskTree()', options);
  console.error(formatTaskTree(options));
}

/**
 * Prints the tree of `loop` (default: the loop running where this is called,
 * so call it inside `run()`) to stderr whenever the process receives `signal`
 * (default `SIGUSR2`), as `kill -USR2 <pid>`. Returns a function that removes
 * the handler. Node only.
 *
 * @throws {RangeError} if `signal` is not a signal name Node knows.
 */
export function dumpTaskTreeOn(
  signal: NodeJS.Signals = 'SIGUSR2',
  loop: EventLoop = currentLoop(),
): () => void {
  checkChoice('dumpTaskTreeOn()', 'signal', signal, SIGNALS, 'a signal name such as "SIGUSR2"');
  checkInstance('dumpTaskTreeOn()', 'loop', loop, EventLoop, 'an EventLoop');
  // The loop is fixed now: Node may deliver the signal outside every task.
  const handler = (): void => {
    console.error(`corio task tree (${signal}, pid ${process.pid}):\n${formatTaskTree({ loop })}`);
  };
  process.on(signal, handler);
  return () => {
    process.off(signal, handler);
  };
}
