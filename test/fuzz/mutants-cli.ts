/**
 * `npm run fuzz:mutants -- [--budget SECONDS] [--runs N] [--seed S] [--only a,b]
 * [--baseline] [--against REF] [--ignore REGEX] [--families a,b] [--hang MS]`: shows that the fuzzer catches bugs. For each
 * mutant of `mutants.ts` it copies the project (package.json, src/, test/fuzz/,
 * with node_modules linked) to a temporary directory, applies the breakage there,
 * runs the fuzzer on the copy with a fixed seed and a time budget, and prints
 * whether it was caught, after how many programs, and the first violation.
 * `--baseline` first runs the unbroken copy (it must pass); `--against REF` runs
 * the fuzzer once on the `src/` of git revision REF instead (to show it finds the
 * real bugs of an older corio). `--ignore` passes a regular expression of
 * violations to look past (a known open bug) on to the fuzzer, so that the
 * baseline passes and a mutant counts as caught only for what it broke;
 * `--families`, `--hang` and `--strict` are passed on as well (the fuzzer
 * looks past the open findings of `open-findings.ts` unless `--strict`). The real
 * `src/` is never touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MUTANTS, type Mutant } from './mutants.js';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '60' },
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    baseline: { type: 'boolean', default: false },
    against: { type: 'string' },
    ignore: { type: 'string' },
    families: { type: 'string' },
    hang: { type: 'string', default: '2000' },
    strict: { type: 'boolean', default: false },
  },
});

const root = resolve(import.meta.dirname, '../..');

/** A copy of the project to break: the fuzzer resolves `corio` to the copy's src/. */
function copyProject(srcRef?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'corio-mutant-'));
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'test/fuzz'), join(dir, 'test/fuzz'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  if (srcRef === undefined) cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  else {
    const tar = execFileSync('git', ['archive', srcRef, 'src'], { cwd: root, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return dir;
}

function mutate(dir: string, m: Mutant): void {
  const path = join(dir, m.file);
  const text = readFileSync(path, 'utf8');
  const count = text.split(m.search).length - 1;
  if (count !== 1) throw new Error(`stale: its search text occurs ${count} times in ${m.file}`);
  writeFileSync(path, text.replace(m.search, m.replace));
}

interface Result {
  readonly failed: boolean;
  readonly runs: number;
  readonly programs: number;
  readonly ops: number;
  readonly seconds: number;
  readonly violations: readonly string[];
}

function fuzzIn(dir: string): Result {
  const args = [
    '--conditions=corio-source',
    '--import',
    'tsx',
    'test/fuzz/cli.ts',
    '--runs',
    values.runs,
    '--seed',
    values.seed,
    '--time',
    values.budget,
    '--hang',
    values.hang,
    '--no-shrink',
    '--json',
    ...(values.ignore === undefined ? [] : ['--ignore', values.ignore]),
    ...(values.families === undefined ? [] : ['--families', values.families]),
    ...(values.strict ? ['--strict'] : []),
  ];
  const out = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = out.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Result;
  } catch {
    throw new Error(`the fuzzer did not report (exit ${out.status}): ${out.stderr.slice(-2000)}`);
  }
}

function line(name: string, r: Result, expectCaught: boolean): string {
  const figures = `${r.runs} programs, ${r.ops} operations, ${r.seconds.toFixed(1)} s`;
  if (!r.failed) return `${expectCaught ? 'NOT CAUGHT' : 'passed    '}  ${name}: ${figures}`;
  const first = r.violations[0] ?? '';
  return `${expectCaught ? 'caught    ' : 'FAILED    '}  ${name}: after ${figures}\n              ${first}`;
}

console.log(
  `fuzzer: seed ${values.seed}, at most ${values.runs} programs or ${values.budget} s per run, no shrinking${values.ignore === undefined ? '' : `, ignoring /${values.ignore}/`}`,
);
if (values.against !== undefined) {
  const dir = copyProject(values.against);
  try {
    console.log(line(`src/ of ${values.against}`, fuzzIn(dir), true));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
if (values.baseline) {
  const dir = copyProject();
  try {
    console.log(line('(no mutation)', fuzzIn(dir), false));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const only = values.only?.split(',');
let missed = 0;
for (const m of MUTANTS) {
  if (only !== undefined && !only.includes(m.name)) continue;
  const dir = copyProject();
  try {
    mutate(dir, m);
    const r = fuzzIn(dir);
    if (!r.failed) missed++;
    console.log(line(m.name, r, true));
  } catch (error) {
    missed++;
    console.log(`ERROR       ${m.name}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(missed === 0 ? 0 : 1);
