/**
 * `explore()`: finds the races in plain async/await code by running a test
 * under many schedules (loom's and shuttle's idea, for corio). corio owns every
 * task start, every wake-up and every timer, so on a `VirtualClock` a seeded
 * scheduler can choose their order: random, PCT, exhaustive, mixed. A failing
 * schedule is replayed to confirm it, shrunk to the fewest steps where it leaves
 * corio's default order, and thrown as a `ScheduleFailure` with a replay token
 * and a diagram. Use it inside any test runner:
 * `test('cache loads once', () => explore(async () => { … }))`.
 *
 * @example
 * ```ts
 * import { sleep, taskGroup } from 'corio';
 * import { explore, ScheduleFailure } from 'corio/testing';
 *
 * // Two tasks wake at the same instant; the code assumes A goes on first.
 * try {
 *   await explore(async () => {
 *     const order: string[] = [];
 *     await taskGroup((tg) => {
 *       for (const name of ['A', 'B']) {
 *         tg.spawn(async () => { await sleep(10); order.push(name); }, { name });
 *       }
 *     });
 *     if (order[0] !== 'A') throw new Error(order.join(' before '));
 *   }, { seed: 1 });
 * } catch (error) {
 *   if (error instanceof ScheduleFailure) {
 *     console.log((error.cause as Error).message, '|', error.deviations.length, 'deviation');
 *   }
 * }
 * // => B before A | 1 deviation
 * ```
 * @module
 */
import {
  checkBoolean,
  checkChoice,
  checkCount,
  checkFunction,
  checkOptions,
  checkString,
  optionNames,
} from '../_internal/validate.js';
import { Tracer, toMermaid } from '../trace/index.js';
import {
  type FailureKind,
  hostResources,
  ownErrors,
  type RunOutcome,
  runSchedule,
  type ScheduleStep,
} from './explore-run.js';
import { NondeterminismError, ScheduleFailure } from './schedule-failure.js';
import {
  type Decision,
  DEFAULT,
  decodeToken,
  encodeToken,
  fnv,
  isDefault,
  readyHash,
  Rng,
  runSeed,
} from './schedule.js';
import {
  DEFAULT_ORDER,
  Exhaustive,
  Follow,
  FollowSimilar,
  Injecting,
  type PlannedStep,
  PctStrategy,
  RandomStrategy,
  type Strategy,
} from './strategies.js';

/** How `explore()` picks schedules (see the strategies module). */
export type ExploreStrategy = 'mixed' | 'random' | 'pct' | 'exhaustive';

export interface ExploreOptions {
  /** Schedules to try; default 200. The first is corio's default order. */
  readonly runs?: number;
  /** Seed of the campaign; default `CORIO_SEED` from the environment, else random. */
  readonly seed?: number;
  /** Default `'mixed'`. */
  readonly strategy?: ExploreStrategy;
  /** Bug depth PCT aims at (`strategy: 'pct'`); default 2. `'mixed'` uses 2 and 3. */
  readonly pctDepth?: number;
  /**
   * Cancel one task (not the test's own) before a random step of each run after
   * the first, half the time a task whose wait has just ended. The test must
   * then still pass: this sweeps cancel-at-wake races and unshielded cleanup.
   * Not with `strategy: 'exhaustive'`.
   */
  readonly injectCancellation?: boolean;
  /** Steps after which a run is a livelock; default 10,000. */
  readonly maxSteps?: number;
  /** Shrink a failing schedule to its fewest deviations; default true. */
  readonly shrink?: boolean;
  /** Told what a campaign that found nothing did (runs, schedules, warnings). */
  readonly onReport?: (report: ExploreReport) => void;
}

/** What a campaign that found nothing did. */
export interface ExploreReport {
  readonly seed: number;
  /** Runs made (fewer than asked when `exhaustive` ran out of schedules). */
  readonly runs: number;
  /** Steps taken over all runs. */
  readonly steps: number;
  /** Distinct schedules among them. */
  readonly schedules: number;
  /** True when `strategy: 'exhaustive'` tried every schedule there is. */
  readonly exhausted: boolean;
  /** Host work seen during the runs, which explore() does not control. */
  readonly warnings: readonly string[];
}

export interface ReplayOptions {
  /** As `explore()`'s; default 10,000. */
  readonly maxSteps?: number;
}

const STRATEGIES: readonly ExploreStrategy[] = ['mixed', 'random', 'pct', 'exhaustive'];
const DEFAULT_RUNS = 200;
const DEFAULT_MAX_STEPS = 10_000;
// Runs a shrink may spend, at most.
const SHRINK_RUNS = 400;

/**
 * The test that {@link explore} and {@link replaySchedule} run, once per
 * schedule: a function that may return a promise. A throw or a rejection is a
 * failure of that schedule.
 */
export type ExploreTest = () => unknown;

interface Env {
  readonly env?: Record<string, string | undefined>;
  readonly emitWarning?: (warning: string, type?: string) => void;
}

const host = (): Env | undefined => (globalThis as { process?: Env }).process;

function envSeed(): number | undefined {
  const text = host()?.env?.['CORIO_SEED'];
  if (text === undefined || text === '') return undefined;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0) {
    throw new RangeError(
      `explore(): CORIO_SEED must be an integer >= 0, got ${JSON.stringify(text)}`,
    );
  }
  return seed >>> 0;
}

function hostWarning(types: ReadonlySet<string>): string[] {
  if (types.size === 0) return [];
  return [
    `explore(): real host work (${[...types].join(', ')}) was alive while the test ran. ` +
      "Its timing is not explore()'s to choose, so schedules that depend on it may not replay: " +
      "use corio's sleep(), timeouts and in-memory streams in explored tests.",
  ];
}

interface Context {
  readonly test: ExploreTest;
  readonly seed: number;
  readonly runs: number;
  readonly maxSteps: number;
  readonly baseline: ReadonlyMap<string, number>;
  readonly shrink: boolean;
  readonly hostWork: Set<string>;
}

const EXPLORE_OPTIONS = optionNames<ExploreOptions>({
  runs: true,
  seed: true,
  strategy: true,
  pctDepth: true,
  injectCancellation: true,
  maxSteps: true,
  shrink: true,
  onReport: true,
});
const REPLAY_OPTIONS = optionNames<ReplayOptions>({ maxSteps: true });

function checkExploreOptions(options: ExploreOptions | undefined): void {
  const fn = 'explore()';
  checkOptions(fn, 'options', options, EXPLORE_OPTIONS);
  if (options === undefined) return;
  if (options.runs !== undefined) checkCount(fn, 'options.runs', options.runs, 1);
  if (options.seed !== undefined) checkCount(fn, 'options.seed', options.seed, 0);
  if (options.maxSteps !== undefined) checkCount(fn, 'options.maxSteps', options.maxSteps, 1);
  if (options.pctDepth !== undefined) checkCount(fn, 'options.pctDepth', options.pctDepth, 1);
  checkBoolean(fn, 'options.injectCancellation', options.injectCancellation);
  checkBoolean(fn, 'options.shrink', options.shrink);
  if (options.onReport !== undefined) checkFunction(fn, 'options.onReport', options.onReport);
  if (options.strategy !== undefined) {
    checkChoice(fn, 'options.strategy', options.strategy, STRATEGIES);
  }
}

// The strategy of run r (r >= 1; run 0 is the default order). `mixed` rotates:
// random single releases, random batches, PCT of depth 2 and 3. A run mixes no
// modes: a batch here and a single release there rarely keeps both the
// interleaving of a plain await and a reordering (measured on the catalogue: a
// lost update across a plain await showed in 14% of half-batch runs, 54% of
// all-batch ones).
function strategyFor(
  name: ExploreStrategy,
  r: number,
  rng: Rng,
  k: number,
  pctDepth: number,
): Strategy {
  switch (name) {
    case 'random':
      return new RandomStrategy(rng, r % 2 === 0 ? 1 : 0);
    case 'pct':
      return new PctStrategy(rng, pctDepth, k);
    default:
      switch (r % 4) {
        case 1:
          return new RandomStrategy(rng, 0);
        case 2:
          return new RandomStrategy(rng, 1);
        case 3:
          return new PctStrategy(rng, 2, k);
        default:
          return new PctStrategy(rng, 3, k);
      }
  }
}

const decisionsOf = (out: RunOutcome): Decision[] => {
  const decisions = out.steps.map((s) => s.decision);
  while (decisions.length > 0 && isDefault(decisions[decisions.length - 1])) decisions.pop();
  return decisions;
};

const hashesOf = (steps: readonly ScheduleStep[]): number[] => steps.map((s) => readyHash(s.ready));

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

// A shrinking candidate must fail the same way: the same kind, the same error class.
const sameFailure = (a: RunOutcome['failure'], b: RunOutcome['failure']): boolean =>
  a !== null &&
  b !== null &&
  a.kind === b.kind &&
  (a.kind !== 'error' || errorName(a.error) === errorName(b.error));

const deviationsOf = (out: RunOutcome): ScheduleStep[] =>
  out.steps.filter((s) => !isDefault(s.decision));

const planOf = (out: RunOutcome): PlannedStep[] => {
  const plan: PlannedStep[] = out.steps.map((s) => ({
    ready: s.ready,
    decision: s.decision,
    cancelled: s.cancelled,
  }));
  while (plan.length > 0 && isDefault(plan[plan.length - 1]?.decision)) plan.pop();
  return plan;
};

/**
 * Greedy shrinking (each candidate is run, and kept only if it fails the same
 * way): drop the tail of the schedule, set deviations back to the default one
 * by one, then turn batches into single releases. A candidate follows the
 * remaining deviations at the steps whose ready work matches (`FollowSimilar`),
 * as undoing one deviation shifts the steps after it.
 */
async function shrinkSchedule(ctx: Context, found: RunOutcome): Promise<RunOutcome> {
  let best = found;
  let spent = 0;
  const attempt = async (plan: readonly PlannedStep[]): Promise<boolean> => {
    if (spent >= SHRINK_RUNS) return false;
    spent++;
    const out = await runSchedule(ctx.test, {
      strategy: new FollowSimilar(plan),
      maxSteps: ctx.maxSteps,
      baseline: ctx.baseline,
    });
    if (!sameFailure(out.failure, found.failure)) return false;
    // Keep it only if it has no more deviations than the best so far.
    if (deviationsOf(out).length > deviationsOf(best).length) return false;
    best = out;
    return true;
  };
  const replace = (plan: readonly PlannedStep[], i: number, decision: Decision): PlannedStep[] =>
    plan.map((p, j) =>
      j === i ? { ...p, decision, cancelled: decision.cancel === null ? null : p.cancelled } : p,
    );
  // 1. The shortest prefix of the plan that still fails (binary search: the
  // prefix of length `hi` fails).
  const all = planOf(best);
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await attempt(all.slice(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  // 2. Each deviation back to the default, latest first, until none can go.
  for (let changed = true; changed; ) {
    changed = false;
    const plan = planOf(best);
    for (let i = plan.length - 1; i >= 0 && !changed; i--) {
      const d = (plan[i] as PlannedStep).decision;
      if (isDefault(d)) continue;
      const candidates: Decision[] = [DEFAULT];
      if (d.cancel !== null && d.choice !== null) {
        candidates.push({ choice: null, cancel: d.cancel }, { choice: d.choice, cancel: null });
      }
      for (const candidate of candidates) {
        if (await attempt(replace(plan, i, candidate))) {
          changed = true;
          break;
        }
      }
    }
  }
  // 3. A batch in another order becomes one task going on alone.
  for (let changed = true; changed; ) {
    changed = false;
    const plan = planOf(best);
    for (let i = 0; i < plan.length && !changed; i++) {
      const d = (plan[i] as PlannedStep).decision;
      if (d.choice === null || d.choice.length === 1) continue;
      for (const first of d.choice.slice(0, 3)) {
        if (await attempt(replace(plan, i, { choice: [first], cancel: d.cancel }))) {
          changed = true;
          break;
        }
      }
    }
  }
  return best;
}

/** Confirms, shrinks and reports a failing run: always throws. */
async function report(ctx: Context, found: RunOutcome, run: number): Promise<never> {
  const failure = found.failure as NonNullable<RunOutcome['failure']>;
  // The same schedule must fail the same way again, or the test is not deterministic.
  const again = await runSchedule(ctx.test, {
    strategy: new Follow(decisionsOf(found)),
    expect: hashesOf(found.steps),
    maxSteps: ctx.maxSteps,
    baseline: ctx.baseline,
  });
  if (again.failure?.kind === 'diverged') throw again.failure.error;
  if (!sameFailure(again.failure, failure)) {
    throw NondeterminismError._new(
      again.failure === null
        ? 'a failing schedule passed when it was run again'
        : `a failing schedule failed differently when it was run again (${again.failure.kind})`,
      found.steps.length,
      [],
    );
  }
  const best = ctx.shrink ? await shrinkSchedule(ctx, found) : found;
  return fail(ctx, best, run, deviationsOf(found).length);
}

/** Draws the run (and asks debug mode for a deadlock's wait-for cycle), then throws. */
async function fail(
  ctx: Context,
  best: RunOutcome,
  run: number,
  found: number,
  tokenRun = run,
): Promise<never> {
  const failure = best.failure as NonNullable<RunOutcome['failure']>;
  const draw = (tracer: Tracer, debug: boolean): Promise<RunOutcome> =>
    runSchedule(ctx.test, {
      strategy: new Follow(decisionsOf(best)),
      expect: hashesOf(best.steps),
      maxSteps: ctx.maxSteps,
      baseline: ctx.baseline,
      trace: tracer,
      debug,
    });
  let tracer = new Tracer();
  let traced = await draw(tracer, failure.kind === 'deadlock');
  if (failure.kind === 'deadlock' && traced.steps.length === 0) {
    // Debug mode is installed by the package root (`corio`); without it, run()
    // refuses `debug` and nothing ran: draw the run without it.
    tracer = new Tracer();
    traced = await draw(tracer, false);
  }
  for (const type of traced.hostWork) ctx.hostWork.add(type);
  // Debug mode's DeadlockError (creation stacks, the wait-for cycle) over ours.
  const debugError = traced.failure?.error;
  const cause =
    failure.kind === 'deadlock' &&
    traced.failure?.kind === 'deadlock' &&
    debugError instanceof Error &&
    !ownErrors.has(debugError)
      ? debugError
      : failure.error;
  const token = encodeToken(
    { decisions: decisionsOf(best), hashes: hashesOf(best.steps) },
    { seed: ctx.seed, run: tokenRun },
  );
  throw ScheduleFailure._new({
    kind: failure.kind as Exclude<FailureKind, 'diverged'>,
    cause,
    detail: failure.detail,
    seed: ctx.seed,
    run,
    runs: ctx.runs,
    token,
    schedule: best.steps,
    deviations: deviationsOf(best),
    found: Math.max(found, deviationsOf(best).length),
    mermaid: toMermaid(tracer),
    warnings: hostWarning(ctx.hostWork),
  });
}

/**
 * Runs `test` under up to `runs` schedules (each a fresh `run()` on a
 * `VirtualClock`) and resolves when every one passes (`onReport` hears how
 * many there were). The first run is corio's default order; the others follow
 * `strategy`. It resolves with nothing, so `test('…', () => explore(fn))`
 * type-checks with node:test as with Vitest and Jest.
 *
 * A run fails when `test` throws, deadlocks, takes more than `maxSteps` steps,
 * returns with tasks still running, or lets an error reach the loop's exception
 * handler (a task's error nobody retrieved). The failing schedule is run again
 * (it must fail the same way), shrunk, and thrown as a `ScheduleFailure`.
 *
 * `test` is called once per run and must build its state afresh each time.
 * Everything it awaits must be corio's (or end within corio's waits): a real
 * timer or socket takes the order out of explore()'s hands, and it says so.
 * With `CORIO_REPLAY=<token>` in the environment, each call first runs the
 * token's schedule; the one whose test follows it to the end replays it
 * instead of exploring, the others explore as usual.
 *
 * **Cancellation:** not a cancellation point; each run is a `run()` of its own.
 *
 * @throws {ScheduleFailure} when a schedule makes the test fail.
 * @throws {NondeterminismError} when the same schedule ran differently twice.
 * @throws {TypeError|RangeError} for bad arguments.
 */
export async function explore(test: ExploreTest, options?: ExploreOptions): Promise<void> {
  checkFunction('explore()', 'test', test);
  checkExploreOptions(options);
  const maxSteps = options?.maxSteps ?? DEFAULT_MAX_STEPS;
  const replay = host()?.env?.['CORIO_REPLAY'];
  if (replay !== undefined && replay !== '') {
    // The token's test is the one that follows its schedule to the end.
    for (const token of replay.split(',')) {
      let schedule: ReturnType<typeof decodeToken>;
      try {
        schedule = decodeToken(token);
      } catch {
        continue;
      }
      const replayed = await replayOnce(test, schedule, maxSteps);
      if (replayed instanceof NondeterminismError) continue;
      options?.onReport?.({
        seed: schedule.seed,
        runs: 1,
        steps: replayed.out.steps.length,
        schedules: 1,
        exhausted: false,
        warnings: hostWarning(replayed.ctx.hostWork),
      });
      return;
    }
  }
  const seed = options?.seed ?? envSeed() ?? Math.floor(Math.random() * 2 ** 32);
  const runs = options?.runs ?? DEFAULT_RUNS;
  const name = options?.strategy ?? 'mixed';
  const pctDepth = options?.pctDepth ?? 2;
  const inject = options?.injectCancellation === true;
  const ctx: Context = {
    test,
    seed,
    runs,
    maxSteps,
    baseline: hostResources(),
    shrink: options?.shrink ?? true,
    hostWork: new Set(),
  };
  const exhaustive = name === 'exhaustive' ? new Exhaustive() : null;
  const seen = new Set<number>();
  let steps = 0;
  let k = 1;
  let made = 0;
  let exhausted = false;
  for (let r = 0; r < runs; r++) {
    const rng = new Rng(runSeed(seed, r));
    let strategy: Strategy =
      exhaustive !== null
        ? exhaustive.strategy()
        : r === 0
          ? DEFAULT_ORDER
          : strategyFor(name, r, rng, k, pctDepth);
    if (inject && r > 0 && exhaustive === null) {
      strategy = new Injecting(strategy, rng, rng.int(Math.max(1, k)));
    }
    const out = await runSchedule(test, { strategy, maxSteps, baseline: ctx.baseline });
    made++;
    steps += out.steps.length;
    for (const type of out.hostWork) ctx.hostWork.add(type);
    seen.add(fnv(out.steps.map((s) => s.ran.join('\u0001')).join('\u0002')));
    if (out.failure !== null) return report(ctx, out, r + 1);
    if (r === 0) {
      // The default order, run again, must take the same steps.
      const again = await runSchedule(test, {
        strategy: DEFAULT_ORDER,
        expect: hashesOf(out.steps),
        maxSteps,
        baseline: ctx.baseline,
      });
      if (again.failure?.kind === 'diverged') throw again.failure.error;
      if (again.failure !== null) return report(ctx, again, r + 1);
    }
    k = Math.max(1, out.steps.length);
    if (exhaustive !== null && !exhaustive.advance(out.steps.length)) {
      exhausted = true;
      break;
    }
  }
  const warnings = hostWarning(ctx.hostWork);
  for (const warning of warnings) host()?.emitWarning?.(warning, 'CorioExploreWarning');
  options?.onReport?.({ seed, runs: made, steps, schedules: seen.size, exhausted, warnings });
}

// Runs `test` under a recorded schedule: the NondeterminismError when the run
// does not follow it (another test's token, or a changed test); throws the
// ScheduleFailure when it fails; the run when it passes.
async function replayOnce(
  test: ExploreTest,
  schedule: ReturnType<typeof decodeToken>,
  maxSteps: number,
): Promise<{ out: RunOutcome; ctx: Context } | NondeterminismError> {
  const ctx: Context = {
    test,
    seed: schedule.seed,
    runs: 1,
    maxSteps,
    baseline: hostResources(),
    shrink: false,
    hostWork: new Set(),
  };
  const out = await runSchedule(test, {
    strategy: new Follow(schedule.decisions),
    expect: schedule.hashes,
    maxSteps,
    baseline: ctx.baseline,
  });
  for (const type of out.hostWork) ctx.hostWork.add(type);
  if (out.failure?.kind === 'diverged') return out.failure.error as NondeterminismError;
  if (out.failure === null && out.steps.length !== schedule.hashes.length) {
    return NondeterminismError._new(
      `the run ended after ${out.steps.length} steps, the recorded one took ${schedule.hashes.length}`,
      out.steps.length,
      [],
    );
  }
  if (out.failure !== null) return fail(ctx, out, 0, deviationsOf(out).length, schedule.run);
  return { out, ctx };
}

/**
 * Runs `test` once under the schedule of a replay token (a `ScheduleFailure`'s
 * `token`): resolves if it passes, throws the `ScheduleFailure` again if it
 * fails. When the run leaves the recorded schedule (the test changed, or
 * something besides corio decides the order) it stops with a
 * `NondeterminismError` saying where.
 *
 * **Cancellation:** not a cancellation point; the replay is a `run()` of its own.
 *
 * @throws {ScheduleFailure} when the schedule makes the test fail.
 * @throws {NondeterminismError} when the run leaves the recorded schedule.
 * @throws {TypeError} if `token` is not a replay token.
 */
export async function replaySchedule(
  token: string,
  test: ExploreTest,
  options?: ReplayOptions,
): Promise<void> {
  checkFunction('replaySchedule()', 'test', test);
  checkString('replaySchedule()', 'token', token, true);
  checkOptions('replaySchedule()', 'options', options, REPLAY_OPTIONS);
  const maxSteps = options?.maxSteps ?? DEFAULT_MAX_STEPS;
  if (options?.maxSteps !== undefined) {
    checkCount('replaySchedule()', 'options.maxSteps', maxSteps, 1);
  }
  const replayed = await replayOnce(test, decodeToken(token), maxSteps);
  if (replayed instanceof NondeterminismError) throw replayed;
}
