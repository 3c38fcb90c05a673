// `npm run bench:instructions`: what corio and the rows it is compared with cost
// in machine instructions, counted by valgrind's callgrind. The timed benchmark
// (bench/run.ts) is what users feel, but on a shared machine one run moves by
// 20 % or more; the count per item here is the same from run to run to a few parts
// in a thousand, whatever else the machine does. So it settles how much of a
// gap is corio's own work and how much the promise machinery, the write barrier
// and the collector that any code of that shape pays (docs/performance.md,
// "Instructions"). Instructions are not time: a cache miss costs more than an
// add, and the timed benchmark's compiler and collector work partly on the
// other core. Read the two side by side.
//
// Each cell runs in a process of its own, twice, in the shape of bench/cell.ts:
// `--warm` iterations and two forced collections, then the same and `--measure`
// more iterations; the difference is what the measured iterations cost, as the
// timed benchmark's measured iteration runs (start-up and module loading cancel
// out). Node runs `--predictable`: one thread (no concurrent compiler or
// collector, whose share of the work depends on timing), no memory reducer, and
// fixed random seeds. The forced collections matter: they free the maps of
// objects that all died, and the code compiled against those maps is thrown
// away and compiled again in the measured iteration (the "compiler and parser"
// column). Every row pays that, and the rows with more code to compile again
// pay more: corio more than raw. Spread over more iterations (`--measure`), it
// shrinks per item. `--no-gc` leaves the collections out; then the count moves
// with where each iteration falls in the collector's cycle (an old-generation
// collection in one iteration and not in the next), most in the cells that
// keep 100,000 objects alive (W1, W5, W7). The count covers the whole
// iteration: for W5 and W7 that is more than the part the timed benchmark
// measures (W7 there times only the cancelling). W5 also depends on the real
// clock (which sleeps fall due together), so its count is steady only to
// about 10 %.
//
// `--functions` names the compiled JavaScript: Node writes a map of the code it
// compiles (`--perf-basic-prof-only-functions`), and each row gets a table of
// the functions that cost most per item, and of how much ran in each
// compiler's code (TurboFan, Maglev, Sparkplug). callgrind counts by address,
// and a collection frees code whose place later code takes: what ran at such
// a place is named by the code written there last, and the table says how
// much that is. Writing the map costs instructions of its own and moves the
// collector's and the compiler's work: the counts differed from runs without
// it by -4 % to +15 % (W1 most, mainly the collector), so read the totals
// from a run without it.
//
//   npm run bench:instructions                    the default cells, on this Node
//   npm run bench:instructions -- --only W4,W1 --warm 1 --measure 2 --no-gc
//   npm run bench:instructions -- --only W1 --functions
//   npm run bench:instructions -- --only W1:corio,W2:corio-limiter
//
// Needs valgrind (Debian: apt-get install valgrind). Under callgrind a cell runs
// about fifty times slower: the default set takes about 40 minutes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { workloads } from './workloads.js';

// Each workload's raw row, the floor of corio's shape where it has one, and
// corio's rows (docs/performance.md, "Floors"). Only W1–W8: the I/O workloads
// find files next to their module, which the bundle below moves.
const defaultCells: Readonly<Record<string, readonly string[]>> = {
  W1: ['raw', 'floor-context', 'corio'],
  W2: [
    'raw',
    'floor-callback-als',
    'corio-forEach',
    'floor-map-als',
    'corio-map',
    'floor-task-limiter',
    'corio-limiter',
  ],
  W3a: ['raw', 'corio-queue', 'corio-channel'],
  W3b: ['raw', 'corio-queue', 'corio-channel'],
  W4: ['raw', 'floor-checked', 'corio'],
  W5: ['raw', 'corio-sleep'],
  W7: ['raw', 'floor-rethrow', 'corio'],
  W8: ['raw', 'corio'],
};
// The floor each corio row is read against.
const floorOf: Readonly<Record<string, string>> = {
  'W1/corio': 'floor-context',
  'W2/corio-forEach': 'floor-callback-als',
  'W2/corio-map': 'floor-map-als',
  'W2/corio-limiter': 'floor-task-limiter',
  'W4/corio': 'floor-checked',
  'W7/corio': 'floor-rethrow',
};

// The arguments, checked before the first cell runs: a typo found twenty
// minutes in costs twenty minutes.
const args = process.argv.slice(2);
const options = new Map<string, string | true>();
for (let i = 0; i < args.length; i++) {
  const name = args[i] as string;
  if (name === '--no-gc' || name === '--functions') {
    options.set(name, true);
  } else if (name === '--only' || name === '--warm' || name === '--measure') {
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw new TypeError(`${name} needs a value`);
    options.set(name, value);
    i++;
  } else {
    throw new TypeError(
      `unknown argument ${JSON.stringify(name)}: the options are --only W1,W4, --warm K, --measure M, --no-gc and --functions`,
    );
  }
}
const count = (name: string, fallback: number): number => {
  const text = options.get(name) ?? String(fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, not ${JSON.stringify(text)}`);
  }
  return value;
};
const warm = count('--warm', 1);
const measure = count('--measure', 1);
const forcedGc = !options.has('--no-gc');
const byFunction = options.has('--functions');
const onlyOption = options.get('--only');
// `--only W1,W2:corio-limiter`: whole workloads, or one row of one (its ratios
// are then left blank where the raw or floor row is not counted beside it).
const only = typeof onlyOption === 'string' ? onlyOption.split(',') : undefined;
const picked = new Map<string, Set<string> | 'all'>();
for (const entry of only ?? []) {
  const [id = '', impl] = entry.split(':');
  if (!Object.hasOwn(defaultCells, id)) {
    throw new RangeError(`--only: ${id} is not one of ${Object.keys(defaultCells).join(', ')}`);
  }
  if (impl === undefined) picked.set(id, 'all');
  else {
    if (!defaultCells[id]?.includes(impl)) {
      throw new RangeError(
        `--only: ${impl} is not one of ${id}'s rows (${defaultCells[id]?.join(', ') ?? ''})`,
      );
    }
    const rows = picked.get(id);
    if (rows === undefined) picked.set(id, new Set([impl]));
    else if (rows !== 'all') rows.add(impl);
  }
}
const selected = Object.entries(defaultCells)
  .filter(([id]) => only === undefined || picked.has(id))
  .map(([id, impls]): [string, readonly string[]] => {
    const rows = picked.get(id);
    return [id, rows === undefined || rows === 'all' ? impls : impls.filter((i) => rows.has(i))];
  });
for (const [id, impls] of selected) {
  for (const impl of impls) {
    if (workloads[id]?.impls[impl] === undefined)
      throw new Error(`bench/workloads.ts has no ${id}/${impl}`);
  }
}

for (const tool of ['valgrind', 'callgrind_annotate']) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // callgrind_annotate exits 255 on --version; only a missing program matters.
    if ((error as { code?: unknown }).code === 'ENOENT') {
      console.error(`bench:instructions needs ${tool} (Debian: apt-get install valgrind)`);
      process.exit(1);
    }
  }
}

// Where the instructions go, by the name callgrind gives each function of the
// node binary (V8's builtins are named Builtins_*). Code V8 compiled at run time
// has no name: it is JavaScript, the cell's, corio's and Node's own (lib/, and
// on Node 20 the AsyncLocalStorage promise hooks).
const categories = [
  'JavaScript (compiled)',
  'promises and await',
  'interpreter',
  'inline caches',
  'other builtins',
  'write barrier',
  'collector',
  'compiler and parser',
  'runtime (C++)',
] as const;
type Category = (typeof categories)[number];
const categorize = (fn: string): Category => {
  if (/^\?\?\?:0x[0-9a-f]+ \[\?\?\?\]$/.test(fn)) return 'JavaScript (compiled)';
  if (fn.includes('Builtins_RecordWrite')) return 'write barrier';
  if (fn.includes('Builtins_')) {
    // The bytecodes that suspend and resume a generator or an async function
    // count as await, not as the interpreter.
    if (/Promise|Async|Await|Microtask|Generator|Resume/.test(fn)) return 'promises and await';
    if (/Handler\b|Builtins_Interpreter/.test(fn)) return 'interpreter';
    if (/IC(_|\b|Trampoline|Baseline)/.test(fn)) return 'inline caches';
    return 'other builtins';
  }
  if (/compiler::|maglev::|baseline::|Parser|Scanner|Compil|Zone/.test(fn)) {
    return 'compiler and parser';
  }
  if (
    /heap::|Heap::|Scaveng|Mark|Sweep|Evacuat|GC|IterateObjectCache|RememberedSet|SlotSet|SizeFromMap/.test(
      fn,
    )
  ) {
    return 'collector';
  }
  return 'runtime (C++)';
};

interface Count {
  readonly total: number;
  readonly by: Record<Category, number>;
  /**
   * With --functions: compiled JavaScript by function, keyed `compiler\tname\tplace`.
   * `shared` is what ran where other code also started: in one process's
   * count, instructions; per item, the fraction of the measured process's count.
   */
  readonly functions: Map<string, { ir: number; shared: number }>;
}

// With --functions, Node writes the code of each JavaScript function it
// compiles (not regexp code or V8's stubs) to perf-<pid>.map (start, size,
// name): the code callgrind cannot name. Nodes 22 and later write it where
// --perf-basic-prof-path says, into the scratch dir; Node 20's V8 has no such
// flag and writes it to /tmp. A name reads `JS:*'fn file:///…:line:col` (no
// `'` before Node 24); the mark says which compiler made the code: TurboFan (*),
// Maglev (+) or Sparkplug (^), after an `o` for code entered in the middle of
// a running loop (on-stack replacement, Node 26). Bytecode the interpreter
// runs is counted under "interpreter", not here.
const tiers: Readonly<Record<string, string>> = {
  '*': 'TurboFan',
  '+': 'Maglev',
  '^': 'Sparkplug',
};
const tierOrder = ['TurboFan', 'Maglev', 'Sparkplug', 'other'];
const mapInScratch = Number(process.versions.node.split('.')[0]) >= 22;
interface CodeEntry {
  readonly start: number;
  readonly end: number;
  /** `compiler\tname\tplace` */
  readonly name: string;
}
interface CodeMap {
  /** By start; entries that start at one place in the order node wrote them. */
  readonly entries: readonly CodeEntry[];
  readonly longest: number;
}
const readCodeMap = (path: string): CodeMap => {
  const entries = readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line): CodeEntry[] => {
      const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
      if (m === null) return [];
      const start = Number.parseInt(m[1] as string, 16);
      return [
        { start, end: start + Number.parseInt(m[2] as string, 16), name: nameOf(m[3] as string) },
      ];
    })
    // A stable sort: code written later at the same start stays after.
    .sort((a, b) => a.start - b.start);
  return { entries, longest: entries.reduce((most, e) => Math.max(most, e.end - e.start), 0) };
};
// `JS:*'name place`: the place is the last word (a getter's name has a space).
const nameOf = (text: string): string => {
  const m = /^JS:(o?)([*+^~])'?(.*?) ?(\S+)$/.exec(text);
  if (m === null) return `other\t${text}\t`;
  const name = `${m[3] === '' ? '(anonymous)' : m[3]}${m[1] === 'o' ? ' (OSR)' : ''}`;
  const where = (m[4] as string)
    .replace(`file://${root}/`, '')
    .replace(`file://${cellFile}`, 'the cell');
  return `${tiers[m[2] as string] ?? 'other'}\t${name}\t${where}`;
};
// An address where more than one piece of code started over the run (another
// function's, or the same function's from another compiler: code freed by a
// collection, or replaced, leaves its place to code compiled later) is
// "shared": callgrind counts by address, so what ran there is named by the
// code written there last, which may not be all that ran there. Only a
// different name marks it: the same function compiled again by the same
// compiler at the same place is not told apart.
const nameAt = (map: CodeMap, address: number): { name: string; shared: boolean } => {
  const { entries } = map;
  // The last entry that starts at or before the address…
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as CodeEntry).start <= address) lo = mid + 1;
    else hi = mid;
  }
  // …then back to the first that holds it: the code that starts nearest to the
  // address, and of code at the same start the last written. An address
  // callgrind names is where code was entered, usually by a call at its start
  // (Sparkplug's a few bytes in; handlers and on-stack replacement enter in
  // the middle).
  let found = -1;
  for (let i = lo - 1; i >= 0; i--) {
    const e = entries[i] as CodeEntry;
    if (e.start <= address - map.longest) break;
    if (address < e.end) {
      found = i;
      break;
    }
  }
  if (found < 0) return { name: 'other\tcode with no name\t', shared: false };
  const { start, name } = entries[found] as CodeEntry;
  // Entries that start at one place lie together in the sorted map.
  let shared = false;
  for (let i = found - 1; i >= 0 && (entries[i] as CodeEntry).start === start; i--) {
    if ((entries[i] as CodeEntry).name !== name) shared = true;
  }
  for (let i = found + 1; i < entries.length && (entries[i] as CodeEntry).start === start; i++) {
    if ((entries[i] as CodeEntry).name !== name) shared = true;
  }
  return { name, shared };
};

// The cells run as plain JavaScript: through tsx, start-up would cost three times
// an iteration under callgrind. The bundle is written outside the project, so
// its imports of packages (corio's dist/ through its exports, the peers) point
// at the files they resolve to from here; `keepNames` as tsx compiles the
// bench for bench/run.ts, so the cells' own code is the same.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'corio-instructions-'));
const cellFile = join(scratch, 'instr-cell.mjs');

const countCell = (id: string, impl: string, measured: number): Count => {
  const out = join(scratch, `${id}-${impl}-${measured}.out`);
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--quiet',
      `--callgrind-out-file=${out}`,
      // Code V8 writes at run time, and rewrites in place, is re-read.
      '--smc-check=all-non-file',
      process.execPath,
      ...(byFunction
        ? [
            '--perf-basic-prof-only-functions',
            ...(mapInScratch ? [`--perf-basic-prof-path=${scratch}`] : []),
            // Nodes 24 and 26 then also write V8's log, by default into the
            // working directory (the project).
            '--no-logfile-per-isolate',
            `--logfile=${join(scratch, 'v8.log')}`,
          ]
        : []),
      '--predictable',
      '--expose-gc',
      cellFile,
      id,
      impl,
      String(warm),
      String(measured),
      forcedGc ? 'gc' : 'no-gc',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24, encoding: 'utf8' },
  );
  // valgrind runs node in the process it was started as, so node's pid is
  // run.pid, and the map is named by it.
  const mapFile = join(mapInScratch ? scratch : '/tmp', `perf-${run.pid}.map`);
  if (run.error !== undefined || run.status !== 0) {
    if (byFunction) rmSync(mapFile, { force: true });
    // A spawn that failed (no valgrind) has no stderr, whatever the types say.
    const stderr = run.stderr as string | null | undefined;
    const tail = (stderr ?? '').trim().split('\n').slice(-20).join('\n');
    throw new Error(
      `${id}/${impl} failed under callgrind (${run.error !== undefined ? run.error.message : run.status === null ? `signal ${run.signal}` : `exit code ${run.status}`}):\n${tail}`,
      { cause: run.error },
    );
  }
  let codeMap: CodeMap | null = null;
  if (byFunction) {
    if (!existsSync(mapFile)) {
      throw new Error(
        `${id}/${impl}: node wrote no code map at ${mapFile} (--perf-basic-prof-only-functions)`,
      );
    }
    codeMap = readCodeMap(mapFile);
    rmSync(mapFile);
  }
  // Every function (a threshold of 100 %), and no source annotation: its inclusive
  // lines would count callees twice.
  const annotated = execFileSync('callgrind_annotate', ['--threshold=100', '--auto=no', out], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  rmSync(out);
  const by = Object.fromEntries(categories.map((c) => [c, 0])) as Record<Category, number>;
  const functions = new Map<string, { ir: number; shared: number }>();
  let total = -1;
  let sum = 0;
  for (const line of annotated.split('\n')) {
    const m = /^\s*([\d,]+)(?: \([^)]*\))?\s+(\S.*)$/.exec(line);
    if (m === null) continue;
    const ir = Number((m[1] as string).replaceAll(',', ''));
    const fn = m[2] as string;
    if (fn.includes('PROGRAM TOTALS')) {
      total = ir;
      continue;
    }
    const category = categorize(fn);
    by[category] += ir;
    sum += ir;
    if (codeMap !== null && category === 'JavaScript (compiled)') {
      const { name, shared } = nameAt(codeMap, Number.parseInt(fn.slice(4), 16));
      const entry = functions.get(name) ?? { ir: 0, shared: 0 };
      entry.ir += ir;
      if (shared) entry.shared += ir;
      functions.set(name, entry);
    }
  }
  // A format this parser does not know would print zeros, not fail.
  if (total <= 0 || Math.abs(sum - total) > total * 0.001) {
    throw new Error(
      `${id}/${impl}: callgrind_annotate's functions add up to ${sum}, its total is ${total}`,
    );
  }
  return { total, by, functions };
};

// The compiled-JavaScript column of one row, by function: the functions that
// cost most per item, and how much of the column each compiler's code ran.
const printFunctions = (id: string, impl: string, c: Count): void => {
  const rows = [...c.functions].sort((x, y) => y[1].ir - x[1].ir);
  const byTier = new Map<string, number>();
  for (const [key, f] of rows) {
    const tier = key.split('\t')[0] as string;
    byTier.set(tier, (byTier.get(tier) ?? 0) + f.ir);
  }
  const rest = rows.slice(15).reduce((sum, [, f]) => sum + f.ir, 0);
  console.log(`### ${id} ${impl}: compiled JavaScript by function, per item\n`);
  console.log(
    `In all ${fmt(c.by['JavaScript (compiled)'])}; by compiler: ${tierOrder
      .filter((tier) => byTier.has(tier))
      .map((tier) => `${tier} ${fmt(byTier.get(tier) as number)}`)
      .join(
        ', ',
      )}. Each figure is the difference of two processes, matched by name, so one can come out below zero. "Shared": the share of the function's count in the measured process (start-up and warm-up included) that ran where other code had also started, and may be that code's.\n`,
  );
  console.log('| function | where | compiler | per item | shared |');
  console.log('|---|---|---|---:|---:|');
  for (const [key, f] of rows.slice(0, 15)) {
    const [tier, name, where] = key.split('\t') as [string, string, string];
    const shared = f.shared >= 0.005 ? `${Math.round(f.shared * 100)} %` : '';
    console.log(
      `| ${name.replaceAll('|', '\\|')} | ${where} | ${tier} | ${fmt(f.ir)} | ${shared} |`,
    );
  }
  console.log(`| every other function | | | ${fmt(rest)} | |\n`);
};

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));
try {
  await build({
    entryPoints: [join(root, 'bench', 'instr-cell.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    keepNames: true,
    outfile: cellFile,
    logLevel: 'warning',
    plugins: [
      {
        name: 'packages-from-here',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (a) => {
            if (a.path.startsWith('node:')) return { path: a.path, external: true };
            const path = import.meta.resolve(a.path);
            // Under --conditions=corio-source, corio resolves to its TypeScript,
            // which plain Node cannot run: the benchmark measures dist/.
            if (path.endsWith('.ts')) {
              throw new Error(`${a.path} resolves to ${path}: run without corio-source`);
            }
            return { path, external: true };
          });
        },
      },
    ],
  });
  const started = performance.now();
  console.log('# corio instruction counts\n');
  console.log(
    `node ${process.version}, \`--predictable\`; instructions per item over ${measure} iteration(s) after ${warm} warm one(s)${forcedGc ? ' and two forced collections' : ''}, counted by callgrind${byFunction ? '; with `--functions`, which writes a code map and so changes the counts: read the totals from a run without it' : ''}.\n`,
  );
  for (const [id, impls] of selected) {
    const w = workloads[id];
    if (w === undefined) throw new Error(`no workload ${id}`);
    const perItem = new Map<string, Count>();
    for (const impl of impls) {
      const a = countCell(id, impl, 0);
      const b = countCell(id, impl, measure);
      const items = measure * w.n;
      const by = Object.fromEntries(
        categories.map((c) => [c, (b.by[c] - a.by[c]) / items]),
      ) as Record<Category, number>;
      const functions = new Map<string, { ir: number; shared: number }>();
      for (const key of new Set([...a.functions.keys(), ...b.functions.keys()])) {
        const before = a.functions.get(key) ?? { ir: 0, shared: 0 };
        const after = b.functions.get(key) ?? { ir: 0, shared: 0 };
        functions.set(key, {
          ir: (after.ir - before.ir) / items,
          // The share of the measured process's own count: the difference of
          // two processes' shares would mean nothing.
          shared: after.ir > 0 ? after.shared / after.ir : 0,
        });
      }
      const total = (b.total - a.total) / items;
      perItem.set(impl, { total, by, functions });
      process.stderr.write(`${id} ${impl}: ${fmt(total)} per item\n`);
    }
    console.log(`## ${id} ${w.title} (N = ${w.n.toLocaleString('en')})\n`);
    console.log(`| impl | per item | ÷ raw | ÷ floor | ${categories.join(' | ')} |`);
    console.log(`|---|---:|---:|---:|${categories.map(() => '---:').join('|')}|`);
    const raw = perItem.get('raw')?.total ?? Number.NaN;
    const floorCell = (impl: string, c: Count): string => {
      const floor = perItem.get(floorOf[`${id}/${impl}`] ?? '');
      return floor === undefined ? '' : `${(c.total / floor.total).toFixed(2)}x`;
    };
    for (const [impl, c] of perItem) {
      console.log(
        `| ${impl} | ${fmt(c.total)} | ${Number.isNaN(raw) ? '' : `${(c.total / raw).toFixed(2)}x`} | ${floorCell(impl, c)} | ${categories.map((k) => fmt(c.by[k])).join(' | ')} |`,
      );
    }
    console.log('');
    if (byFunction) for (const [impl, c] of perItem) printFunctions(id, impl, c);
  }
  console.log(`${((performance.now() - started) / 1000).toFixed(0)} s in all.`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
