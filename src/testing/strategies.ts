/**
 * How `explore()` picks a schedule, one decision per step:
 *
 * - `random`: each step lets one random entry go on alone, or (with probability
 *   `batch`) all of them in a random order within one turn — the interleaving
 *   V8 makes at plain `await`s, which releasing one at a time never shows;
 * - `pct`: Burckhardt et al.'s probabilistic concurrency testing (ASPLOS 2010):
 *   random task priorities, the highest-priority ready task goes on alone, and
 *   `depth - 1` priority drops at random steps; a bug of depth d shows with
 *   probability at least 1/(n·k^(d-1)) per run;
 * - `exhaustive`: every schedule of single releases (and the default) in turn,
 *   depth first, for tests small enough to enumerate;
 * - `mixed` (the default): the default order first, then the above in rotation.
 *
 * @example
 * ```ts
 * import { explore } from 'corio/testing';
 * import { sleep, taskGroup } from 'corio';
 *
 * // Two tasks, one sleep each: few enough schedules to try every one.
 * await explore(async () => {
 *   await taskGroup((tg) => {
 *     tg.spawn(() => sleep(1));
 *     tg.spawn(() => sleep(1));
 *   });
 * }, {
 *   strategy: 'exhaustive',
 *   onReport: (report) => console.log(report.exhausted, report.runs),
 * });
 * // => true 39
 * ```
 * @module
 */
import { type Decision, DEFAULT, normalize, permutation, type Rng } from './schedule.js';

/** What a strategy sees of one step. */
export interface StepView {
  readonly step: number;
  /** The ready entries, oldest first. */
  readonly ready: readonly {
    readonly label: string;
    /** Who goes on: a task, or a shared key for timers that wake no task. */
    readonly actor: unknown;
  }[];
  /** The living tasks a cancellation could be injected into, by name. */
  readonly candidates: readonly string[];
  /** The candidates (indices) whose wait has ended and who have not resumed yet. */
  readonly waking: readonly number[];
}

export interface Strategy {
  decide(view: StepView): Decision;
}

/** Always the default: corio's own order. */
export const DEFAULT_ORDER: Strategy = { decide: () => DEFAULT };

export class RandomStrategy implements Strategy {
  readonly #rng: Rng;
  readonly #batch: number;

  constructor(rng: Rng, batch: number) {
    this.#rng = rng;
    this.#batch = batch;
  }

  decide(view: StepView): Decision {
    const n = view.ready.length;
    if (n <= 1) return DEFAULT;
    const choice = this.#rng.next() < this.#batch ? permutation(this.#rng, n) : [this.#rng.int(n)];
    return { choice: normalize(choice, n), cancel: null };
  }
}

export class PctStrategy implements Strategy {
  readonly #rng: Rng;
  readonly #depth: number;
  readonly #priorities = new Map<unknown, number>();
  // Steps at which the highest-priority task drops below every other, sorted.
  readonly #changes: number[];

  /** `k`: the expected number of steps (the previous run's). */
  constructor(rng: Rng, depth: number, k: number) {
    this.#rng = rng;
    this.#depth = depth;
    this.#changes = Array.from({ length: depth - 1 }, () => rng.int(Math.max(1, k))).sort(
      (a, b) => a - b,
    );
  }

  #priority(actor: unknown): number {
    let p = this.#priorities.get(actor);
    if (p === undefined) {
      // Above every dropped priority (0 … depth-2), in a random order.
      p = this.#depth + this.#rng.next();
      this.#priorities.set(actor, p);
    }
    return p;
  }

  #best(view: StepView): number {
    let best = 0;
    let top = -Infinity;
    view.ready.forEach((entry, i) => {
      const p = this.#priority(entry.actor);
      if (p > top) {
        top = p;
        best = i;
      }
    });
    return best;
  }

  decide(view: StepView): Decision {
    const n = view.ready.length;
    for (const entry of view.ready) this.#priority(entry.actor);
    let best = this.#best(view);
    this.#changes.forEach((at, j) => {
      if (at !== view.step) return;
      this.#priorities.set((view.ready[best] as { actor: unknown }).actor, j);
      best = this.#best(view);
    });
    return { choice: normalize([best], n), cancel: null };
  }
}

/**
 * Depth-first enumeration of the schedules made of the default and single
 * releases: each run follows `prefix`, then takes the first option; `advance()`
 * moves to the next schedule, or reports that none is left.
 */
export class Exhaustive {
  readonly #prefix: number[] = [];
  readonly #options: number[] = [];

  strategy(): Strategy {
    let step = 0;
    return {
      decide: (view) => {
        const n = view.ready.length;
        // Option 0 is the default; option i (1 … n) releases entry i-1 alone.
        const options = n <= 1 ? 1 : n + 1;
        const i = step++;
        const option = Math.min(this.#prefix[i] ?? 0, options - 1);
        this.#prefix[i] = option;
        this.#options[i] = options;
        return option === 0 ? DEFAULT : { choice: [option - 1], cancel: null };
      },
    };
  }

  /** After a run of `steps` steps: on to the next schedule; false when all were run. */
  advance(steps: number): boolean {
    this.#prefix.length = Math.min(this.#prefix.length, steps);
    this.#options.length = this.#prefix.length;
    while (this.#prefix.length > 0) {
      const last = this.#prefix.length - 1;
      if ((this.#prefix[last] as number) + 1 < (this.#options[last] as number)) {
        this.#prefix[last] = (this.#prefix[last] as number) + 1;
        return true;
      }
      this.#prefix.pop();
      this.#options.pop();
    }
    return false;
  }
}

/** Follows recorded decisions (fitted to what is ready), then the default. */
export class Follow implements Strategy {
  readonly #decisions: readonly Decision[];

  constructor(decisions: readonly Decision[]) {
    this.#decisions = decisions;
  }

  decide(view: StepView): Decision {
    const d = this.#decisions[view.step];
    if (d === undefined) return DEFAULT;
    const choice = fitChoice(d.choice, view.ready.length);
    const cancel = d.cancel !== null && d.cancel < view.candidates.length ? d.cancel : null;
    return choice === null && cancel === null ? DEFAULT : { choice, cancel };
  }
}

// Indices past the end are dropped; a batch takes the entries it does not name after its own.
function fitChoice(choice: readonly number[] | null, n: number): number[] | null {
  if (choice === null || n <= 1) return null;
  if (choice.length === 1) return normalize([Math.min(choice[0] as number, n - 1)], n);
  const kept = choice.filter((i) => i < n);
  const named = new Set(kept);
  for (let i = 0; i < n; i++) if (!named.has(i)) kept.push(i);
  return normalize(kept, n);
}

/** A step of a recorded run, as `FollowSimilar` matches it. */
export interface PlannedStep {
  readonly ready: readonly string[];
  readonly decision: Decision;
  /** The task the decision cancels, by name. */
  readonly cancelled: string | null;
}

/**
 * Follows the decisions of a recorded run at the steps whose ready work is the
 * same, wherever they fall now: what shrinking needs, since undoing one
 * deviation shifts the steps after it (two task starts in one step instead of
 * two). Steps that match none take the default.
 */
export class FollowSimilar implements Strategy {
  readonly #plan: readonly PlannedStep[];
  readonly #keys: readonly string[];
  #cursor = 0;

  constructor(plan: readonly PlannedStep[]) {
    this.#plan = plan;
    this.#keys = plan.map((p) => p.ready.join('\n'));
  }

  decide(view: StepView): Decision {
    const key = view.ready.map((r) => r.label).join('\n');
    const at = this.#keys.indexOf(key, this.#cursor);
    if (at < 0) return DEFAULT;
    this.#cursor = at + 1;
    const planned = this.#plan[at] as PlannedStep;
    const choice = fitChoice(planned.decision.choice, view.ready.length);
    const cancel = planned.cancelled === null ? -1 : view.candidates.indexOf(planned.cancelled);
    return choice === null && cancel < 0 ? DEFAULT : { choice, cancel: cancel < 0 ? null : cancel };
  }
}

/**
 * Adds one injected cancellation to a strategy: before step `at`, a living task
 * (half the time one whose wait has just ended: the cancel-at-wake race).
 */
export class Injecting implements Strategy {
  readonly #inner: Strategy;
  readonly #rng: Rng;
  readonly #at: number;

  constructor(inner: Strategy, rng: Rng, at: number) {
    this.#inner = inner;
    this.#rng = rng;
    this.#at = at;
  }

  decide(view: StepView): Decision {
    const d = this.#inner.decide(view);
    if (view.step !== this.#at || view.candidates.length === 0) return d;
    const cancel =
      view.waking.length > 0 && this.#rng.next() < 0.5
        ? (view.waking[this.#rng.int(view.waking.length)] as number)
        : this.#rng.int(view.candidates.length);
    return { choice: d.choice, cancel };
  }
}
