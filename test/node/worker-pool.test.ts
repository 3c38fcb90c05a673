// WorkerPool on real threads, under the system clock (a thread takes real time).
// Bounds on real time are loose: they tell "stopped at the grace" from "never
// stopped" on a shared, busy machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import {
  CancelScope,
  ClosedResourceError,
  InvalidStateError,
  QueueFull,
  createTask,
  getRunningLoop,
  run,
  sleep,
  taskGroup,
  timeout,
} from 'corio';
import { WorkerPool, workerFunction } from 'corio/node';
import { checkCancelled, workerSignal } from 'corio/node/worker';
import { VirtualClock } from 'corio/testing';
import type * as Jobs from './_jobs.js';

const JOBS = new URL('./_jobs.ts', import.meta.url);

interface Cells {
  readonly shared: SharedArrayBuffer;
  readonly view: Int32Array;
}

const cells = (): Cells => {
  const shared = new SharedArrayBuffer(8);
  return { shared, view: new Int32Array(shared) };
};

/** Waits (polling, real time) until the job wrote its start mark into cell 0. */
async function started(view: Int32Array): Promise<void> {
  while (Atomics.load(view, 0) === 0) await sleep(1);
}

test('run() calls the default export, or the named one, and returns its value', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 2 });
    assert.equal(await pool.run<number>(21), 42);
    const bytes = new ArrayBuffer(16);
    assert.equal(await pool.run<number>(bytes, { name: 'byteLength' }), 16);
    assert.equal(bytes.byteLength, 16, 'copied, not moved');
    assert.deepEqual(pool.statistics(), {
      threads: 1,
      idleThreads: 1,
      running: 0,
      queued: 0,
      tasksWaiting: 0,
      completed: 2,
      cancelled: 0,
      terminated: 0,
    });
  }));

test('transfer moves a buffer to the thread instead of copying it', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1 });
    const bytes = new ArrayBuffer(1 << 20);
    assert.equal(await pool.run<number>(bytes, { name: 'byteLength', transfer: [bytes] }), 1 << 20);
    assert.equal(bytes.byteLength, 0, 'detached in the caller');
  }));

test('jobs beyond maxThreads wait in FIFO order; maxQueue bounds the wait with QueueFull', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, maxQueue: 2 });
    const mark = workerFunction<typeof Jobs.mark>(JOBS, 'mark', { pool });
    const { shared, view } = cells();
    const order: string[] = [];
    await taskGroup(async (tg) => {
      for (const [name, ms] of [
        ['a', 100],
        ['b', 0],
        ['c', 0],
      ] as const) {
        tg.spawn(async () => {
          await mark(shared, ms);
          order.push(name);
        });
      }
      await sleep(0);
      assert.deepEqual(
        { ...pool.statistics() },
        {
          threads: 1,
          idleThreads: 0,
          running: 1,
          queued: 2,
          tasksWaiting: 3,
          completed: 0,
          cancelled: 0,
          terminated: 0,
        },
      );
      assert.equal(inspect(pool), 'WorkerPool<threads=1/1 running=1 queued=2>');
      await assert.rejects(pool.run(null), {
        name: 'QueueFull',
        message: 'WorkerPool.run(): 2 jobs already wait for a thread (maxQueue: 2)',
      });
    });
    assert.equal(Atomics.load(view, 0), 3);
    assert.deepEqual(order, ['a', 'b', 'c']);
    assert.ok(QueueFull);
  }));

test('a job error arrives with its class, name, message, stack, properties and cause', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1 });
    const error = await pool.run(null, { name: 'fail' }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e as RangeError & { code: string; detail: unknown },
    );
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, 'the value is out of range');
    assert.equal(error.code, 'E_RANGE');
    assert.deepEqual(error.detail, { at: 3 });
    assert.match(
      error.stack ?? '',
      /^RangeError: the value is out of range\n\s+at fail \(.*_jobs\.ts:\d+:\d+\)/,
    );
    assert.equal((error.cause as Error).message, 'inner');

    const custom = (await pool.run(null, { name: 'failCustom' }).catch((e: unknown) => e)) as Error;
    assert.equal(custom.name, 'CustomError');
    assert.equal(custom.message, 'custom failure');
    assert.match(custom.stack ?? '', /^CustomError: custom failure\n\s+at failCustom/);

    assert.equal(
      await pool.run(null, { name: 'throwString' }).catch((e: unknown) => e),
      'a plain string',
    );
    await assert.rejects(pool.run(null, { name: 'unclonable' }), { name: 'DataCloneError' });
    await assert.rejects(pool.run(null, { name: 'nothing' }), {
      name: 'TypeError',
      message: `WorkerPool: the module ${JOBS.href} has no export named "nothing" that is a function`,
    });
    assert.equal(pool.statistics().threads, 1, 'errors leave the thread in the pool');
  }));

test('a thread that exits in a job fails the job, and the pool goes on with a new one', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1 });
    await assert.rejects(pool.run(null, { name: 'exit' }), {
      message: 'WorkerPool: the worker thread exited (code 3) while it ran "exit"',
    });
    assert.equal(await pool.run<number>(2), 4);
  }));

test('a cancelled job that checks stops at once, and its thread serves the next job', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancelGrace: 60_000 });
    const before = await pool.run<number>(null, { name: 'thread' });
    const { shared, view } = cells();
    const scope = new CancelScope();
    const job = scope.run(() => pool.run(shared, { name: 'cooperative' }));
    await started(view);
    scope.cancel();
    await job;
    assert.equal(scope.cancelledCaught, true);
    const turns = Atomics.load(view, 1);
    await sleep(20);
    assert.equal(Atomics.load(view, 1), turns, 'the job no longer runs');
    assert.equal(await pool.run<number>(null, { name: 'thread' }), before);
    assert.deepEqual(
      { ...pool.statistics(), completed: 0 },
      {
        threads: 1,
        idleThreads: 1,
        running: 0,
        queued: 0,
        tasksWaiting: 0,
        completed: 0,
        cancelled: 1,
        terminated: 0,
      },
    );
  }));

test('workerSignal() aborts an awaiting job when its caller is cancelled; the thread stays', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancelGrace: 60_000 });
    const { shared, view } = cells();
    const job = createTask(() => pool.run(shared, { name: 'sleeper' }));
    await started(view);
    job.cancel();
    await assert.rejects(Promise.resolve(job), { name: 'CancelledError' });
    assert.equal(pool.statistics().terminated, 0);
    assert.equal(pool.statistics().threads, 1);
  }));

test('a busy job that never checks is terminated after cancelGrace; the error comes after the exit', () =>
  run(async () => {
    const grace = 150;
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancelGrace: grace });
    const { shared, view } = cells();
    const job = createTask(() => pool.run(shared, { name: 'stubborn' }));
    await started(view);
    const t0 = performance.now();
    job.cancel();
    await assert.rejects(Promise.resolve(job), { name: 'CancelledError' });
    const elapsed = performance.now() - t0;
    // The pool counts a thread until its 'exit' event: gone means exited.
    assert.equal(pool.statistics().threads, 0);
    assert.equal(pool.statistics().terminated, 1);
    const turns = Atomics.load(view, 1);
    await sleep(20);
    assert.equal(Atomics.load(view, 1), turns, 'the thread no longer runs');
    assert.ok(elapsed >= grace - 1, `stopped after ${elapsed} ms, before the grace`);
    // Not stopped at the grace, the busy job would run forever: the bound is
    // loose, for a loaded machine, and only says "at the grace, not later".
    assert.ok(elapsed < grace + 1000, `stopped after ${elapsed} ms`);
    assert.equal(await pool.run<number>(5), 10, 'a new thread takes the next job');
  }));

test("cancel: 'terminate' stops the thread at once; 'abandon' returns at once and the job runs on", () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancelGrace: 60_000 });
    const a = cells();
    const first = new CancelScope();
    const job = first.run(() => pool.run(a.shared, { name: 'stubborn', cancel: 'terminate' }));
    await started(a.view);
    first.cancel();
    await job;
    assert.equal(pool.statistics().threads, 0);
    assert.equal(pool.statistics().terminated, 1);

    const b = cells();
    const mark = workerFunction<typeof Jobs.mark>(JOBS, 'mark', { pool, cancel: 'abandon' });
    const scope = new CancelScope();
    let t0 = 0;
    await scope.run(async () => {
      const job = mark(b.shared, 300);
      await started(b.view);
      t0 = performance.now();
      scope.cancel();
      await job;
    });
    assert.ok(performance.now() - t0 < 200, 'the caller did not wait for the job');
    assert.deepEqual(
      [pool.statistics().running, pool.statistics().tasksWaiting],
      [1, 0],
      'the thread is still busy with the abandoned job',
    );
    assert.equal(await pool.run<number>(4), 8, 'the next job waits for the thread');
    assert.equal(pool.statistics().running, 0);
  }));

test('a job cancelled while it waits for a thread never runs', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1 });
    const mark = workerFunction<typeof Jobs.mark>(JOBS, 'mark', { pool });
    const { shared, view } = cells();
    const first = createTask(() => mark(shared, 100));
    const second = createTask(() => mark(shared, 0));
    await sleep(20);
    assert.equal(pool.statistics().queued, 1);
    second.cancel();
    await assert.rejects(Promise.resolve(second), { name: 'CancelledError' });
    assert.equal(pool.statistics().queued, 0);
    await first;
    await sleep(20);
    assert.equal(Atomics.load(view, 0), 1, 'only the first job ran');
  }));

test('run() in a cancelled task throws before the job is queued', () =>
  run(async () => {
    await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1 });
    await new CancelScope().run(async (scope) => {
      scope.cancel();
      await assert.rejects(pool.run(1), { name: 'CancelledError' });
      assert.equal(pool.statistics().threads, 0);
    });
    const aborted = AbortSignal.abort(new Error('stop'));
    await assert.rejects(pool.run(1, { signal: aborted }), {
      name: 'CancelledError',
      message: 'the operation was aborted by its signal',
    });
  }));

test('close() lets submitted jobs finish, then every thread exits; run() after it throws', () =>
  run(async () => {
    const pool = new WorkerPool({ filename: JOBS, maxThreads: 1 });
    const mark = workerFunction<typeof Jobs.mark>(JOBS, 'mark', { pool });
    const { shared, view } = cells();
    const jobs = [createTask(() => mark(shared, 50)), createTask(() => mark(shared, 0))];
    await sleep(10);
    await pool.close();
    assert.equal(Atomics.load(view, 0), 2);
    await Promise.all(jobs);
    assert.equal(pool.statistics().threads, 0);
    assert.equal(inspect(pool), 'WorkerPool<closed threads=0/1>');
    await assert.rejects(pool.run(1), {
      name: 'InvalidStateError',
      message: 'WorkerPool.run(): the pool is closed; make a new WorkerPool',
    });
    await pool.close();
    assert.ok(InvalidStateError);
  }));

test('a cancelled close() stops the jobs left, waits for every thread, then throws', () =>
  run(async () => {
    const pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancelGrace: 50 });
    const { shared, view } = cells();
    const busy = createTask(() => pool.run(shared, { name: 'stubborn' }));
    const queued = createTask(() => pool.run(1));
    await started(view);
    await assert.rejects(
      timeout(30, () => pool.close()),
      { name: 'TimeoutError' },
    );
    assert.equal(pool.statistics().threads, 0);
    await assert.rejects(Promise.resolve(busy), ClosedResourceError);
    await assert.rejects(Promise.resolve(queued), ClosedResourceError);
  }));

test('idle threads beyond minThreads exit after idleTimeout', () =>
  run(async () => {
    await using pool = new WorkerPool({
      filename: JOBS,
      minThreads: 1,
      maxThreads: 3,
      idleTimeout: 30,
    });
    assert.equal(pool.statistics().threads, 1);
    const mark = workerFunction<typeof Jobs.mark>(JOBS, 'mark', { pool });
    const { shared, view } = cells();
    const jobs = Promise.all([mark(shared, 300), mark(shared, 300), mark(shared, 300)]);
    assert.equal(pool.statistics().threads, 3);
    while (Atomics.load(view, 0) < 3) await sleep(5);
    await jobs;
    while (pool.statistics().threads > 1) await sleep(5);
    await sleep(100);
    assert.deepEqual([pool.statistics().threads, pool.statistics().idleThreads], [1, 1]);
  }));

test('workerFunction() types the call from the export and runs on the shared pool', () =>
  run(async () => {
    const add = workerFunction<typeof Jobs.add>(JOBS, 'add');
    const sum: number = await add(2, 3);
    assert.equal(sum, 5);
    await assert.rejects(workerFunction<typeof Jobs.add>(JOBS, 'nope')(1, 2), {
      message: `WorkerPool: the module ${JOBS.href} has no export named "nope" that is a function`,
    });
  }));

test('under a VirtualClock, time holds while a thread answers, and jumps once it has been quiet', () =>
  run(
    async () => {
      await using pool = new WorkerPool({ filename: JOBS, maxThreads: 1, cancelGrace: 60_000 });
      assert.equal(await pool.run<number>(1), 2, 'the thread has started');
      assert.equal(await timeout(10, () => pool.run<number>(2)), 4);
      assert.equal(getRunningLoop().time(), 0);
      const { shared } = cells();
      await assert.rejects(
        timeout(1000, () => pool.run(shared, { name: 'cooperative' })),
        { name: 'TimeoutError' },
      );
      assert.equal(getRunningLoop().time(), 1000);
      assert.deepEqual([pool.statistics().cancelled, pool.statistics().terminated], [1, 0]);
    },
    { clock: new VirtualClock() },
  ));

test('checkCancelled() and workerSignal() outside a job say where to call them', () => {
  assert.throws(checkCancelled, {
    name: 'InvalidStateError',
    message:
      'checkCancelled(): no WorkerPool job is running on this thread; call it from inside the function a pool runs',
  });
  assert.throws(workerSignal, {
    name: 'InvalidStateError',
    message:
      'workerSignal(): no WorkerPool job is running on this thread; call it from inside the function a pool runs',
  });
});

test('bad input is refused at once, naming the argument', async () => {
  const missing = new URL('./no-such-job.js', import.meta.url);
  const cases: [() => unknown, RegExp | { name: string; message: string }][] = [
    [
      () => new WorkerPool({ filename: missing }),
      {
        name: 'TypeError',
        message: `new WorkerPool(): \`options.filename\` names no file: ${missing.pathname} does not exist`,
      },
    ],
    [
      () => new WorkerPool({ filename: './job.js' }),
      {
        name: 'TypeError',
        message:
          'new WorkerPool(): `options.filename` must be an absolute path or a file: URL (new URL(\'./job.js\', import.meta.url)), got "./job.js"',
      },
    ],
    [
      () => new WorkerPool({ filename: JOBS, cancelGrace: -1 }),
      {
        name: 'RangeError',
        message:
          'new WorkerPool(): `options.cancelGrace` must be a number >= 0 (Infinity for no limit), got -1',
      },
    ],
    [
      () => new WorkerPool({ filename: JOBS, minThreads: 3, maxThreads: 2 }),
      {
        name: 'RangeError',
        message:
          'new WorkerPool(): `options.minThreads` (3) must not exceed `options.maxThreads` (2)',
      },
    ],
    [
      () => new WorkerPool({ filename: JOBS, maxThreads: 0 }),
      {
        name: 'RangeError',
        message: 'new WorkerPool(): `options.maxThreads` must be an integer >= 1, got 0',
      },
    ],
    [
      () => new WorkerPool({ filename: JOBS, cancel: 'later' as 'abandon' }),
      {
        name: 'RangeError',
        message:
          'new WorkerPool(): `options.cancel` must be one of "cooperative", "terminate" or "abandon", got "later"',
      },
    ],
    [
      () => new WorkerPool({ filename: JOBS, maxThread: 2 } as never),
      {
        name: 'TypeError',
        message:
          'new WorkerPool(): `options.maxThread` is not an option; did you mean `maxThreads`?',
      },
    ],
    [
      () => new WorkerPool(undefined as never),
      {
        name: 'TypeError',
        message:
          'new WorkerPool(): `options` must be an options object with `filename`, got undefined',
      },
    ],
    [
      () => workerFunction(JOBS, ''),
      {
        name: 'TypeError',
        message: 'workerFunction(): `exportName` must be a non-empty string, got ""',
      },
    ],
  ];
  for (const [make, expected] of cases) assert.throws(make, expected);
  await run(async () => {
    await using pool = new WorkerPool({ filename: JOBS });
    await assert.rejects(pool.run(1, { transfer: 'x' as never }), {
      name: 'TypeError',
      message: 'WorkerPool.run(): `options.transfer` must be an array, got "x"',
    });
    await assert.rejects(pool.run(1, { name: 3 as never }), {
      name: 'TypeError',
      message: 'WorkerPool.run(): `options.name` must be a string, got 3',
    });
  });
});
