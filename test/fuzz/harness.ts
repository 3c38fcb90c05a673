/**
 * Drives the fuzzer with fast-check: generates programs from a seed, runs each
 * under a real-time guard (a program that hangs without moving virtual time
 * would otherwise hang the runner), collects unhandled rejections, shrinks the
 * first failing program, and reports the figures and the replay command.
 * Used by the test slice (`fuzz.test.ts`), `npm run fuzz` and the mutant runner.
 */
import fc from 'fast-check';
import { describe } from './describe.js';
import { execute } from './interpreter.js';
import { programs } from './arbitraries.js';
import { formatProgram } from './format.js';
import type { Family, Program } from './program.js';

export interface FuzzOptions {
  /** Programs to generate (before shrinking). */
  readonly runs: number;
  readonly seed: number;
  /** A fast-check replay path: with the seed, reruns one program and its shrinks. */
  readonly path?: string;
  /** Stop generating after this many ms of real time (not a failure). */
  readonly timeLimitMs?: number;
  /** Real-time ms after which a program counts as hung. */
  readonly hangMs?: number;
  /** Restrict the programs to these families (default: one to three at random). */
  readonly families?: readonly Family[];
  /** Report the first failure without shrinking it. */
  readonly noShrink?: boolean;
  /** Violations matching this are ignored (to look past a known bug). */
  readonly ignore?: RegExp;
  /** Larger programs (see `programs()`); default 1. */
  readonly scale?: number;
}

export interface FuzzReport {
  readonly failed: boolean;
  readonly interrupted: boolean;
  readonly seed: number;
  readonly families: readonly Family[] | null;
  /** Programs generated before the failure (or in all). */
  readonly runs: number;
  readonly shrinks: number;
  /** Programs executed, shrinking included. */
  readonly programs: number;
  /** Primitive operations started. */
  readonly ops: number;
  readonly path: string | null;
  readonly counterexample: Program | null;
  readonly violations: readonly string[];
}

// Unhandled rejections during a program are failures of that program: the
// listener also keeps Node from ending the process on the first one.
const unhandled: unknown[] = [];
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('unhandledRejection', (reason) => {
    unhandled.push(reason);
  });
}

/** Runs one program; resolves with its violations (none: it passed). */
export async function runProgram(
  p: Program,
  counter: { ops: number },
  hangMs = 3000,
  trace: ((line: string) => void) | null = null,
): Promise<readonly string[]> {
  listen();
  unhandled.length = 0;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<null>((resolve) => {
    timer = setTimeout(resolve, hangMs, null);
  });
  const execution = execute(p, controller.signal, counter, trace);
  const outcome = await Promise.race([execution, hung]);
  clearTimeout(timer);
  if (outcome === null) {
    // Cancel the hung run and give it a while to end, so what it does meanwhile
    // (an unhandled rejection as it shuts down) is not blamed on the next program.
    controller.abort();
    await Promise.race([execution, new Promise((resolve) => setTimeout(resolve, hangMs))]);
    await new Promise((resolve) => setImmediate(resolve));
    unhandled.length = 0;
    return [
      `hang: still running after ${hangMs} ms of real time (virtual time stopped moving, or run() never returned)`,
    ];
  }
  // Node reports a rejection as unhandled once the microtasks have drained.
  await new Promise((resolve) => setImmediate(resolve));
  return [
    ...outcome.violations,
    ...unhandled.map((reason) => `unhandled rejection: ${describe(reason)}`),
  ];
}

class ProgramFailed extends Error {
  readonly violations: readonly string[];

  constructor(violations: readonly string[]) {
    super(violations.join('\n'));
    this.violations = violations;
  }
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const counter = { ops: 0 };
  let executed = 0;
  const property = fc.asyncProperty(programs(options.families, options.scale), async (p) => {
    executed++;
    const ignore = options.ignore;
    const violations = (await runProgram(p, counter, options.hangMs)).filter(
      (v) => ignore === undefined || !ignore.test(v),
    );
    if (violations.length > 0) throw new ProgramFailed(violations);
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs }),
    markInterruptAsFailure: false,
    endOnFailure: options.noShrink === true,
  });
  const error: unknown = details.errorInstance;
  return {
    failed: details.failed,
    interrupted: details.interrupted,
    seed: details.seed,
    families: options.families ?? null,
    runs: details.numRuns,
    shrinks: details.numShrinks,
    programs: executed,
    ops: counter.ops,
    path: details.counterexamplePath,
    counterexample: details.counterexample?.[0] ?? null,
    violations:
      error instanceof ProgramFailed
        ? error.violations
        : error === null || error === undefined
          ? []
          : [`the fuzzer itself failed: ${describe(error)}`],
  };
}

/** A report as text: the figures, and on failure the program and how to replay it. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `${r.failed ? 'FAILED' : 'passed'}: ${r.runs} programs generated, ${r.programs} run (shrinking included), ${r.ops} operations, seed ${r.seed}${r.interrupted ? ' (stopped at the time limit)' : ''}`,
  ];
  if (r.failed) {
    lines.push(
      `after ${r.runs} program(s), shrunk ${r.shrinks} time(s):`,
      ...r.violations.map((v) => `  ✗ ${v}`),
      'program:',
      ...(r.counterexample === null
        ? ['  (none)']
        : formatProgram(r.counterexample)
            .split('\n')
            .map((l) => `  ${l}`)),
      `replay: npm run fuzz -- --seed ${r.seed} --path ${r.path ?? ''}${r.families === null ? '' : ` --families ${r.families.join(',')}`}`,
    );
  }
  return lines.join('\n');
}
