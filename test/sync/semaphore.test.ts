import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { BoundedSemaphore, Semaphore, createTask, sleep, taskGroup } from 'corio';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('a semaphore lets value tasks in at once, the rest in FIFO order', () =>
  vrun(async () => {
    const sem = new Semaphore(2);
    const trace = new Trace();
    await taskGroup((tg) => {
      for (const [name, ms] of [
        ['a', 30],
        ['b', 10],
        ['c', 5],
        ['d', 5],
      ] as const) {
        tg.spawn(async () => {
          using _permit = await sem.acquire();
          trace.log(`${name} in`);
          await sleep(ms);
        });
      }
    });
    assert.deepEqual(trace.lines, ['0 a in', '0 b in', '10 c in', '15 d in']);
    assert.deepEqual(sem.statistics(), { value: 2, tasksWaiting: 0 });
  }));

test('a released permit goes to the first waiter, not to a newcomer', () =>
  vrun(async () => {
    const sem = new Semaphore(1);
    const trace = new Trace();
    const held = await sem.acquire();
    const waiter = createTask(async () => {
      using _permit = await sem.acquire();
      trace.log('waiter in');
      await sleep(5);
    });
    await waitAllTasksBlocked();
    held.release();
    assert.equal(sem.value, 0, 'the permit was handed over, not counted');
    const newcomer = createTask(async () => {
      using _permit = await sem.acquire();
      trace.log('newcomer in');
    });
    await waiter;
    await newcomer;
    assert.deepEqual(trace.lines, ['0 waiter in', '5 newcomer in']);
  }));

test('a waiter cancelled as a permit is handed to it passes the permit on', () =>
  vrun(async () => {
    const sem = new Semaphore(0);
    const first = createTask(() => sem.acquire());
    const second = createTask(() => sem.acquire());
    await waitAllTasksBlocked();
    sem.release();
    first.cancel();
    assert.equal(await outcome(first), 'CancelledError');
    (await second).release();
    assert.deepEqual(sem.statistics(), { value: 1, tasksWaiting: 0 });
  }));

test('BoundedSemaphore refuses to be released more often than acquired', () =>
  vrun(async () => {
    const sem = new BoundedSemaphore(2);
    assert.throws(
      () => {
        sem.release();
      },
      {
        name: 'InvalidStateError',
        message:
          'BoundedSemaphore.release(): released more often than acquired (all 2 permits are free)',
      },
    );
    const guard = await sem.acquire();
    sem.release();
    assert.throws(() => {
      guard.release();
    }, /released more often than acquired/);
    assert.equal(inspect(sem), 'BoundedSemaphore<value=2>');
  }));

test('acquire is a cancellation point with a free permit, and run() releases', () =>
  vrun(async () => {
    const sem = new Semaphore(1);
    await assertCheckpoints(() => sem.acquire());
    assert.equal(sem.value, 1);
    assert.equal(await sem.run(() => sleep(1, 'ran')), 'ran');
    assert.equal(sem.locked(), false);
  }));

test('semaphores validate their value', () => {
  assert.throws(() => new Semaphore(-1), {
    name: 'RangeError',
    message: 'new Semaphore(): `value` must be an integer >= 0, got -1',
  });
  assert.throws(
    () => new BoundedSemaphore(1.5),
    /^RangeError: new BoundedSemaphore\(\): `value` must be an integer >= 0, got 1.5$/,
  );
});
