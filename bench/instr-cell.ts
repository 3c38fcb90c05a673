// One cell for bench/instructions.ts, which counts the instructions of the whole
// process under callgrind: `warm` iterations, then (with `gc`) two forced
// collections as bench/cell.ts makes between its warm-up and its measured
// iteration, then `measured` iterations. The difference between a run with
// `measured` = 0 and one with `measured` = m is what those m iterations cost.
//   node --predictable --expose-gc instr-cell.mjs <workload> <impl> <warm> <measured> <gc|no-gc>
import { cellFromArgs } from './workloads.js';

const [workloadId = '', implName = '', warmArg = '', measuredArg = '', gcArg = ''] =
  process.argv.slice(2);
const { workload, impl, n } = cellFromArgs([workloadId, implName]);
const whole = (name: string, text: string): number => {
  const value = Number(text);
  if (text === '' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  }
  return value;
};
const warm = whole('warm', warmArg);
const measured = whole('measured', measuredArg);
if (gcArg !== 'gc' && gcArg !== 'no-gc') throw new RangeError('the last argument is gc or no-gc');
const expected = workload.expected(n);
const iterate = async (): Promise<void> => {
  const { value } = await impl(n);
  if (value !== expected)
    throw new Error(`${workloadId}/${implName}: ${value}, expected ${expected}`);
};
for (let i = 0; i < warm; i++) await iterate();
if (gcArg === 'gc') {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
}
for (let i = 0; i < measured; i++) await iterate();
process.exit(0);
