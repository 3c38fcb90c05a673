// `npm run bench`: every (workload × implementation) cell in a fresh process,
// repeated and interleaved (rep 1 of every cell, then rep 2, …) so drift on a
// shared machine hits every cell alike; prints one markdown table per workload
// with the median, the spread, the ratio to raw, and the peak RSS.
//
//   npm run bench                 5 repetitions
//   npm run bench -- --quick      3 repetitions
//   npm run bench -- --reps 7 --only W1,W8
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workloads } from './workloads.js';

interface Row {
  readonly workload: string;
  readonly impl: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly peakRssMiB: number;
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const reps = Number(option('--reps') ?? (args.includes('--quick') ? 3 : 5));
const only = option('--only')?.split(',');
const cellFile = join(dirname(fileURLToPath(import.meta.url)), 'cell.ts');

const cells = Object.entries(workloads)
  .filter(([id]) => only === undefined || only.includes(id))
  .flatMap(([id, w]) => Object.keys(w.impls).map((impl) => ({ id, impl })));

const rows: Row[] = [];
for (let rep = 1; rep <= reps; rep++) {
  for (const { id, impl } of cells) {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--conditions=corio-source', '--import', 'tsx', cellFile, id, impl],
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

console.log(`# corio kernel benchmark\n`);
console.log(
  `node ${process.version}, ${reps} repetitions, one process per cell; ratio = median / median of raw.\n`,
);
for (const [id, w] of Object.entries(workloads)) {
  if (only !== undefined && !only.includes(id)) continue;
  console.log(`## ${id} ${w.title} (N = ${w.n.toLocaleString('en')})\n`);
  console.log('| impl | median ms | spread ms | ratio | peak RSS MiB |');
  console.log('|---|---:|---:|---:|---:|');
  const of = (impl: string) => rows.filter((r) => r.workload === id && r.impl === impl);
  const rawMedian = median(of('raw').map((r) => r.ms));
  for (const impl of Object.keys(w.impls)) {
    const rs = of(impl);
    const ms = rs.map((r) => r.ms);
    const wrong = rs.some((r) => !r.ok);
    const m = median(ms);
    console.log(
      `| ${impl} | ${wrong ? 'WRONG' : fmt(m)} | ${fmt(Math.min(...ms))}–${fmt(Math.max(...ms))} | ${(m / rawMedian).toFixed(2)}x | ${median(rs.map((r) => r.peakRssMiB)).toFixed(0)} |`,
    );
  }
  console.log('');
}
