/**
 * What `explore()` throws: `ScheduleFailure` when a schedule makes the test
 * fail, with the test's own error as `cause`, the seed, a replay token, the
 * whole schedule, the steps where it left corio's default order (shrunk to the
 * fewest that still fail), and a Mermaid sequence diagram of the failing run;
 * `NondeterminismError` when the same schedule ran differently twice, so that a
 * failure could not be replayed (something besides corio decides the order).
 *
 * @example
 * ```ts
 * import { Lock, taskGroup } from 'corio';
 * import { explore, ScheduleFailure } from 'corio/testing';
 *
 * try {
 *   await explore(async () => {
 *     let balance = 100;
 *     const lock = new Lock();
 *     await taskGroup((tg) => {
 *       for (let i = 0; i < 2; i++) {
 *         tg.spawn(async () => {
 *           const seen = balance; // read outside the lock: check-then-act
 *           await lock.run(() => { balance = seen - 30; });
 *         });
 *       }
 *     });
 *     if (balance !== 40) throw new Error(`balance ${balance}`);
 *   }, { seed: 3 });
 * } catch (error) {
 *   if (error instanceof ScheduleFailure) {
 *     console.log(error.kind, (error.cause as Error).message);
 *     console.log(error.toMermaid().startsWith('sequenceDiagram'));
 *   }
 * }
 * // => error balance 70
 * // => true
 * ```
 * @module
 */
import { checkMadeBy } from '../_internal/validate.js';
import type { FailureKind, ScheduleStep } from './explore-run.js';

/** Why a run failed, in words, for the first line of the message. */
const WHAT: Record<Exclude<FailureKind, 'diverged'>, string> = {
  error: 'the test failed',
  deadlock: 'the test deadlocked',
  livelock: 'the test did not finish within maxSteps steps',
  leftover: 'the test returned with tasks still running',
  unretrieved: "an error reached the loop's exception handler",
  stuck: 'the test got stuck',
};

const quote = (label: string): string => `\`${label}\``;

function list(labels: readonly string[], most = 3): string {
  const shown = labels.slice(0, most).map(quote).join(', ');
  return labels.length > most ? `${shown} and ${labels.length - most} more` : shown;
}

/** One deviation from corio's default order, as a line of text. */
export function describeStep(step: ScheduleStep): string {
  const parts: string[] = [];
  if (step.cancelled !== null) parts.push(`${step.cancelled} was cancelled (injected)`);
  const choice = step.decision.choice;
  if (choice !== null) {
    const [first] = step.ran;
    if (choice.length === 1 && first !== undefined) {
      const others = step.ready.filter((label) => label !== first);
      parts.push(
        others.length === 0
          ? `${quote(first)} went on alone`
          : `${quote(first)} went on alone, before ${list(others)}`,
      );
    } else {
      parts.push(`went on in the order ${list(step.ran, 6)}`);
    }
  }
  return `step ${step.step} at ${step.at} ms: ${parts.join('; then ')}`;
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The facts a ScheduleFailure reports. */
export interface ScheduleFailureInit {
  readonly kind: Exclude<FailureKind, 'diverged'>;
  readonly cause: unknown;
  readonly detail?: string | undefined;
  readonly seed: number;
  readonly run: number;
  readonly runs: number;
  readonly token: string;
  readonly schedule: readonly ScheduleStep[];
  readonly deviations: readonly ScheduleStep[];
  /** Deviations before shrinking. */
  readonly found: number;
  readonly mermaid: string;
  readonly warnings: readonly string[];
}

/**
 * A schedule under which the test fails. `cause` is the test's own error (or a
 * `DeadlockError`, or an error describing a livelock, tasks left running, or an
 * error nobody retrieved).
 */
export class ScheduleFailure extends Error {
  static {
    this.prototype.name = 'ScheduleFailure';
  }
  /** `error` (the test threw), `deadlock`, `livelock`, `leftover`, `unretrieved` or `stuck`. */
  readonly kind: Exclude<FailureKind, 'diverged'>;
  /** The campaign's seed: `explore(test, { seed })` explores the same schedules again. */
  readonly seed: number;
  /** The run (1-based) that found the failure; 0 when it came from a replay. */
  readonly run: number;
  /** Replays the failing schedule: `replaySchedule(token, test)`, or `CORIO_REPLAY=<token>`. */
  readonly token: string;
  /** Every step of the failing run (after shrinking). */
  readonly schedule: readonly ScheduleStep[];
  /** The steps where the failing run left corio's default order. */
  readonly deviations: readonly ScheduleStep[];
  readonly #mermaid: string;

  /** @internal */
  static _new(init: ScheduleFailureInit): ScheduleFailure {
    return new ScheduleFailure(init);
  }

  // Private: made by explore() and replaySchedule() only.
  private constructor(init: ScheduleFailureInit) {
    checkMadeBy(
      'new ScheduleFailure()',
      typeof init === 'object' && typeof (init as { token?: unknown }).token === 'string',
      'explore() or replaySchedule()',
    );
    const head =
      init.run === 0
        ? `explore(): ${WHAT[init.kind]} when its schedule was replayed`
        : `explore(): ${WHAT[init.kind]} in run ${init.run} of ${init.runs} (seed ${init.seed})`;
    const lines = [`${head}: ${init.detail ?? errorText(init.cause)}`];
    if (init.detail !== undefined && init.cause !== undefined)
      lines.push(`  ${errorText(init.cause)}`);
    if (init.deviations.length === 0) {
      lines.push("It fails in corio's default order: no schedule of explore()'s is needed.");
    } else {
      const shrunk = init.found > init.deviations.length ? ` (shrunk from ${init.found})` : '';
      lines.push(
        `It left corio's default order at ${init.deviations.length} step(s)${shrunk}:`,
        ...init.deviations.map((step) => `  ${describeStep(step)}`),
      );
    }
    lines.push(
      `Replay it: CORIO_REPLAY=${init.token} (with your test command), or replaySchedule(token, test).`,
      'error.toMermaid() draws the failing run; error.schedule lists every step.',
      ...init.warnings,
    );
    super(lines.join('\n'), { cause: init.cause });
    this.kind = init.kind;
    this.seed = init.seed;
    this.run = init.run;
    this.token = init.token;
    this.schedule = init.schedule;
    this.deviations = init.deviations;
    this.#mermaid = init.mermaid;
  }

  /** The failing run as a Mermaid sequence diagram (through `corio/trace`). */
  toMermaid(): string {
    return this.#mermaid;
  }
}

/**
 * The same schedule ran differently: the work ready at a step was not what it
 * was before. Something besides corio decides the order — `Math.random()`, a
 * real timer, real I/O, or state kept from one run to the next.
 */
export class NondeterminismError extends Error {
  static {
    this.prototype.name = 'NondeterminismError';
  }
  /** The step (0-based) at which the runs parted. */
  readonly step: number;
  /** What was ready at that step in the run that parted. */
  readonly ready: readonly string[];

  /** @internal */
  static _new(why: string, step: number, ready: readonly string[]): NondeterminismError {
    return new NondeterminismError(why, step, ready);
  }

  // Private: made by explore() and replaySchedule() only.
  private constructor(why: string, step: number, ready: readonly string[]) {
    checkMadeBy(
      'new NondeterminismError()',
      typeof why === 'string' && Array.isArray(ready),
      'explore() or replaySchedule()',
    );
    super(
      `explore(): nondeterministic test: ${why}; ready at that step: ${ready.length === 0 ? 'nothing' : list(ready, 6)}. ` +
        'Something besides corio decides the order: Math.random(), a real timer or I/O, or state kept from one run to the next (create it inside the test). If you changed the test or the code under test since the schedule was recorded, explore() again.',
    );
    this.step = step;
    this.ready = ready;
  }
}
