// Measures explore()'s bar on the catalogue of test/explore/catalogue.ts:
// each bug found in >= 99 of 100 seeds with a median <= 10 runs, every failure
// replays (replaySchedule() throws the same kind of ScheduleFailure), and no
// fixed twin fails in 2,000 runs. Prints one line per program.
//
//   npm run explore:catalogue [-- --seeds 100 --fixed-runs 2000 --only <substring>]
import { explore, replaySchedule, ScheduleFailure } from 'corio/testing';
import { catalogue } from '../test/explore/catalogue.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
};
const seeds = Number(arg('seeds', '100'));
const fixedRuns = Number(arg('fixed-runs', '2000'));
const only = arg('only', '');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

let ok = true;
console.log(
  `explore() catalogue: ${seeds} seeds per bug (default options), fixed twins ${fixedRuns} runs, Node ${process.version}`,
);
console.log(
  'program                              found  median  max  replayed  deviations  fixed   ms',
);
for (const program of catalogue) {
  if (only !== '' && !program.name.includes(only)) continue;
  const t0 = performance.now();
  const found: number[] = [];
  const deviations: number[] = [];
  let replayed = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    try {
      await explore(program.bug, { seed });
    } catch (error) {
      if (!(error instanceof ScheduleFailure)) throw error;
      found.push(error.run);
      deviations.push(error.deviations.length);
      try {
        await replaySchedule(error.token, program.bug);
      } catch (again) {
        if (again instanceof ScheduleFailure && again.kind === error.kind) replayed++;
      }
    }
  }
  let fixedFailures = 0;
  for (let done = 0, seed = 1; done < fixedRuns; seed++) {
    const runs = Math.min(200, fixedRuns - done);
    try {
      await explore(program.fixed, { seed: 10_000 + seed, runs });
    } catch (error) {
      fixedFailures++;
      console.log(`  fixed twin failed (seed ${10_000 + seed}):`, error);
    }
    done += runs;
  }
  const pass =
    found.length >= Math.ceil(seeds * 0.99) &&
    median(found) <= 10 &&
    replayed === found.length &&
    fixedFailures === 0;
  if (!pass) ok = false;
  console.log(
    `${program.name.padEnd(36)} ${String(found.length).padStart(4)}/${seeds}  ${String(median(found)).padStart(5)}  ${String(Math.max(...found)).padStart(4)}  ${String(replayed).padStart(5)}/${found.length}  ${`med ${median(deviations)} max ${Math.max(...deviations)}`.padStart(10)}  ${fixedFailures === 0 ? 'pass' : 'FAIL'}  ${(performance.now() - t0).toFixed(0).padStart(5)}${pass ? '' : '  <- misses the bar'}`,
  );
}
process.exitCode = ok ? 0 : 1;
