import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { Barrier, BrokenBarrierError, createTask, sleep, taskGroup } from 'corio';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('a barrier releases all parties together, with distinct arrival indices, round after round', () =>
  vrun(async () => {
    const barrier = new Barrier(3);
    const trace = new Trace();
    await taskGroup((tg) => {
      for (const [name, ms] of [
        ['a', 30],
        ['b', 10],
        ['c', 20],
      ] as const) {
        tg.spawn(async () => {
          for (let round = 1; round <= 2; round++) {
            await sleep(ms);
            const index = await barrier.wait();
            trace.log(`${name} round ${round} #${index}`);
          }
        });
      }
    });
    assert.deepEqual(trace.lines, [
      '30 a round 1 #2',
      '30 b round 1 #0',
      '30 c round 1 #1',
      '60 a round 2 #2',
      '60 b round 2 #0',
      '60 c round 2 #1',
    ]);
    assert.deepEqual(barrier.statistics(), {
      parties: 3,
      nWaiting: 0,
      broken: false,
      tasksWaiting: 0,
    });
  }));

test('abort() breaks the barrier for waiting and later tasks until reset()', () =>
  vrun(async () => {
    const barrier = new Barrier(3);
    const waiter = createTask(() => barrier.wait());
    await waitAllTasksBlocked();
    assert.equal(barrier.nWaiting, 1);
    barrier.abort();
    await assert.rejects(Promise.resolve(waiter), BrokenBarrierError);
    assert.equal(barrier.broken, true);
    assert.equal(inspect(barrier), 'Barrier<broken>');
    await assert.rejects(barrier.wait(), {
      name: 'BrokenBarrierError',
      message: 'Barrier.wait(): the barrier is broken',
    });
    barrier.reset();
    assert.equal(barrier.broken, false);
    const again = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
    await waitAllTasksBlocked();
    barrier.reset();
    for (const t of again) {
      await assert.rejects(Promise.resolve(t), {
        message: 'Barrier.wait(): the barrier was reset',
      });
    }
  }));

test('a task cancelled while waiting leaves the barrier and is not counted', () =>
  vrun(async () => {
    const barrier = new Barrier(2);
    const leaver = createTask(() => barrier.wait());
    await waitAllTasksBlocked();
    leaver.cancel();
    assert.equal(await outcome(leaver), 'CancelledError');
    assert.equal(barrier.nWaiting, 0);
    const [a, b] = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
    assert.deepEqual([await a, await b], [0, 1]);
  }));

test('a one-party barrier passes at once but is still a cancellation point', () =>
  vrun(async () => {
    const barrier = new Barrier(1);
    assert.equal(await barrier.wait(), 0);
    await assertCheckpoints(() => barrier.wait());
    assert.throws(() => new Barrier(0), {
      name: 'RangeError',
      message: 'new Barrier(): `parties` must be an integer >= 1, got 0',
    });
  }));
