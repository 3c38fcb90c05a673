/**
 * The bounded slice of the randomized cancellation fuzzer that `npm test` runs:
 * a fixed seed and a fixed number of programs per group of primitives, so CI is
 * deterministic (the programs run in virtual time): 6,300 programs, about 15 s
 * of CPU. A failure prints the shrunk program, its violations and the command
 * that replays it; `npm run fuzz` runs the same fuzzer for as long as wanted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport, fuzz } from './harness.js';
import { openFindings } from './open-findings.js';
import type { Family } from './program.js';

const SEED = 20261202;

const ignore = openFindings();

const slices: readonly { name: string; families?: readonly Family[]; runs: number }[] = [
  {
    name: 'locks, semaphores, limiters, conditions, events and barriers',
    families: ['lock', 'semaphore', 'limiter', 'condition', 'event', 'barrier'],
    runs: 1200,
  },
  { name: 'queues and channels', families: ['queue', 'channel'], runs: 1200 },
  { name: 'pools', families: ['pool'], runs: 800 },
  {
    name: 'task groups, scopes and combinators',
    families: ['group', 'combinator', 'lock', 'queue'],
    runs: 800,
  },
  { name: 'iterator pipelines', families: ['iter', 'semaphore'], runs: 700 },
  { name: 'every family, mixed', runs: 1600 },
];

for (const slice of slices) {
  test(`random cancellation keeps every invariant: ${slice.name}`, async () => {
    const report = await fuzz({
      runs: slice.runs,
      seed: SEED,
      hangMs: 10_000,
      ...(slice.families === undefined ? {} : { families: slice.families }),
      ...(ignore === undefined ? {} : { ignore }),
    });
    assert.equal(report.failed, false, formatReport(report));
  });
}
