// `node --import tsx bench/alloc.ts <workload> <impl> [N]`: the bytes one
// benchmark cell allocates per item, by the function that allocated them,
// collected objects included (V8's sampling heap profiler, one sample per 256
// bytes), after one warm-up run. corio comes from dist/ (`npm run build` first),
// as in bench/cell.ts. Used in docs/performance.md to compare a corio row with
// its floor row: where a cell's extra allocations come from, not its speed.
import { Session } from 'node:inspector/promises';
import { cellFromArgs } from './workloads.js';

interface ProfileNode {
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const { workloadId, implName, impl, n } = cellFromArgs(process.argv.slice(2));

await impl(n);
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
await impl(n);
const { profile } = await session.post('HeapProfiler.stopSampling');
session.disconnect();

const bytes = new Map<string, number>();
let total = 0;
const walk = (node: ProfileNode): void => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = `${functionName || '(anonymous)'} ${url.split('/').pop() ?? ''}:${lineNumber + 1}`;
  bytes.set(where, (bytes.get(where) ?? 0) + node.selfSize);
  total += node.selfSize;
  for (const child of node.children) walk(child);
};
walk(profile.head);
console.log(`${workloadId} ${implName}, N = ${n}, ${process.version}`);
console.log(`${(total / n).toFixed(0)} bytes allocated per item`);
for (const [where, b] of [...bytes].sort((x, y) => y[1] - x[1]).slice(0, 12)) {
  if (b / n >= 1) console.log(`${(b / n).toFixed(0).padStart(7)}  ${where}`);
}
