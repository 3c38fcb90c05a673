import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { InvalidStateError, checkpoint, createTask, getRunningLoop, run, sleep } from 'corio';
import { VirtualClock } from 'corio/testing';
import { Trace, vrun } from '../_helpers.js';

test('callSoon runs on the next turn, callLater/callAt at their time, in order', () =>
  vrun(async () => {
    const trace = new Trace();
    const loop = getRunningLoop();
    loop.callAt(30, () => {
      trace.log('callAt 30');
    });
    loop.callLater(10, () => {
      trace.log('callLater 10 (a)');
    });
    loop.callLater(10, () => {
      trace.log('callLater 10 (b)');
    });
    loop.callSoon(() => {
      trace.log('callSoon');
    });
    const cancelled = loop.callLater(20, () => {
      trace.log('cancelled timer ran');
    });
    cancelled.cancel();
    assert.equal(cancelled.cancelled(), true);
    const soonCancelled = loop.callSoon(() => {
      trace.log('cancelled soon ran');
    });
    soonCancelled.cancel();
    trace.log('scheduled');
    await sleep(100);
    assert.deepEqual(trace.lines, [
      '0 scheduled',
      '0 callSoon',
      '10 callLater 10 (a)',
      '10 callLater 10 (b)',
      '30 callAt 30',
    ]);
  }));

test('callbacks run outside any task, in the loop', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    let seen: unknown = 'unset';
    loop.callSoon(() => {
      seen = getRunningLoop() === loop;
    });
    await checkpoint();
    assert.equal(seen, true);
  }));

test('a throwing callback is reported to the exception handler and the loop goes on', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const reports: string[] = [];
    loop.setExceptionHandler((ctx) => {
      reports.push(`${ctx.message}: ${(ctx.error as Error).message}`);
    });
    loop.callLater(5, () => {
      throw new Error('boom');
    });
    await sleep(10);
    assert.deepEqual(reports, ['a loop callback threw: boom']);
    loop.setExceptionHandler(null);
    assert.equal(loop.getExceptionHandler(), null);
  }));

test('a task whose start an instrument hook breaks fails with its error; the rest of its batch starts', async () => {
  const ran: string[] = [];
  const outcomes = await run(
    async () => {
      const tasks = ['first', 'broken', 'last'].map((name) =>
        createTask(
          () => {
            ran.push(name);
            return name;
          },
          { name },
        ),
      );
      return Promise.all(tasks.map((t) => t.then(String, (e: unknown) => (e as Error).message)));
    },
    {
      clock: new VirtualClock(),
      trace: {
        taskStarted(task) {
          if (task.name === 'broken') throw new Error('hook failed');
        },
      },
    },
  );
  assert.deepEqual(outcomes, ['first', 'hook failed', 'last']);
  assert.deepEqual(ran, ['first', 'last']);
  // The loop still starts tasks after it.
  assert.equal(await run(() => createTask(() => 7), { clock: new VirtualClock() }), 7);
});

test('the loop validates callbacks and delays, and reports its statistics', () =>
  vrun(() => {
    const loop = getRunningLoop();
    assert.throws(() => loop.callLater(-1, () => {}), RangeError);
    assert.throws(() => loop.callSoon(null as never), {
      name: 'TypeError',
      message: 'EventLoop.callSoon(): `callback` must be a function, got null',
    });
    assert.throws(() => loop.callAt(Number.NaN, () => {}), RangeError);
    const handle = loop.callLater(5, () => {});
    assert.deepEqual(loop.statistics(), {
      tasksLiving: 1,
      tasksRunnable: 1,
      timers: 1,
      callbacksPending: 0,
    });
    assert.equal(inspect(handle), 'TimerHandle<pending when=5>');
    handle.cancel();
    assert.equal(inspect(loop), 'EventLoop<running tasks=1>');
  }));

test('getRunningLoop() outside run() throws InvalidStateError', () => {
  assert.throws(() => getRunningLoop(), {
    name: 'InvalidStateError',
    message: 'getRunningLoop(): no corio loop is running here; call it inside run()',
  });
  assert.ok(new InvalidStateError('x') instanceof Error);
});

test('cancelled timers below the top are pruned in bulk; the heap stays bounded', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const fired: number[] = [];
    const handles = Array.from({ length: 5000 }, (_, i) =>
      loop.callLater(10 + i, () => {
        fired.push(i);
      }),
    );
    for (const [i, handle] of handles.entries()) if (i % 1000 !== 0) handle.cancel();
    assert.equal(loop.statistics().timers, 5);
    await sleep(10_000);
    assert.deepEqual(fired, [0, 1000, 2000, 3000, 4000]);
    assert.equal(loop.statistics().timers, 0);
  }));

// The loop reads its clock once for the timers due together. A timer that comes
// due while they run (the time moved on meanwhile) still fires in the same round,
// in deadline order, without another alarm.
test('a timer that comes due while due timers run fires in the same round', async () => {
  let time = 0;
  const alarms: number[] = [];
  let wake: (() => void) | null = null;
  const clock = {
    now: () => time,
    setAlarm(deadline: number, onAlarm: () => void) {
      alarms.push(deadline);
      wake = deadline === Infinity ? null : onAlarm;
    },
  };
  const order: string[] = [];
  await run(
    async () => {
      const loop = getRunningLoop();
      loop.callAt(10, () => {
        order.push(`10 at ${time}`);
        time = 25; // this callback took 15 ms
      });
      loop.callAt(20, () => order.push(`20 at ${time}`));
      loop.callAt(30, () => order.push(`30 at ${time}`));
      const done = sleep(30);
      // The host would ring the alarm at 10; here the test does.
      await checkpoint();
      time = 10;
      (wake as unknown as () => void)();
      assert.deepEqual(order, ['10 at 10', '20 at 25']);
      time = 30;
      (wake as unknown as () => void)();
      await done;
    },
    { clock },
  );
  assert.deepEqual(order, ['10 at 10', '20 at 25', '30 at 30']);
  // After the first round the next alarm asked for is 30: 20 needed none.
  assert.deepEqual(
    alarms.filter((a) => a !== Infinity),
    [10, 30],
  );
});
