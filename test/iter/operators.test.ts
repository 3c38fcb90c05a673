import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, allTasks, cancelScope, createTask, getRunningLoop, sleep } from 'corio';
import {
  chunk,
  count,
  drop,
  enumerate,
  filter,
  forEach,
  map,
  pipe,
  range,
  reduce,
  take,
  takeWhile,
  toArray,
} from 'corio/iter';
import { Trace, outcome, vrun } from '../_helpers.js';

async function* logged(trace: Trace, n: number, ms = 0): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      if (ms > 0) await sleep(ms);
      trace.log(`pull ${i}`);
      yield i;
    }
  } finally {
    trace.log('source closed');
  }
}

test('take(n) pulls nothing past item n and closes the source', () =>
  vrun(async () => {
    const trace = new Trace();
    assert.deepEqual(await toArray(pipe(logged(trace, 10), take(2))), [0, 1]);
    assert.deepEqual(trace.lines, ['0 pull 0', '0 pull 1', '0 source closed']);
    assert.deepEqual(await toArray(pipe([1, 2], take(0))), []);
  }));

test('filter, drop, takeWhile and enumerate compose through pipe', () =>
  vrun(async () => {
    const out = await toArray(
      pipe(
        range(0, 20),
        filter((n) => n % 2 === 0),
        drop(2),
        takeWhile((n) => n < 14),
        enumerate(1),
      ),
    );
    assert.deepEqual(out, [
      [1, 4],
      [2, 6],
      [3, 8],
      [4, 10],
      [5, 12],
    ]);
    const asyncPredicate = await toArray(
      pipe(
        [1, 2, 3],
        filter(async (n) => (await sleep(1, n)) > 1),
      ),
    );
    assert.deepEqual(asyncPredicate, [2, 3]);
  }));

test('count() with an interval is the seed counter, and take ends it', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const n of pipe(count({ interval: 1000 }), take(3))) trace.log(String(n));
    assert.deepEqual(trace.lines, ['1000 0', '2000 1', '3000 2']);
    assert.equal(getRunningLoop().statistics().timers, 0);
  }));

test('a synchronous source still stops at a cancellation', () =>
  vrun(async () => {
    // The loop body never waits on corio, so only the source's own check can stop it.
    let seen = 0;
    const consumer = createTask(async (self) => {
      for await (const _ of range(0, Infinity)) {
        if (++seen === 5) self.cancel();
      }
    });
    assert.equal(await outcome(consumer), 'CancelledError');
    assert.equal(seen, 5);
    const fromArray = createTask(async (self) => {
      for await (const n of pipe([1, 2, 3], take(3))) if (n === 1) self.cancel();
    });
    assert.equal(await outcome(fromArray), 'CancelledError');
  }));

test('chunk by size, and by size or time whichever comes first, with no timer left behind', () =>
  vrun(async () => {
    const trace = new Trace();
    assert.deepEqual(await toArray(pipe(range(0, 5), chunk(2))), [[0, 1], [2, 3], [4]]);
    for await (const batch of pipe(logged(trace, 5, 30), chunk(3, { within: 50 }))) {
      trace.log(`batch ${batch.join(',')}`);
    }
    // Items come every 30 ms; a batch closes 50 ms after its first item.
    assert.deepEqual(trace.lines, [
      '30 pull 0',
      '60 pull 1',
      '80 batch 0,1',
      '90 pull 2',
      '120 pull 3',
      '140 batch 2,3',
      '150 pull 4',
      '150 source closed',
      '150 batch 4',
    ]);
    assert.equal(getRunningLoop().statistics().timers, 0);
  }));

test('leaving a chunk(…, { within }) loop early closes the source and clears the timer', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const batch of pipe(logged(trace, 100, 10), chunk(2, { within: 1000 }))) {
      trace.log(`batch ${batch.join(',')}`);
      break;
    }
    assert.deepEqual(trace.lines, ['10 pull 0', '20 pull 1', '20 batch 0,1', '20 source closed']);
    assert.equal(getRunningLoop().statistics().timers, 0);
  }));

test('reduce and forEach consume a pipeline; forEach stops at the first error', () =>
  vrun(async () => {
    assert.equal(await reduce(range(0, 5), async (acc, n) => acc + (await sleep(1, n)), 0), 10);
    const trace = new Trace();
    const err = await forEach(
      [1, 2, 3, 4],
      async (n) => {
        try {
          await sleep(n * 10);
        } catch (e) {
          trace.log(`cancelled ${n}`);
          throw e;
        }
        if (n === 2) throw new RangeError('two');
        trace.log(`done ${n}`);
      },
      { concurrency: 3 },
    ).catch((e: unknown) => e);
    assert.equal((err as Error).message, 'two');
    // reduce() took 5 ms (five 1 ms sleeps); then 1, 2 and 3 start at 5 in three
    // workers, and the first worker takes 4 when 1 ends. 2 fails at 25: the workers
    // are cancelled in spawn order, so the first (holding 4) goes first.
    assert.deepEqual(trace.lines, ['15 done 1', '25 cancelled 4', '25 cancelled 3']);
  }));

test('operators validate their arguments at once, naming them', () => {
  assert.throws(() => take(-1), {
    name: 'RangeError',
    message: 'take(): `n` must be an integer >= 0, got -1',
  });
  assert.throws(() => drop(1.5), RangeError);
  assert.throws(() => chunk(0), {
    name: 'RangeError',
    message: 'chunk(): `n` must be an integer >= 1, got 0',
  });
  assert.throws(() => chunk(2, { within: -1 }), RangeError);
  assert.throws(() => filter('x' as never), {
    name: 'TypeError',
    message: 'filter(): `predicate` must be a function, got "x"',
  });
  assert.throws(() => take(1)(null as never), {
    name: 'TypeError',
    message: 'take(): `source` must be an iterable or async iterable, got null',
  });
  assert.throws(() => pipe('abc' as never), TypeError);
  assert.throws(() => range(0, Number.NaN), {
    name: 'RangeError',
    message: 'range(): `end` must be a number, got NaN',
  });
  assert.throws(() => count({ interval: -5 }), RangeError);
});

test('forEach keeps at most `concurrency` items in flight, pulls the source one at a time, and closes it on error', () =>
  vrun(async () => {
    const trace = new Trace();
    let inFlight = 0;
    let peak = 0;
    await forEach(
      logged(trace, 6),
      async (n) => {
        peak = Math.max(peak, ++inFlight);
        await sleep(n % 2 === 0 ? 10 : 5);
        inFlight--;
      },
      { concurrency: 2 },
    );
    assert.equal(peak, 2);
    assert.deepEqual(trace.lines, [
      '0 pull 0',
      '0 pull 1',
      '5 pull 2',
      '10 pull 3',
      '15 pull 4',
      '15 pull 5',
      '20 source closed',
    ]);
    const closing = new Trace();
    await assert.rejects(
      forEach(
        logged(closing, 100),
        (n) => {
          if (n === 3) throw new RangeError('bad item');
        },
        { concurrency: 4 },
      ),
      (err: unknown) => err instanceof RangeError,
    );
    assert.equal(closing.lines.at(-1), `${getRunningLoop().time()} source closed`);
  }));

test('forEach pulls a plain source (array, sync generator, range) in its workers, checks for cancellation at each item and closes it on error', () =>
  vrun(async () => {
    const trace = new Trace();
    function* items(): Generator<number> {
      try {
        for (let n = 0; n < 100; n++) {
          trace.log(`pull ${n}`);
          yield n;
        }
      } finally {
        trace.log('source closed');
      }
    }
    await assert.rejects(
      forEach(
        items(),
        async (n) => {
          await sleep(10);
          if (n === 2) throw new RangeError('bad item');
        },
        { concurrency: 2 },
      ),
      RangeError,
    );
    assert.deepEqual(trace.lines, [
      '0 pull 0',
      '0 pull 1',
      '10 pull 2',
      '10 pull 3',
      // 3's worker ends in the same instant as 2's fails, and pulls once more.
      '20 pull 4',
      '20 source closed',
    ]);
    // Each item of a plain source is a cancellation point, as an async one's step.
    let calls = 0;
    await cancelScope((scope) =>
      forEach(
        range(0, Infinity),
        (n) => {
          calls++;
          if (n === 5) scope.cancel();
        },
        { concurrency: 3 },
      ),
    );
    assert.equal(calls, 6);
    // range() is re-iterable, as Python's: each iteration starts over.
    const r = range(0, 3);
    assert.deepEqual(
      [await toArray(r), await toArray(r)],
      [
        [0, 1, 2],
        [0, 1, 2],
      ],
    );
    let sum = 0;
    await forEach(
      r,
      (n) => {
        sum += n;
      },
      { concurrency: 2 },
    );
    assert.equal(sum, 3);
  }));

test('a chunk(…, { within }) pull kept across a deadline never becomes an unhandled rejection (#11)', async () => {
  // Scenario: within 0 ends each batch at its first item, so the next pull is
  // kept unawaited while the consumer works; the consumer is then cancelled, and
  // the kept pull rejects with nobody awaiting it.
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown): void => {
    unhandled.push(error);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const reports = await vrun(async () => {
      const reports: string[] = [];
      getRunningLoop().setExceptionHandler((ctx) =>
        reports.push(`${ctx.message}: ${String(ctx.error)}`),
      );
      async function* trickle(failAt: number) {
        for (let i = 0; ; i++) {
          await sleep(10);
          if (i === failAt) throw new RangeError('source broke');
          yield i;
        }
      }
      for (const failAt of [Infinity, 1]) {
        const consumer = createTask(async () => {
          for await (const _batch of pipe(trickle(failAt), chunk(3, { within: 0 }))) {
            await sleep(100);
          }
        });
        await sleep(15);
        if (failAt === Infinity) consumer.cancel();
        else await sleep(10); // the kept pull fails at 20 while the consumer works
        consumer.cancel();
        assert.equal(await outcome(consumer), 'CancelledError');
      }
      return reports;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
    assert.deepEqual(reports, [
      'chunk(): the source failed after its consumer stopped reading: RangeError: source broke',
    ]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('forEach with concurrency over a source that waits runs in virtual time (#11)', () =>
  vrun(async () => {
    const trace = new Trace();
    async function* source() {
      for (let i = 0; i < 4; i++) {
        await sleep(10);
        yield i;
      }
    }
    const pulls = { concurrent: 0, max: 0 };
    const counted: AsyncIterable<number> = {
      [Symbol.asyncIterator]() {
        const it = source();
        return {
          async next() {
            pulls.max = Math.max(pulls.max, ++pulls.concurrent);
            try {
              return await it.next();
            } finally {
              pulls.concurrent--;
            }
          },
        };
      },
    };
    await forEach(
      counted,
      async (n) => {
        await sleep(15);
        trace.log(`done ${n}`);
      },
      { concurrency: 2 },
    );
    assert.deepEqual(trace.lines, ['25 done 0', '35 done 1', '50 done 2', '60 done 3']);
    assert.equal(pulls.max, 1, 'one next() at a time');
  }));

test('pipe runs map, filter and chunk as one fused stage with the same results, indexes, errors and cleanup (#16)', () =>
  vrun(async () => {
    const trace = new Trace();
    const stages = () =>
      [
        map((n: number, i) => {
          trace.log(`map ${n}@${i}`);
          return n % 2 === 0 ? n * 10 : sleep(1, n * 10);
        }),
        filter((n: number, i) => {
          trace.log(`filter ${n}@${i}`);
          return n !== 30;
        }),
        chunk<number>(2),
      ] as const;
    const [m, f, c] = stages();
    const fused = await toArray(pipe(range(0, 6), m, f, c));
    const fusedTrace = trace.lines.splice(0);
    const [m2, f2, c2] = stages();
    const apart = await toArray(c2(f2(m2(range(0, 6)))));
    assert.deepEqual(fused, apart);
    assert.deepEqual(fused, [[0, 10], [20, 40], [50]]);
    // The same calls in the same order, each stage with its own index.
    assert.deepEqual(
      fusedTrace.map((l) => l.replace(/^\d+ /, '')),
      trace.lines.map((l) => l.replace(/^\d+ /, '')),
    );
    // An error in a fused stage reaches the consumer and closes the source.
    // eslint-disable-next-line @typescript-eslint/require-await -- a source that never waits
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        trace.log('source closed');
      }
    }
    const err = await toArray(
      pipe(
        source(),
        map((n: number) => {
          if (n === 3) throw new RangeError('bad item');
          return n;
        }),
        filter(() => true),
      ),
    ).catch((e: unknown) => e);
    assert.equal((err as Error).message, 'bad item');
    assert.equal(trace.lines.at(-1)?.endsWith('source closed'), true);
  }));

test('forEach with a large concurrency over a short source starts workers as items come', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    let most = 0;
    let sum = 0;
    const call = async (i: number) => {
      most = Math.max(most, loop.statistics().tasksLiving);
      await sleep(10);
      sum += i;
    };
    // eslint-disable-next-line @typescript-eslint/require-await -- a source that never waits
    async function* three(): AsyncGenerator<number> {
      yield* [1, 2, 3];
    }
    for (const source of [[1, 2, 3], three()]) {
      most = 0;
      sum = 0;
      await forEach(source, call, { concurrency: 2 ** 40 });
      assert.equal(sum, 6);
      // The caller, and at most a worker per item and one that finds the end.
      assert.ok(most <= 5, `${most} tasks living`);
    }
    // Up to the bound, every item still runs at once.
    const before = loop.time();
    await forEach(
      Array.from({ length: 20 }, (_, i) => i),
      call,
      { concurrency: 20 },
    );
    assert.equal(loop.time() - before, 10);
  }));

test('forEach throws when one of its workers is cancelled from outside, instead of dropping its item quietly', () =>
  vrun(async () => {
    const done: number[] = [];
    const main = allTasks();
    const run = forEach(
      [1, 2, 3, 4],
      async (i) => {
        await sleep(10 * i);
        done.push(i);
      },
      { concurrency: 2 },
    );
    await sleep(5);
    // A worker is any task forEach started: cancel the first, which holds item 1.
    const workers = [...allTasks()].filter((t) => !main.has(t));
    assert.equal(workers.length, 2);
    (workers[0] as (typeof workers)[number]).cancel('from outside');
    await assert.rejects(
      run,
      (err) => err instanceof CancelledError && err.message === 'from outside',
    );
    // The other worker went on with the rest; item 1 was never done.
    assert.deepEqual(done, [2, 3, 4]);
  }));

test('forEach throws when a worker is cancelled from outside while it pulls an async generator, which that ends for all', () =>
  vrun(async () => {
    const log: string[] = [];
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; i < 6; i++) {
          await sleep(10);
          yield i;
        }
      } finally {
        log.push(`source closed at ${getRunningLoop().time()}`);
      }
    }
    const main = allTasks();
    const run = forEach(
      source(),
      async (i) => {
        await sleep(100);
        log.push(`item ${i}`);
      },
      { concurrency: 4 },
    );
    // At 15 ms the first worker holds item 0 and the second is pulling item 1:
    // the generator's sleep runs in the second worker's task.
    await sleep(15);
    const workers = [...allTasks()].filter((t) => !main.has(t));
    assert.equal(workers.length, 2);
    (workers[1] as (typeof workers)[number]).cancel('from outside');
    await assert.rejects(
      run,
      (err) => err instanceof CancelledError && err.message === 'from outside',
    );
    assert.deepEqual(log, ['source closed at 15', 'item 0']);
    assert.equal(allTasks().size, main.size);
  }));
