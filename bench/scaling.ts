// `npm run bench:scaling`: W1 (spawn-join), W5 (sleeps) and W7 (cancel sleepers)
// at 10k, 100k and 1M items, corio beside raw promise code, each cell in a fresh
// process (bench/cell.ts), repeated; prints the CPU cost per item and writes the
// curves as a small self-contained SVG (docs/scaling.svg) for docs/performance.md.
// Flat lines mean the cost per item does not grow with N.
//
//   npm run bench:scaling                   3 repetitions
//   npm run bench:scaling -- --reps 1 --out /tmp/scaling.svg
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const reps = Number(option('--reps') ?? 3);
if (!Number.isInteger(reps) || reps < 1) throw new RangeError('--reps must be a positive integer');
const out = option('--out') ?? join(here, '..', 'docs', 'scaling.svg');

const SIZES = [10_000, 100_000, 1_000_000];
const SERIES = [
  { workload: 'W1', impl: 'corio', label: 'W1 spawn-join, corio' },
  { workload: 'W1', impl: 'raw', label: 'W1 spawn-join, raw' },
  { workload: 'W5', impl: 'corio-sleep', label: 'W5 sleeps, corio' },
  { workload: 'W5', impl: 'raw', label: 'W5 sleeps, raw' },
  { workload: 'W7', impl: 'corio', label: 'W7 cancel sleepers, corio' },
  { workload: 'W7', impl: 'raw', label: 'W7 cancel sleepers, raw' },
] as const;

interface Cell {
  readonly ok: boolean;
  readonly ms: number;
  readonly cpuMs: number;
}

function cell(workload: string, impl: string, n: number): Cell {
  const stdout = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-old-space-size=8192',
      '--import',
      'tsx',
      join(here, 'cell.ts'),
      workload,
      impl,
      String(n),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Cell;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

// µs of CPU per item, median of the repetitions, per series and size.
const results = SERIES.map((series) => ({
  ...series,
  points: SIZES.map((n) => {
    const samples: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const c = cell(series.workload, series.impl, n);
      if (!c.ok) throw new Error(`${series.workload}/${series.impl} at ${n} gave a wrong result`);
      samples.push((c.cpuMs * 1000) / n);
      process.stderr.write(
        `${series.label} n=${n}: ${((c.cpuMs * 1000) / n).toFixed(2)} µs/item\n`,
      );
    }
    return { n, usPerItem: median(samples) };
  }),
}));

console.log(`\nNode ${process.version}, ${reps} repetition(s), CPU µs per item (median):\n`);
console.log(`| series | ${SIZES.map((n) => n.toLocaleString('en')).join(' | ')} |`);
console.log(`|---|${SIZES.map(() => '---:').join('|')}|`);
for (const r of results) {
  console.log(`| ${r.label} | ${r.points.map((p) => p.usPerItem.toFixed(2)).join(' | ')} |`);
}

writeFileSync(out, svg(results));
console.log(`\nwrote ${out}`);

function svg(series: typeof results): string {
  const W = 640;
  const H = 320;
  const m = { left: 56, right: 200, top: 24, bottom: 40 };
  const maxY = Math.max(...series.flatMap((s) => s.points.map((p) => p.usPerItem))) * 1.1;
  const x = (n: number): number =>
    m.left +
    ((Math.log10(n) - 4) / (Math.log10(SIZES[SIZES.length - 1] as number) - 4)) *
      (W - m.left - m.right);
  const y = (v: number): number => H - m.bottom - (v / maxY) * (H - m.top - m.bottom);
  const colours = ['#1f6feb', '#8ab4f8', '#d1242f', '#f4a3a8', '#1a7f37', '#8fd19e'];
  const dash = (i: number): string => (i % 2 === 1 ? ' stroke-dasharray="5 3"' : '');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left}" y="14" font-size="12">CPU µs per item vs N (${process.version}); flat = no superlinear growth</text>`,
    `<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#444"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#444"/>`,
  ];
  for (const n of SIZES) {
    parts.push(
      `<text x="${x(n)}" y="${H - m.bottom + 16}" text-anchor="middle">${n.toLocaleString('en')}</text>`,
    );
  }
  for (let k = 0; k <= 4; k++) {
    const v = (maxY * k) / 4;
    parts.push(
      `<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
      `<line x1="${m.left}" y1="${y(v)}" x2="${W - m.right}" y2="${y(v)}" stroke="#eee"/>`,
    );
  }
  series.forEach((s, i) => {
    const colour = colours[i % colours.length] as string;
    const path = s.points.map((p) => `${x(p.n).toFixed(1)},${y(p.usPerItem).toFixed(1)}`);
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash(i)} points="${path.join(' ')}"/>`,
      ...s.points.map(
        (p) =>
          `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.usPerItem).toFixed(1)}" r="3" fill="${colour}"/>`,
      ),
      `<line x1="${W - m.right + 12}" y1="${m.top + 8 + i * 18}" x2="${W - m.right + 32}" y2="${m.top + 8 + i * 18}" stroke="${colour}" stroke-width="2"${dash(i)}/>`,
      `<text x="${W - m.right + 38}" y="${m.top + 12 + i * 18}">${s.label}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
