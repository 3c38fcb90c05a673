// `npm run bench`: every (workload × implementation) cell in a fresh process,
// repeated and interleaved (rep 1 of every cell, then rep 2, …) so drift on a
// shared machine hits every cell alike; prints one markdown table per workload
// with the median, the spread, the ratio to raw, and the peak RSS. corio runs from
// dist/ (the script builds it first), as its users run it; see bench/cell.ts.
//
//   npm run bench                 5 repetitions, every cell at full N
//   npm run bench -- --quick      one pass, the slowest peers at a smaller N (under 2 min)
//   npm run bench -- --reps 7 --only W1,W8
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workloads } from './workloads.js';

interface Row {
  readonly workload: string;
  readonly impl: string;
  readonly n: number;
  readonly ok: boolean;
  readonly ms: number;
  readonly cpuMs: number;
  readonly peakRssMiB: number;
  readonly rssPerConnectionKiB?: number;
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const reps = Number(option('--reps') ?? (quick ? 1 : 5));
if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`--reps must be a positive integer`);
const only = option('--only')?.split(',');
const cellFile = join(dirname(fileURLToPath(import.meta.url)), 'cell.ts');
const tsxInWorkers = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'scripts',
  'tsx-in-workers.mjs',
);

const cells = Object.entries(workloads)
  .filter(([id]) => only === undefined || only.includes(id))
  .flatMap(([id, w]) =>
    Object.keys(w.impls).map((impl) => ({ id, impl, n: quick ? w.quickN?.[impl] : undefined })),
  );

const started = performance.now();
const rows: Row[] = [];
for (let rep = 1; rep <= reps; rep++) {
  for (const { id, impl, n } of cells) {
    const out = execFileSync(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        // Workers load TypeScript too (W12), also on Node 20.
        '--import',
        tsxInWorkers,
        cellFile,
        id,
        impl,
        ...(n === undefined ? [] : [String(n)]),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const row = JSON.parse(out.trim().split('\n').pop() as string) as Row;
    rows.push(row);
    process.stderr.write(
      `rep ${rep}/${reps} ${id} ${impl}: ${row.ms.toFixed(1)} ms${row.ok ? '' : ' WRONG'}\n`,
    );
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (x: number): string =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);

const seconds = (performance.now() - started) / 1000;
console.log(`# corio kernel benchmark\n`);
console.log(
  `node ${process.version}, ${reps} repetitions, one process per cell, ${seconds.toFixed(0)} s in all; ratio = median / median of raw.\n`,
);
for (const [id, w] of Object.entries(workloads)) {
  if (only !== undefined && !only.includes(id)) continue;
  console.log(`## ${id} ${w.title} (N = ${w.n.toLocaleString('en')})\n`);
  const of = (impl: string) => rows.filter((r) => r.workload === id && r.impl === impl);
  // W10 also reports the RSS each connection added; I/O workloads, CPU time.
  const perConnection = rows.some((r) => r.workload === id && r.rssPerConnectionKiB !== undefined);
  const cpu = w.cpu === true;
  console.log(
    `| impl | median ms | spread ms | ratio |${cpu ? ' median CPU ms | CPU ratio |' : ''} peak RSS MiB |${perConnection ? ' RSS/connection KiB |' : ''}`,
  );
  console.log(`|---|---:|---:|---:|${cpu ? '---:|---:|' : ''}---:|${perConnection ? '---:|' : ''}`);
  const rawMedian = median(of('raw').map((r) => r.ms));
  const rawCpu = median(of('raw').map((r) => r.cpuMs));
  const notes: string[] = [];
  for (const impl of Object.keys(w.impls)) {
    const rs = of(impl);
    const ms = rs.map((r) => r.ms);
    const wrong = rs.some((r) => !r.ok);
    const m = median(ms);
    const n = rs[0]?.n ?? w.n;
    // A cell run at a smaller N is compared per item: its time scaled to raw's N.
    const ratio = (m * (w.n / n)) / rawMedian;
    const mark = n === w.n ? '' : ' ‡';
    if (mark !== '')
      notes.push(`‡ ${impl} ran at N = ${n.toLocaleString('en')}; its ratio is per item.`);
    const cpuCells = cpu
      ? ` ${fmt(median(rs.map((r) => r.cpuMs)))} | ${((median(rs.map((r) => r.cpuMs)) * (w.n / n)) / rawCpu).toFixed(2)}x |`
      : '';
    const perConn = perConnection
      ? ` ${median(rs.map((r) => r.rssPerConnectionKiB ?? Number.NaN)).toFixed(1)} |`
      : '';
    console.log(
      `| ${impl}${mark} | ${wrong ? 'WRONG' : fmt(m)} | ${fmt(Math.min(...ms))}–${fmt(Math.max(...ms))} | ${ratio.toFixed(2)}x |${cpuCells} ${median(rs.map((r) => r.peakRssMiB)).toFixed(0)} |${perConn}`,
    );
  }
  console.log(notes.length > 0 ? `\n${notes.join('\n')}\n` : '');
}
