// Preloaded (--import) next to tsx wherever corio runs from its TypeScript
// sources: the tests, the examples' runner, the benchmarks. A preload reaches
// worker threads too, but tsx 4 registers its loader in worker threads only from
// Node 22.22.3, 24.11.1, 25.1 and 26 on (its own version table); on older Nodes,
// a WorkerPool thread could not load a .ts module. This registers it there.
// Users who run TypeScript workers on Node 20 under tsx preload the same lines
// (docs/guide/threads.md, "TypeScript worker modules").
import { isMainThread } from 'node:worker_threads';

const [major = 0, minor = 0, patch = 0] = process.versions.node.split('.').map(Number);
const atLeast = (min, pat) => minor > min || (minor === min && patch >= pat);
const tsxReachesWorkers =
  major >= 26 ||
  (major === 25 && atLeast(1, 0)) ||
  (major === 24 && atLeast(11, 1)) ||
  (major === 22 && atLeast(22, 3));

if (!isMainThread && !tsxReachesWorkers) {
  const { register } = await import('tsx/esm/api');
  register();
}
