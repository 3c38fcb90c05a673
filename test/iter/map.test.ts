import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cancelScope, createTask, getRunningLoop, sleep } from 'corio';
import { map, pipe, toArray } from 'corio/iter';
import { Trace, outcome, vrun } from '../_helpers.js';

// A source that logs each pull and its cleanup.
// eslint-disable-next-line @typescript-eslint/require-await -- a source that never waits
async function* logged(trace: Trace, n: number): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      trace.log(`pull ${i}`);
      yield i;
    }
  } finally {
    trace.log('source closed');
  }
}

// A call that logs its start, end and cancellation.
const work = (trace: Trace, ms: (i: number) => number) => async (i: number) => {
  trace.log(`start ${i}`);
  try {
    await sleep(ms(i));
  } catch (err) {
    trace.log(`cancelled ${i}`);
    throw err;
  }
  trace.log(`end ${i}`);
  return i * 10;
};

test('map never runs more than `concurrency` calls at once', () =>
  vrun(async () => {
    let running = 0;
    let peak = 0;
    const out = await toArray(
      pipe(
        Array.from({ length: 100 }, (_, i) => i),
        map(
          async (i) => {
            peak = Math.max(peak, ++running);
            await sleep(1 + (i % 7));
            running--;
            return i;
          },
          { concurrency: 16 },
        ),
      ),
    );
    assert.equal(peak, 16);
    assert.deepEqual(
      out,
      Array.from({ length: 100 }, (_, i) => i),
    );
  }));

test('ordered yields in source order; unordered in completion order', () =>
  vrun(async () => {
    const slowFirst = (i: number) => sleep(30 - i * 10, i);
    assert.deepEqual(await toArray(pipe([0, 1, 2], map(slowFirst, { concurrency: 3 }))), [0, 1, 2]);
    assert.deepEqual(
      await toArray(pipe([0, 1, 2], map(slowFirst, { concurrency: 3, ordered: false }))),
      [2, 1, 0],
    );
    assert.equal(getRunningLoop().time(), 60);
  }));

test('a slow consumer stops the source from being pulled (backpressure)', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const value of pipe(
      logged(trace, 6),
      map(
        work(trace, () => 1),
        { concurrency: 2 },
      ),
    )) {
      trace.log(`got ${value}`);
      if (value === 20) break;
      await sleep(100);
    }
    // At most 2 items are pulled ahead of the consumer: pull k+2 waits until item k
    // is taken (taking it frees the slot a worker waits for, and the worker may
    // pull before the consumer's body runs). At the break, nothing more is pulled.
    assert.deepEqual(trace.lines, [
      '0 pull 0',
      '0 start 0',
      '0 pull 1',
      '0 start 1',
      '1 end 0',
      '1 end 1',
      '1 pull 2',
      '1 got 0',
      '1 start 2',
      '2 end 2',
      '101 got 10',
      '101 pull 3',
      '101 start 3',
      '102 end 3',
      '201 got 20',
      '201 source closed',
    ]);
  }));

test('break cancels the running calls, waits for them, and closes the source', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const value of pipe(
      logged(trace, 10),
      map(
        work(trace, (i) => (i === 0 ? 5 : 50)),
        { concurrency: 3 },
      ),
    )) {
      trace.log(`got ${value}`);
      break;
    }
    trace.log('after the loop');
    // Taking item 0 frees a slot, and a worker pulls item 3 before the consumer's
    // body runs; the break then drops it with the source.
    assert.deepEqual(trace.lines, [
      '0 pull 0',
      '0 start 0',
      '0 pull 1',
      '0 start 1',
      '0 pull 2',
      '0 start 2',
      '5 end 0',
      '5 pull 3',
      '5 got 0',
      '5 cancelled 1',
      '5 cancelled 2',
      '5 source closed',
      '5 after the loop',
    ]);
    assert.equal(getRunningLoop().statistics().timers, 0);
  }));

test('a throw in fn cancels the other calls and reaches the consumer as the same error', () =>
  vrun(async () => {
    const trace = new Trace();
    const boom = new RangeError('bad item');
    const err = await toArray(
      pipe(
        logged(trace, 10),
        map(
          async (i) => {
            if (i === 1) {
              await sleep(5);
              throw boom;
            }
            return work(trace, () => 50)(i);
          },
          { concurrency: 2 },
        ),
      ),
    ).catch((e: unknown) => e);
    assert.equal(err, boom);
    assert.deepEqual(trace.lines, [
      '0 pull 0',
      '0 start 0',
      '0 pull 1',
      '5 cancelled 0',
      '5 source closed',
    ]);
  }));

test('a throw in the consumer cancels the running calls and closes the source', () =>
  vrun(async () => {
    const trace = new Trace();
    const err = await (async () => {
      for await (const value of pipe(
        logged(trace, 10),
        map(
          work(trace, (i) => (i === 0 ? 1 : 50)),
          { concurrency: 2 },
        ),
      )) {
        throw new TypeError(`consumer failed on ${value}`);
      }
    })().catch((e: unknown) => e);
    assert.equal((err as Error).message, 'consumer failed on 0');
    assert.deepEqual(trace.lines, [
      '0 pull 0',
      '0 start 0',
      '0 pull 1',
      '0 start 1',
      '1 end 0',
      '1 pull 2',
      '1 cancelled 1',
      '1 source closed',
    ]);
  }));

test('cancelling the consuming task cancels the calls, waits for them, and closes the source', () =>
  vrun(async () => {
    const trace = new Trace();
    const consumer = createTask(async () => {
      for await (const value of pipe(
        logged(trace, 10),
        map(
          work(trace, () => 50),
          { concurrency: 2 },
        ),
      )) {
        trace.log(`got ${value}`);
      }
    });
    await sleep(10);
    consumer.cancel();
    assert.equal(await outcome(consumer), 'CancelledError');
    assert.deepEqual(trace.lines, [
      '0 pull 0',
      '0 start 0',
      '0 pull 1',
      '0 start 1',
      '10 cancelled 0',
      '10 cancelled 1',
      '10 source closed',
    ]);
  }));

test('a source error ends the pipeline with that error after the calls are cancelled', () =>
  vrun(async () => {
    const trace = new Trace();
    async function* failing() {
      yield 0;
      await sleep(5);
      throw new Error('source broke');
    }
    const err = await toArray(
      pipe(
        failing(),
        map(
          work(trace, () => 50),
          { concurrency: 4 },
        ),
      ),
    ).catch((e: unknown) => e);
    assert.equal((err as Error).message, 'source broke');
    assert.deepEqual(trace.lines, ['0 start 0', '5 cancelled 0']);
  }));

test('map inside a cancelled scope stops, and the sequential form works the same', () =>
  vrun(async () => {
    const trace = new Trace();
    await cancelScope(async (scope) => {
      for await (const value of pipe(
        logged(trace, 3),
        map((i) => i + 1),
      )) {
        trace.log(`got ${value}`);
        scope.cancel();
        await sleep(1);
      }
    });
    assert.deepEqual(trace.lines, ['0 pull 0', '0 got 1', '0 source closed']);
  }));

test('map validates its arguments at once', () => {
  assert.throws(() => map((x) => x, { concurrency: 0 }), {
    name: 'RangeError',
    message: 'map(): `options.concurrency` must be an integer >= 1 (Infinity for no limit), got 0',
  });
  assert.throws(() => map((x) => x, { concurrency: 1.5 }), RangeError);
  assert.throws(() => map('f' as never), {
    name: 'TypeError',
    message: 'map(): `fn` must be a function, got "f"',
  });
  assert.throws(() => map((x) => x)(42 as never), {
    name: 'TypeError',
    message: 'map(): `source` must be an iterable or async iterable, got 42',
  });
});

test('a large concurrency over a short source starts workers as items come, not up front', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    let most = 0;
    const call = async (i: number) => {
      most = Math.max(most, loop.statistics().tasksLiving);
      await sleep(10);
      return i * 2;
    };
    // eslint-disable-next-line @typescript-eslint/require-await -- a source that never waits
    async function* three(): AsyncGenerator<number> {
      yield* [0, 1, 2];
    }
    for (const source of [[0, 1, 2], three()]) {
      most = 0;
      const out = await toArray(pipe(source, map(call, { concurrency: 2 ** 40 })));
      assert.deepEqual(out, [0, 2, 4]);
      // The consumer, and at most a worker per item and one that finds the end.
      assert.ok(most <= 5, `${most} tasks living`);
    }
    // Up to the bound, every item still runs at once.
    const before = loop.time();
    await toArray(
      pipe(
        Array.from({ length: 20 }, (_, i) => i),
        map(call, { concurrency: 20 }),
      ),
    );
    assert.equal(loop.time() - before, 10);
  }));
