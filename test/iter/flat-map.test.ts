import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTask, getRunningLoop, sleep } from 'corio';
import { flatMap, pipe, toArray } from 'corio/iter';
import { Trace, outcome, vrun } from '../_helpers.js';

async function* inner(trace: Trace, name: string, ms: number, n: number): AsyncGenerator<string> {
  try {
    for (let i = 0; i < n; i++) {
      await sleep(ms);
      yield `${name}${i}`;
    }
  } finally {
    trace.log(`${name} closed`);
  }
}

test('sequential flatMap yields each inner iterable in turn', () =>
  vrun(async () => {
    const trace = new Trace();
    const out = await toArray(
      pipe(
        ['a', 'b'],
        flatMap((name) => inner(trace, name, 10, 2)),
      ),
    );
    assert.deepEqual(out, ['a0', 'a1', 'b0', 'b1']);
    assert.deepEqual(trace.lines, ['20 a closed', '40 b closed']);
  }));

test('concurrent flatMap interleaves at most `concurrency` inner iterables', () =>
  vrun(async () => {
    const trace = new Trace();
    const out = await toArray(
      pipe(
        [
          ['a', 10],
          ['b', 15],
          ['c', 5],
        ] as const,
        flatMap(([name, ms]) => inner(trace, name, ms, 2), { concurrency: 2 }),
      ),
    );
    // c starts only when a ends (at 20): c0 at 25, then b1 and c1 at 30.
    assert.deepEqual(out, ['a0', 'b0', 'a1', 'c0', 'b1', 'c1']);
    assert.deepEqual(trace.lines, ['20 a closed', '30 b closed', '30 c closed']);
  }));

test('leaving a concurrent flatMap closes every inner iterable', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const item of pipe(
      ['a', 'b'],
      flatMap((name) => inner(trace, name, 10, 9), { concurrency: 2 }),
    )) {
      trace.log(item);
      break;
    }
    assert.deepEqual(trace.lines, ['10 a0', '10 a closed', '10 b closed']);
    assert.equal(getRunningLoop().statistics().timers, 0);
    const consumer = createTask(() =>
      toArray(
        pipe(
          ['x'],
          flatMap((name) => inner(trace, name, 10, 9), { concurrency: 3 }),
        ),
      ),
    );
    await sleep(15);
    consumer.cancel();
    assert.equal(await outcome(consumer), 'CancelledError');
    assert.equal(trace.lines.at(-1), '25 x closed');
  }));

test('flatMap validates its arguments and what fn returns', () =>
  vrun(async () => {
    assert.throws(() => flatMap((x) => [x], { concurrency: 0 }), RangeError);
    await assert.rejects(
      toArray(
        pipe(
          [1],
          flatMap(() => 5 as never),
        ),
      ),
      {
        name: 'TypeError',
        message: 'flatMap(): `source` must be an iterable or async iterable, got 5',
      },
    );
  }));
