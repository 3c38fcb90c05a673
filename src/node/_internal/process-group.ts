/**
 * Signals to a child's process group, and the last resort when the parent
 * exits. On POSIX a corio child leads a process group of its own (Node's
 * `detached: true` makes it a session leader), so `process.kill(-pid, sig)`
 * reaches everything it started, grandchildren included: `child.kill()` alone
 * leaves them running (a `sh -c 'sleep 301 & sleep 302; wait'` keeps both
 * sleeps). Windows has no process groups: there the child alone is signalled
 * (a tree kill would be `taskkill /T /F /PID`).
 *
 * The groups of the children still running are remembered, and a
 * `process.on('exit')` hook, added with the first, sends each of them SIGKILL
 * synchronously: a parent that calls `process.exit()` (or dies of an uncaught
 * error) leaves no child behind. Nothing can be done for a parent killed by
 * SIGKILL: Node has no `PR_SET_PDEATHSIG`.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

export const POSIX = process.platform !== 'win32';

/** The signal's number (`SIGTERM` → 15), for asyncio's negative `returncode`. */
export function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal];
}

/** Every signal name the platform knows ('SIGTERM', 'SIGKILL', …). */
export const SIGNALS: readonly string[] = Object.keys(constants.signals);

/**
 * Sends `signal` to the child's group (or to the child alone). Returns false
 * when there was nobody left to signal.
 */
export function signalGroup(
  child: ChildProcess,
  group: boolean,
  signal: NodeJS.Signals | number,
): boolean {
  const pid = child.pid;
  if (pid === undefined) return false;
  if (!group) return child.kill(signal);
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    // ESRCH: the group is empty. EPERM: a member changed its uid (setuid); the
    // leader itself may still be ours to signal.
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return child.kill(signal);
    return false;
  }
}

// Children whose groups the exit hook kills: added at spawn, removed at exit.
const living = new Map<ChildProcess, boolean>();
let hooked = false;

function killAllOnExit(): void {
  for (const [child, group] of living) signalGroup(child, group, 'SIGKILL');
  living.clear();
}

/** Remembers a running child until its exit, for the parent's exit hook. */
export function track(child: ChildProcess, group: boolean): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', killAllOnExit);
  }
  living.set(child, group);
}

export function untrack(child: ChildProcess): void {
  living.delete(child);
}
