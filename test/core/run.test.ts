import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, createTask, getRunningLoop, run, sleep, taskGroup, timeout } from 'corio';
import { VirtualClock } from 'corio/testing';
import { outcome } from '../_helpers.js';

const clock = () => new VirtualClock();

test('run returns main’s value and throws main’s error', async () => {
  assert.equal(await run(() => 5, { clock: clock() }), 5);
  await assert.rejects(
    run(
      async () => {
        await sleep(1);
        throw new RangeError('main failed');
      },
      { clock: clock() },
    ),
    RangeError,
  );
});

test('run cancels and awaits every task left pending when main ends', async () => {
  const trace: string[] = [];
  await run(
    async () => {
      const loop = getRunningLoop();
      createTask(async () => {
        try {
          await sleep(Infinity);
        } finally {
          await sleep(0).catch(() => {});
          trace.push(`background cleaned up at ${loop.time()}`);
        }
      });
      await sleep(10);
      trace.push('main returns');
    },
    { clock: clock() },
  );
  trace.push('run returned');
  assert.deepEqual(trace, ['main returns', 'background cleaned up at 10', 'run returned']);
});

test('the loop is closed after run: new tasks are refused', async () => {
  let loop: ReturnType<typeof getRunningLoop> | undefined;
  await run(
    () => {
      loop = getRunningLoop();
    },
    { clock: clock() },
  );
  assert.equal(loop?.isClosed(), true);
});

test('run(main, { signal }) cancels main when the signal aborts', async () => {
  const controller = new AbortController();
  const pending = run(
    async () => {
      await sleep(1);
      controller.abort();
      await sleep(1000);
    },
    { clock: clock(), signal: controller.signal },
  );
  await assert.rejects(
    pending,
    (err: unknown) => err instanceof CancelledError && err.source === 'signal',
  );
});

test('run names the main task and validates its arguments', async () => {
  assert.equal(await run((task) => task.name, { clock: clock(), name: 'app' }), 'app');
  await assert.rejects(run('main' as never), {
    name: 'TypeError',
    message: 'run(): `main` must be a function, got "main"',
  });
  await assert.rejects(
    run(() => 1, { clock: {} as never }),
    {
      name: 'TypeError',
      message: 'run(): `options.clock` must be a Clock, got an object',
    },
  );
});

test('concurrent runs keep their own loops and clocks', async () => {
  const [a, b] = await Promise.all([
    run(
      async () => {
        await sleep(100);
        return getRunningLoop().time();
      },
      { clock: clock() },
    ),
    run(
      async () => {
        await sleep(7);
        return getRunningLoop().time();
      },
      { clock: clock() },
    ),
  ]);
  assert.deepEqual([a, b], [100, 7]);
});

test('corio works outside run() too, on a shared system-clock loop', async () => {
  assert.equal(await sleep(1, 'slept'), 'slept');
  assert.equal(await timeout(1000, () => 'quick'), 'quick');
  const values: number[] = [];
  await taskGroup((tg) => {
    tg.spawn(async () => {
      await sleep(2);
      values.push(2);
    });
    tg.spawn(() => {
      values.push(1);
    });
  });
  assert.deepEqual(values, [1, 2]);
  const task = createTask(() => sleep(60_000));
  task.cancel();
  assert.equal(await outcome(task), 'CancelledError');
});
