import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { createTask, getRunningLoop, run, sleep } from 'corio';
import { VirtualClock, waitAllTasksBlocked } from 'corio/testing';
import { Trace } from '../_helpers.js';

test('autojump runs an hour of sleeps instantly and in order', async () => {
  const clock = new VirtualClock();
  const lines = await run(
    async () => {
      const trace = new Trace();
      await Promise.all([
        sleep(3_600_000).then(() => {
          trace.log('hour');
        }),
        sleep(60_000).then(() => {
          trace.log('minute');
        }),
      ]);
      return trace.lines;
    },
    { clock },
  );
  assert.deepEqual(lines, ['60000 minute', '3600000 hour']);
  assert.equal(clock.now(), 3_600_000);
});

test('without autojump, time moves only by advance()', async () => {
  const clock = new VirtualClock({ autojump: false });
  const trace: string[] = [];
  await run(
    async () => {
      const sleeper = createTask(async () => {
        await sleep(100);
        trace.push(`woke at ${getRunningLoop().time()}`);
      });
      await waitAllTasksBlocked();
      clock.advance(60);
      await waitAllTasksBlocked();
      trace.push(`still asleep at ${clock.now()}`);
      clock.advance(40);
      await sleeper;
    },
    { clock },
  );
  assert.deepEqual(trace, ['still asleep at 60', 'woke at 100']);
  assert.throws(() => {
    clock.advance(-1);
  }, RangeError);
});

test('a task blocked on a host promise holds virtual time still', async () => {
  const trace: string[] = [];
  await run(
    async () => {
      const loop = getRunningLoop();
      const host = createTask(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        trace.push(`host work done at ${loop.time()}`);
      });
      await sleep(1000);
      trace.push(`slept until ${loop.time()}`);
      await host;
    },
    { clock: new VirtualClock() },
  );
  assert.deepEqual(trace, ['host work done at 0', 'slept until 1000']);
});

test('a virtual clock can start at a given time and prints itself', async () => {
  const clock = new VirtualClock({ start: 500 });
  assert.equal(inspect(clock), 'VirtualClock<autojump now=500>');
  await run(() => sleep(10), { clock });
  assert.equal(clock.now(), 510);
  assert.throws(() => new VirtualClock({ autojump: 1 as never }), TypeError);
});

test('waitAllTasksBlocked returns before the clock autojumps', async () => {
  const clock = new VirtualClock();
  await run(
    async () => {
      const sleeper = createTask(() => sleep(50));
      await waitAllTasksBlocked();
      assert.equal(clock.now(), 0);
      await sleeper;
      assert.equal(clock.now(), 50);
    },
    { clock },
  );
});
