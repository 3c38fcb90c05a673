import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allTasks, createTask, currentTask, getRunningLoop, sleep } from 'corio';
import { buffer, flatMap, map, merge, pipe, range, take, toArray, zip } from 'corio/iter';
import { Trace, outcome, vrun } from '../_helpers.js';

async function* ticking(trace: Trace, name: string, ms: number, n: number): AsyncGenerator<string> {
  try {
    for (let i = 0; i < n; i++) {
      await sleep(ms);
      yield `${name}${i}`;
    }
  } catch (err) {
    trace.log(`${name} cancelled`);
    throw err;
  } finally {
    trace.log(`${name} closed`);
  }
}

test('merge yields items as they arrive and ends when every source has ended', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const item of merge(ticking(trace, 'a', 10, 3), ticking(trace, 'b', 15, 2)))
      trace.log(item);
    assert.deepEqual(trace.lines, [
      '10 a0',
      '15 b0',
      '20 a1',
      // At 30 both tick; b's timer was set first (at 15), so b1 arrives before a2.
      // Both sources then end by themselves, before the consumer's loop logs them.
      '30 b closed',
      '30 a closed',
      '30 b1',
      '30 a2',
    ]);
  }));

test('leaving a merge early cancels the pulls and closes every source', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const item of merge(ticking(trace, 'a', 10, 9), ticking(trace, 'b', 100, 9))) {
      trace.log(item);
      break;
    }
    assert.deepEqual(trace.lines, [
      '10 a0',
      '10 a cancelled',
      '10 a closed',
      '10 b cancelled',
      '10 b closed',
    ]);
    assert.equal(getRunningLoop().statistics().timers, 0);
  }));

test('a failing source ends the merge with its error, after the others are closed', () =>
  vrun(async () => {
    const trace = new Trace();
    // eslint-disable-next-line require-yield -- it fails before its first item
    async function* failing() {
      await sleep(5);
      throw new RangeError('source down');
    }
    const err = await toArray(merge(ticking(trace, 'a', 10, 9), failing())).catch(
      (e: unknown) => e,
    );
    assert.equal((err as Error).message, 'source down');
    assert.deepEqual(trace.lines, ['5 a cancelled', '5 a closed']);
  }));

test('a cancelled consumer of a merge leaves nothing running', () =>
  vrun(async () => {
    const trace = new Trace();
    const consumer = createTask(() =>
      toArray(merge(ticking(trace, 'a', 10, 9), ticking(trace, 'b', 10, 9))),
    );
    await sleep(15);
    consumer.cancel();
    assert.equal(await outcome(consumer), 'CancelledError');
    assert.deepEqual(trace.lines, [
      '15 a cancelled',
      '15 a closed',
      '15 b cancelled',
      '15 b closed',
    ]);
  }));

test('zip pairs items in step and stops at the shortest, closing the others', () =>
  vrun(async () => {
    const trace = new Trace();
    const pairs = await toArray(zip(ticking(trace, 'a', 10, 9), ['x', 'y']));
    assert.deepEqual(pairs, [
      ['a0', 'x'],
      ['a1', 'y'],
    ]);
    assert.deepEqual(trace.lines, ['30 a closed']);
    assert.deepEqual(await toArray(zip()), []);
  }));

test('buffer reads ahead of a slow consumer, at most n items', () =>
  vrun(async () => {
    const trace = new Trace();
    async function* produced() {
      for (let i = 0; i < 4; i++) {
        await sleep(10);
        trace.log(`produced ${i}`);
        yield i;
      }
    }
    for await (const n of pipe(produced(), buffer(2), take(4))) {
      await sleep(30);
      trace.log(`consumed ${n}`);
    }
    assert.deepEqual(trace.lines, [
      '10 produced 0',
      '20 produced 1',
      '30 produced 2',
      '40 consumed 0',
      '50 produced 3',
      '70 consumed 1',
      '100 consumed 2',
      '130 consumed 3',
    ]);
  }));

test('combinators validate their inputs', () => {
  assert.throws(() => merge(5 as never), {
    name: 'TypeError',
    message: 'merge(): `source` must be an iterable or async iterable, got 5',
  });
  assert.throws(() => zip([1], null as never), TypeError);
  assert.throws(() => buffer(0), {
    name: 'RangeError',
    message: 'buffer(): `n` must be an integer >= 1 (Infinity for no limit), got 0',
  });
  assert.ok(range(0, 1));
});

test('leaving a loop over stacked concurrent operators early throws nothing (#11)', () =>
  vrun(async () => {
    const stacks = [
      () => pipe(range(0, 10), buffer(1), buffer(1)),
      () =>
        pipe(
          range(0, 10),
          map((n: number) => sleep(1, n), { concurrency: 2 }),
          buffer(1),
        ),
      () =>
        pipe(
          range(0, 10),
          buffer(1),
          map((n: number) => sleep(1, n), { concurrency: 2 }),
        ),
      () => merge(pipe(range(0, 10), buffer(1)), range(10, 20)),
    ];
    for (const make of stacks) {
      let got: number | undefined;
      for await (const n of make()) {
        got = n;
        break;
      }
      assert.equal(typeof got, 'number');
    }
  }));

// explore() finding (#13): a helper task cancelled before it starts never runs
// its function, so the bookkeeping its body does (count the pump out, record the
// error, wake the consumer) never happened and next() waited forever. Each helper
// here is cancelled from outside (as a supervisor walking allTasks() would)
// between the first next(), which spawns it, and its first step.
for (const [name, make] of [
  [
    'map({ concurrency: 2 }) (both workers)',
    () => map((x: number) => x, { concurrency: 2 })([1, 2, 3]),
  ],
  [
    'map({ concurrency: Infinity }) (its pump)',
    () => map((x: number) => x, { concurrency: Infinity })([1, 2, 3]),
  ],
  ['merge() (both pumps)', () => merge([1, 2], [3])],
  ['buffer() (its pump)', () => buffer(2)([1, 2, 3])],
  [
    'flatMap({ concurrency: 2 }) (its outer pump)',
    () => flatMap((x: number) => [x, x], { concurrency: 2 })([1, 2]),
  ],
] as const) {
  test(`${name}: a helper cancelled before it starts reaches the consumer as its CancelledError`, () =>
    vrun(async () => {
      const iterator = (make() as AsyncIterable<number>)[Symbol.asyncIterator]();
      const first = iterator.next();
      const helpers = [...allTasks()].filter((task) => task !== currentTask());
      assert.ok(helpers.length > 0);
      for (const task of helpers) task.cancel('by a supervisor');
      await assert.rejects(first, { name: 'CancelledError', message: 'by a supervisor' });
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
      assert.ok(helpers.every((task) => task.cancelled()));
    }));
}
