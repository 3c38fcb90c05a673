import { getRunningLoop, run, type TaskFunction } from 'corio';
import { VirtualClock } from 'corio/testing';

/** Runs `main` in virtual time: sleeps cost nothing and event order is deterministic. */
export function vrun<T>(main: TaskFunction<T>): Promise<T> {
  return run(main, { clock: new VirtualClock({ autojump: true }) });
}

/** An event log stamped with loop time, asserted whole at the end of a test. */
export class Trace {
  readonly lines: string[] = [];
  log(event: string): void {
    this.lines.push(`${getRunningLoop().time()} ${event}`);
  }
}

/** The name of what a promise rejected with, or 'resolved'. */
export async function outcome(promise: PromiseLike<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof Error ? error.name : typeof error;
  }
}

export { sourceFiles } from '../scripts/examples.js';
