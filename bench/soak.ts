/**
 * `npm run soak`: minutes of mixed, realistic concurrent work with cancellations,
 * on the system clock, to show that corio leaks nothing over time. Rounds of the
 * scenarios in `soak-primitives.ts` and `soak-composed.ts` (framed by
 * `soak-round.ts`) run back to back in one `run()`; between rounds,
 * every count that must return to zero is checked (the loop's tasks, timers and
 * callbacks; waiters of the long-lived primitives; `abort` listeners on the
 * long-lived and per-round signals; host timers), and every few seconds the
 * process samples its heap after `global.gc()`, its RSS, and those counts.
 * Flat is the bar: the slope of the post-GC data heap (the heap without V8's
 * compiled code) over the second half of the run must stay under a stated
 * tolerance, and no count may stay above zero.
 *
 *   npm run soak                         3 minutes, a random seed (printed)
 *   npm run soak -- --minutes 10 --seed 42
 *   npm run soak -- --quick              about 20 s: counts judged, heap only printed
 *   npm run soak -- --skip pipelines,pools   leave scenarios out (to corner a leak)
 *   npm run soak -- --leak listener      inject a leak (heap, listener, task) to see it caught
 *   npm run soak -- --snapshots          heap snapshots (in the temp dir) at the second half's start and at the end
 *
 * It lives in bench/ beside the benchmark, not in test/: it reads the wall clock
 * and runs for minutes, which the test suite never does, and bench/ is type-checked
 * and linted with the rest.
 */
import { getEventListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { formatWithOptions } from 'node:util';
import {
  CancelScope,
  type EventLoop,
  type LoopStatistics,
  createTask,
  getRunningLoop,
  run,
} from 'corio';
import { type Instrument, formatTaskTree } from 'corio/trace';
import { composed } from './soak-composed.js';
import { primitives } from './soak-primitives.js';
import { Rng, Round, Shared, type Tally, describe, runRound } from './soak-round.js';

// The post-GC data heap may grow by at most this much per minute over the second
// half of the run. See docs/performance.md ("Soak") for why this figure.
const SLOPE_TOLERANCE_KIB_PER_MIN = 64;
// V8's compiled code and its metadata (Node 24 keeps bytecode and code objects in
// "trusted" spaces). It keeps growing slowly for minutes as the JIT optimizes and
// deoptimizes a randomized workload (heap snapshots 2 minutes apart differed by
// code objects and their dependent-code lists, nothing else), so it is shown but
// not judged: a leak of the program's objects shows in the other spaces.
const CODE_SPACE = /^(code|trusted|shared_trusted)_/;
// V8 is still compiling and growing its feedback for about a minute (code and old
// space rise, then level off): a second half that starts earlier measures that,
// so its slope is printed but not judged.
const WARMUP_S = 60;
// A round that has not ended after this long is stalled: something waits forever.
const ROUND_LIMIT_MS = 15_000;
// Stop early after this many stalled rounds: the long-lived primitives are broken.
const MAX_STALLS = 3;
const scenarios = [...primitives, ...composed];
const LEAKS = ['heap', 'listener', 'task'] as const;
type Leak = (typeof LEAKS)[number];

interface Settings {
  readonly seconds: number;
  readonly seed: number;
  readonly sampleEvery: number;
  readonly leak: Leak | null;
  readonly skip: readonly string[];
  readonly snapshots: boolean;
}

function parseArgs(argv: readonly string[]): Settings {
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const minutes = Number(option('--minutes') ?? (quick ? 1 / 3 : 3));
  if (!(minutes > 0)) throw new RangeError('--minutes must be a number > 0');
  const seedText = option('--seed');
  const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedText);
  if (!Number.isInteger(seed)) throw new RangeError('--seed must be an integer');
  const seconds = minutes * 60;
  const sampleEvery = Number(option('--sample-every') ?? Math.max(1, seconds / 60));
  if (!(sampleEvery > 0)) throw new RangeError('--sample-every must be a number > 0');
  const leak = option('--leak') ?? null;
  if (leak !== null && !(LEAKS as readonly string[]).includes(leak)) {
    throw new RangeError(`--leak must be one of ${LEAKS.join(', ')}`);
  }
  const skip = option('--skip')?.split(',') ?? [];
  const names = scenarios.map(([name]) => name);
  for (const name of skip) {
    if (!names.includes(name))
      throw new RangeError(`--skip: no scenario ${name} (${names.join(', ')})`);
  }
  const snapshots = argv.includes('--snapshots');
  return { seconds, seed, sampleEvery, leak: leak as Leak | null, skip, snapshots };
}

/** Counts what the kernel did, through the instrument hooks `corio/trace` uses. */
class Counter implements Instrument {
  tasks = 0;
  waits = 0;
  cancels = 0;

  taskCreated(): void {
    this.tasks++;
  }

  taskSuspended(): void {
    this.waits++;
  }

  taskCancelled(): void {
    this.cancels++;
  }

  scopeCancelled(): void {
    this.cancels++;
  }
}

interface Sample {
  readonly t: number;
  readonly rounds: number;
  readonly heapKiB: number;
  /** The heap without V8's code spaces: the judged figure. */
  readonly dataKiB: number;
  readonly rssMiB: number;
  readonly busy: LoopStatistics;
  readonly idle: LoopStatistics;
  readonly listeners: number;
  readonly host: string;
  readonly hostCount: number;
  readonly tasks: number;
  readonly waits: number;
  readonly cancels: number;
  readonly items: number;
  readonly failures: number;
}

const exposedGc = (globalThis as { gc?: () => void }).gc;
if (exposedGc === undefined) {
  console.error('soak: run node with --expose-gc (npm run soak does)');
  process.exit(2);
}
const gc: () => void = exposedGc;

const hostResources = (): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
};
const formatHost = (counts: Map<string, number>): string =>
  [...counts].map(([name, n]) => `${name}×${n}`).join(' ') || '—';

// Fitted by least squares: the slope of y over x.
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const settings = parseArgs(process.argv.slice(2));
// Failures, grouped by their first line with the numbers taken out: the first of
// each kind is printed whole, the rest are counted.
const failures = new Map<string, { count: number; first: string }>();
let failureCount = 0;
const fail = (what: string): void => {
  failureCount++;
  const key = (what.split('\n')[0] ?? '').replace(/\d+/g, '#');
  const seen = failures.get(key);
  if (seen !== undefined) {
    seen.count++;
    return;
  }
  failures.set(key, { count: 1, first: what });
  console.log(`FAIL ${what}`);
};
process.on('unhandledRejection', (reason) => {
  fail(`unhandled rejection: ${describe(reason)}`);
});

const shared = new Shared();
const tally: Tally = { items: 0, timeouts: 0, injected: 0, leases: 0, attempts: 0 };
const counter = new Counter();
const samples: Sample[] = [];
const leaked: unknown[] = [];
// Every count that must be back to zero between rounds, each a line when it is not.
function idleCheck(loop: EventLoop, r: Round): void {
  const stats = loop.statistics();
  r.expect('loop', stats, { tasksLiving: 1, tasksRunnable: 1, timers: 0, callbacksPending: 0 });
  const listeners = getEventListeners(shared.signal, 'abort').length;
  r.check(listeners === 0, () => `long-lived signal: ${listeners} abort listeners left`);
  const roundListeners = getEventListeners(r.signal, 'abort').length;
  r.check(roundListeners === 0, () => `round signal: ${roundListeners} abort listeners left`);
  const host = hostResources();
  r.check(
    !host.has('Timeout') && !host.has('Immediate'),
    () => `host timers left between rounds: ${formatHost(host)}`,
  );
  r.expect('long-lived CapacityLimiter', shared.limiter.statistics(), {
    borrowedTokens: 0,
    tasksWaiting: 0,
  });
  r.expect('long-lived Lock', shared.lock.statistics(), { locked: false, tasksWaiting: 0 });
  r.expect('long-lived Event', shared.stopping.statistics(), { tasksWaiting: 0 });
  r.expect('long-lived Queue', shared.queue.statistics(), {
    size: 0,
    tasksWaiting: 0,
    unfinishedTasks: 0,
  });
  r.expect('long-lived channel', shared.rx.statistics(), {
    currentBufferUsed: 0,
    tasksWaiting: 0,
  });
  r.expect('long-lived Pool', shared.pool.statistics(), { inUse: 0, tasksWaiting: 0 });
}

function injectLeak(leak: Leak, round: number): void {
  if (leak === 'heap') leaked.push({ round, payload: new Array<number>(64).fill(round) });
  else if (leak === 'listener') shared.signal.addEventListener('abort', () => {});
  else createTask(() => shared.stopping.wait(), { name: `leaked-${round}` });
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);
const header =
  '|    t s | rounds | heap KiB | data KiB | RSS MiB | busy tasks/timers | idle tasks/timers/cbs | listeners | host        |  tasks made |   waits |  cancels |   items | fails |';
const rule =
  '|-------:|-------:|---------:|---------:|--------:|------------------:|----------------------:|----------:|:------------|------------:|--------:|---------:|--------:|------:|';
const row = (s: Sample): string =>
  `| ${pad(s.t.toFixed(0), 6)} | ${pad(s.rounds, 6)} | ${pad(s.heapKiB.toFixed(0), 8)} | ${pad(s.dataKiB.toFixed(0), 8)} | ${pad(s.rssMiB.toFixed(1), 7)} | ${pad(`${s.busy.tasksLiving}/${s.busy.timers}`, 17)} | ${pad(`${s.idle.tasksLiving}/${s.idle.timers}/${s.idle.callbacksPending}`, 21)} | ${pad(s.listeners, 9)} | ${s.host.padEnd(11)} | ${pad(s.tasks, 11)} | ${pad(s.waits, 7)} | ${pad(s.cancels, 8)} | ${pad(s.items, 7)} | ${pad(s.failures, 5)} |`;

async function main(): Promise<void> {
  const loop = getRunningLoop();
  loop.setExceptionHandler((context) => {
    fail(`loop exception handler: ${context.message} ${describe(context.error)}`);
  });
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  let busy: LoopStatistics = loop.statistics();
  let nextSample = 0;
  let round = 0;
  let stalls = 0;
  // Written between rounds, after a GC, so two of them compare like for like
  // (DevTools, Memory, Comparison view).
  let midSnapshot = settings.snapshots;
  const snapshot = (): void => {
    gc();
    const t = elapsed().toFixed(0);
    const file = join(tmpdir(), `corio-soak-${process.pid}-${t}s.heapsnapshot`);
    console.log(`heap snapshot at ${t} s: ${writeHeapSnapshot(file)}`);
  };
  const selected = scenarios.filter(([name]) => !settings.skip.includes(name));
  const sample = (): void => {
    gc();
    gc();
    const mem = process.memoryUsage();
    let codeBytes = 0;
    for (const space of getHeapSpaceStatistics()) {
      if (CODE_SPACE.test(space.space_name)) codeBytes += space.space_used_size;
    }
    const host = hostResources();
    const s: Sample = {
      t: elapsed(),
      rounds: round,
      heapKiB: mem.heapUsed / 1024,
      dataKiB: (mem.heapUsed - codeBytes) / 1024,
      rssMiB: mem.rss / 2 ** 20,
      busy,
      idle: loop.statistics(),
      listeners: getEventListeners(shared.signal, 'abort').length,
      host: formatHost(host),
      hostCount: [...host.values()].reduce((a, b) => a + b, 0),
      tasks: counter.tasks,
      waits: counter.waits,
      cancels: counter.cancels,
      items: tally.items,
      failures: failureCount,
    };
    samples.push(s);
    console.log(row(s));
  };
  console.log(header);
  console.log(rule);
  sample();
  while (elapsed() < settings.seconds && stalls < MAX_STALLS) {
    round++;
    const r = new Round(new Rng(settings.seed * 1_000_003 + round), shared, tally);
    // A snapshot of the loop while the round is busy, at a random moment in it.
    const peek = loop.callLater(r.rng.int(1, 40), () => {
      busy = loop.statistics();
    });
    const scope = new CancelScope();
    let stalled = '';
    const watchdog = loop.callLater(ROUND_LIMIT_MS, () => {
      stalled = formatTaskTree();
      scope.cancel('the round stalled');
    });
    await scope.run(() => runRound(r, selected));
    watchdog.cancel();
    peek.cancel();
    if (stalled !== '') {
      stalls++;
      r.failures.push(`round stalled after ${ROUND_LIMIT_MS} ms:\n${stalled}`);
    }
    if (settings.leak !== null) injectLeak(settings.leak, round);
    idleCheck(loop, r);
    for (const f of r.failures) fail(`round ${round}: ${f}`);
    if (midSnapshot && elapsed() >= settings.seconds / 2) {
      midSnapshot = false;
      snapshot();
    }
    if (elapsed() >= nextSample) {
      sample();
      nextSample = elapsed() + settings.sampleEvery;
    }
  }
  if ((samples[samples.length - 1] as Sample).rounds !== round) sample();
  if (settings.snapshots) snapshot();
}

console.log(
  `corio soak: node ${process.version}, ${settings.seconds} s, seed ${settings.seed}, ` +
    `sample every ${settings.sampleEvery} s, slope tolerance ${SLOPE_TOLERANCE_KIB_PER_MIN} KiB/min` +
    (settings.skip.length === 0 ? '' : `, skipping ${settings.skip.join(', ')}`) +
    (settings.leak === null ? '' : `, injected leak: ${settings.leak}`),
);
await run(main, { trace: counter, name: 'soak' });

const last = samples[samples.length - 1] as Sample;
const first = samples[0] as Sample;
const half = samples.filter((s) => s.t >= last.t / 2);
const halfStart = (half[0] as Sample).t;
const kibPerMin = slope(half.map((s) => [s.t / 60, s.dataKiB]));
const bytesPerRound = slope(half.map((s) => [s.rounds, s.dataKiB * 1024]));
const heapKibPerMin = slope(half.map((s) => [s.t / 60, s.heapKiB]));
const judged = halfStart >= WARMUP_S && half.length >= 5;
console.log(
  `\n${last.rounds} rounds in ${last.t.toFixed(0)} s: ${last.tasks} tasks, ${last.waits} waits, ` +
    `${last.cancels} cancellations (${tally.injected} injected from outside), ` +
    `${tally.items} items, ${tally.timeouts} timeouts, ${tally.leases} pool leases, ` +
    `${tally.attempts} retry attempts`,
);
console.log(
  `post-GC heap: ${first.heapKiB.toFixed(0)} → ${last.heapKiB.toFixed(0)} KiB ` +
    `(data ${first.dataKiB.toFixed(0)} → ${last.dataKiB.toFixed(0)} KiB); ` +
    `second half (${half.length} samples from ${halfStart.toFixed(0)} s): ` +
    `data ${kibPerMin.toFixed(1)} KiB/min = ${bytesPerRound.toFixed(0)} bytes/round ` +
    `(whole heap ${heapKibPerMin.toFixed(1)} KiB/min); ` +
    (judged
      ? `tolerance ${SLOPE_TOLERANCE_KIB_PER_MIN} KiB/min`
      : `not judged: the second half starts inside V8's ${WARMUP_S} s warm-up (run 2 minutes or more)`),
);
if (judged && kibPerMin > SLOPE_TOLERANCE_KIB_PER_MIN) {
  fail(`the post-GC data heap grows ${kibPerMin.toFixed(1)} KiB/min over the second half`);
}
if (last.listeners !== 0) fail(`${last.listeners} abort listeners left on the long-lived signal`);
if (last.idle.tasksLiving !== 1 || last.idle.timers !== 0) {
  fail(`the loop ends with ${formatWithOptions({}, '%o', last.idle)}`);
}
if (last.hostCount > first.hostCount) {
  fail(`host resources grew from ${first.host} to ${last.host}`);
}
console.log(
  failures.size === 0
    ? `VERDICT: PASS — ${judged ? `flat data heap (${kibPerMin.toFixed(1)} KiB/min), ` : ''}every count back to zero after each of ${last.rounds} rounds`
    : `VERDICT: FAIL — ${failureCount} failure${failureCount === 1 ? '' : 's'} of ${failures.size} kind${failures.size === 1 ? '' : 's'}:\n` +
        [...failures.values()]
          .map(({ count, first }) => `  ${count}× ${first.split('\n')[0] ?? ''}`)
          .join('\n'),
);
process.exitCode = failures.size === 0 ? 0 : 1;
