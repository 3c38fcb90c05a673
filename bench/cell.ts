// One benchmark cell, run in a fresh process by bench/run.ts:
//   node --expose-gc --import tsx bench/cell.ts <workload> <impl> [N]
// corio is loaded from dist/ (npm run build first), as users run it: through tsx,
// src/ would be compiled with esbuild's keepNames, which wraps every function a
// file creates in a defineProperty call (3.5× the cost of making a closure).
// It runs one warm-up iteration, forces a GC, runs the measured iteration, checks
// both results against the workload's expected value (a fast wrong answer is
// reported as wrong, not as fast), and prints one JSON line.
import { cellFromArgs } from './workloads.js';

const { workloadId, implName, workload, impl, n } = cellFromArgs(process.argv.slice(2));
const expected = workload.expected(n);

const once = async (): Promise<{
  value: number;
  ms: number;
  cpuMs: number;
  peakRssMiB: number | undefined;
  rssPerConnectionKiB: number | undefined;
}> => {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await impl(n);
  const cpu = process.cpuUsage(cpu0);
  return {
    value: result.value,
    ms: result.ms ?? performance.now() - t0,
    // The process's CPU time (user + system): on a shared machine, steadier than
    // the wall clock for work that is all in this process (W9, W10).
    cpuMs: result.cpuMs ?? (cpu.user + cpu.system) / 1000,
    peakRssMiB: result.peakRssMiB,
    rssPerConnectionKiB: result.rssPerConnectionKiB,
  };
};

const warm = await once();
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
gc?.();
const measured = await once();
process.stdout.write(
  `${JSON.stringify({
    workload: workloadId,
    impl: implName,
    n,
    ok: warm.value === expected && measured.value === expected,
    value: measured.value,
    expected,
    ms: measured.ms,
    cpuMs: measured.cpuMs,
    peakRssMiB: measured.peakRssMiB ?? (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    // From the warm-up: the first run is the one whose process had not grown yet.
    rssPerConnectionKiB: warm.rssPerConnectionKiB,
  })}\n`,
);
// Some baselines leave host timers behind (the raw W7 sleeps are cleared, but be sure).
process.exit(0);
