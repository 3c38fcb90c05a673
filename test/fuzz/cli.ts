/**
 * `npm run fuzz -- [--runs N] [--seed S] [--path P] [--time SECONDS]
 * [--families a,b] [--scale K] [--hang MS] [--no-shrink] [--ignore REGEX]
 * [--strict] [--trace] [--json]`: runs the randomized cancellation fuzzer for long, or
 * replays one failure (`--seed S --path P`, as printed by a failing run). Prints
 * the figures (programs, operations, seed, time) and, on failure, the shrunk
 * program and its violations; exits 1 then. `--ignore` drops the violations a
 * regular expression matches, to look past a known bug; the open findings
 * (`open-findings.ts`) are looked past unless `--strict`. `--trace` reruns the
 * failing program printing what each task did when. `--scale K` makes programs
 * up to K times larger. `--json` adds one
 * machine-readable line at the end (the mutant runner reads it).
 */
import { parseArgs } from 'node:util';
import { type FuzzReport, formatReport, fuzz, runProgram } from './harness.js';
import { OPEN_FINDINGS, openFindings } from './open-findings.js';
import { FAMILIES, type Family } from './program.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    time: { type: 'string' },
    families: { type: 'string' },
    hang: { type: 'string', default: '3000' },
    'no-shrink': { type: 'boolean', default: false },
    ignore: { type: 'string' },
    strict: { type: 'boolean', default: false },
    scale: { type: 'string', default: '1' },
    trace: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

function int(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`--${name} must be an integer >= 0, got ${text}`);
  return n;
}

const families = values.families?.split(',').map((f) => {
  if (!(FAMILIES as readonly string[]).includes(f)) {
    throw new RangeError(`--families: unknown family ${f}; known: ${FAMILIES.join(', ')}`);
  }
  return f as Family;
});
const open = values.strict ? undefined : openFindings();
const patterns = [values.ignore, open?.source].filter((x) => x !== undefined);
const ignore = patterns.length === 0 ? undefined : new RegExp(patterns.join('|'));
if (open !== undefined) {
  console.log(`looking past ${OPEN_FINDINGS.length} open finding(s) (--strict does not):`);
  for (const f of OPEN_FINDINGS) console.log(`  ${f.finding}`);
}
const seed = int('seed', values.seed) ?? (Math.random() * 2 ** 31) | 0;
const time = int('time', values.time);
const started = performance.now();
const report: FuzzReport = await fuzz({
  runs: int('runs', values.runs) ?? 2000,
  seed,
  hangMs: int('hang', values.hang) ?? 3000,
  noShrink: values['no-shrink'],
  scale: Math.max(1, int('scale', values.scale) ?? 1),
  ...(ignore === undefined ? {} : { ignore }),
  ...(values.path === undefined ? {} : { path: values.path }),
  ...(time === undefined ? {} : { timeLimitMs: time * 1000 }),
  ...(families === undefined ? {} : { families }),
});
const seconds = (performance.now() - started) / 1000;
console.log(formatReport(report));
console.log(
  `${seconds.toFixed(1)} s: ${(report.programs / seconds).toFixed(0)} programs/s, ${(report.ops / seconds).toFixed(0)} operations/s`,
);
if (values.trace && report.counterexample !== null) {
  console.log('trace of the program (time task: event):');
  await runProgram(report.counterexample, { ops: 0 }, int('hang', values.hang), (line) => {
    console.log(`  ${line}`);
  });
}
if (values.json) console.log(JSON.stringify({ ...report, seconds }));
// A hung program may leave its loop running: do not wait for it.
process.exit(report.failed ? 1 : 0);
