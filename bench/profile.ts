// `node --import tsx bench/profile.ts <workload> <impl> [N] [--iterations K] [--top T]`:
// where one benchmark cell's wall time goes, by function: V8's sampling CPU
// profiler over K iterations of the cell (default 8) after one warm-up
// iteration, each function's self time summed over its call sites, the
// collector's time as `(garbage collector)`. corio comes from dist/ (`npm run
// build` first), as in bench/cell.ts, so its functions keep their names and
// lines; the cell's own code is compiled by tsx into one line, so its rows are
// told apart by name only (`workloads.ts:1`). Used in docs/performance.md,
// beside bench/instructions.ts (which counts instructions, steady but blind to
// cache misses and to the collector's other thread) and bench/alloc.ts (bytes):
// a time profile sees what a cold object costs to touch. Profiles move with
// the machine like the timed benchmark does: compare two trees by running
// their profiles alternately.
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { cellFromArgs } from './workloads.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    iterations: { type: 'string', default: '8' },
    top: { type: 'string', default: '20' },
  },
});
const iterations = Number(values.iterations);
const top = Number(values.top);
if (!Number.isInteger(iterations) || iterations < 1) {
  throw new RangeError(`--iterations must be a positive integer, got ${values.iterations}`);
}
if (!Number.isInteger(top) || top < 1) {
  throw new RangeError(`--top must be a positive integer, got ${values.top}`);
}
const { workloadId, implName, impl, n } = cellFromArgs(positionals);

await impl(n);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const t0 = performance.now();
for (let i = 0; i < iterations; i++) await impl(n);
const wallMs = performance.now() - t0;
const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
session.disconnect();

// A sample's time is the delta to the next one: timeDeltas[i + 1] belongs to samples[i].
const byNode = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i] as number;
  byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const byFunction = new Map<string, number>();
let sampledUs = 0;
for (const node of profile.nodes) {
  const us = byNode.get(node.id);
  if (us === undefined) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split('/').pop() ?? '';
  // V8 gives line -1 where it has none (a builtin it reports with a file).
  const line = lineNumber < 0 ? '' : `:${lineNumber + 1}`;
  const where = file === '' ? functionName : `${functionName || '(anonymous)'} ${file}${line}`;
  byFunction.set(where, (byFunction.get(where) ?? 0) + us);
  sampledUs += us;
}

console.log(`${workloadId} ${implName}, N = ${n}, ${iterations} iterations, ${process.version}`);
console.log(`${wallMs.toFixed(0)} ms in all, ${(sampledUs / 1000).toFixed(0)} ms sampled`);
for (const [where, us] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, top)) {
  const share = ((100 * us) / sampledUs).toFixed(1);
  console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${share.padStart(5)} %  ${where}`);
}
