import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { CancelledError, Lock, createTask, sleep, taskGroup, timeout } from 'corio';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('Lock serves waiters in FIFO order', () =>
  vrun(async () => {
    const lock = new Lock();
    const trace = new Trace();
    await taskGroup((tg) => {
      for (const name of ['a', 'b', 'c']) {
        tg.spawn(async () => {
          trace.log(`${name} wants`);
          using _held = await lock.acquire();
          trace.log(`${name} holds`);
          await sleep(10);
        });
      }
    });
    // The fast path does not yield: a holds the lock before b and c even ask,
    // but its continuation runs after them (await on a settled promise).
    assert.deepEqual(trace.lines, [
      '0 a wants',
      '0 b wants',
      '0 c wants',
      '0 a holds',
      '10 b holds',
      '20 c holds',
    ]);
    assert.deepEqual(lock.statistics(), { locked: false, tasksWaiting: 0 });
  }));

test('a task that releases and re-acquires queues behind the waiters (no barging)', () =>
  vrun(async () => {
    const lock = new Lock();
    const trace = new Trace();
    await taskGroup(async (tg) => {
      const first = await lock.acquire();
      tg.spawn(async () => {
        using _held = await lock.acquire();
        trace.log('waiter holds');
        await sleep(5);
      });
      await waitAllTasksBlocked();
      first.release();
      using _again = await lock.acquire();
      trace.log('releaser holds again');
    });
    assert.deepEqual(trace.lines, ['0 waiter holds', '5 releaser holds again']);
  }));

test('a waiter cancelled at the moment it is handed the lock passes it on', () =>
  vrun(async () => {
    // Scenario: A holds the lock; B and C wait. In one synchronous step A
    // releases (handing the lock to B) and B is cancelled before it resumes.
    // B must throw, and the lock must go to C; without the hand-on, nobody
    // would hold it and C would wait forever.
    const lock = new Lock();
    const trace = new Trace();
    const held = await lock.acquire();
    const b = createTask(async () => {
      using _held = await lock.acquire();
      trace.log('b holds');
    });
    const c = createTask(async () => {
      using _held = await lock.acquire();
      trace.log('c holds');
    });
    await waitAllTasksBlocked();
    held.release();
    b.cancel();
    assert.equal(await outcome(b), 'CancelledError');
    await c;
    assert.deepEqual(trace.lines, ['0 c holds']);
    assert.deepEqual(lock.statistics(), { locked: false, tasksWaiting: 0 });
  }));

test('a woken waiter that has not run yet keeps its turn', () =>
  vrun(async () => {
    const lock = new Lock();
    const trace = new Trace();
    const held = await lock.acquire();
    const b = createTask(async () => {
      using _held = await lock.acquire();
      trace.log('b holds');
      await sleep(5);
    });
    await waitAllTasksBlocked();
    held.release();
    // b was handed the lock but has not resumed; a newcomer must wait behind it.
    assert.equal(lock.locked(), true);
    const late = createTask(async () => {
      using _held = await lock.acquire();
      trace.log('late holds');
    });
    await b;
    await late;
    assert.deepEqual(trace.lines, ['0 b holds', '5 late holds']);
  }));

test('cancelled and timed-out waiters leave no ghost waiter behind', () =>
  vrun(async () => {
    const lock = new Lock();
    const held = await lock.acquire();
    const waiters = [1, 2, 3].map(() => createTask(() => lock.acquire()));
    await waitAllTasksBlocked();
    assert.equal(lock.statistics().tasksWaiting, 3);
    for (const w of waiters) w.cancel();
    assert.equal(lock.statistics().tasksWaiting, 0, 'unlinked synchronously by cancel()');
    await assert.rejects(
      timeout(10, () => lock.acquire()),
      { name: 'TimeoutError' },
    );
    assert.equal(lock.statistics().tasksWaiting, 0);
    held.release();
    assert.equal(lock.locked(), false);
    for (const w of waiters) assert.equal(await outcome(w), 'CancelledError');
  }));

test('acquire is a cancellation point even when the lock is free, and takes nothing then', () =>
  vrun(async () => {
    const lock = new Lock();
    await assertCheckpoints(() => lock.acquire());
    assert.equal(lock.locked(), false);
  }));

test('run() releases however the function ends; guards release once', () =>
  vrun(async () => {
    const lock = new Lock();
    assert.equal(await lock.run(() => 'value'), 'value');
    await assert.rejects(
      lock.run(() => {
        throw new RangeError('inside');
      }),
      RangeError,
    );
    assert.equal(lock.locked(), false);
    const guard = await lock.acquire();
    guard.release();
    assert.equal(guard.released, true);
    assert.throws(() => {
      guard.release();
    }, /^InvalidStateError: Guard\.release\(\): this guard was already released$/);
    guard[Symbol.dispose]();
    assert.equal(lock.locked(), false);
  }));

test('releasing an unheld lock throws InvalidStateError; a lock prints its state', () =>
  vrun(async () => {
    const lock = new Lock();
    assert.throws(
      () => {
        lock.release();
      },
      { name: 'InvalidStateError', message: 'Lock.release(): the lock is not held' },
    );
    assert.equal(inspect(lock), 'Lock<unlocked>');
    const held = await lock.acquire();
    const waiter = createTask(() => lock.acquire());
    await waitAllTasksBlocked();
    assert.equal(inspect(lock), 'Lock<locked waiters=1>');
    held.release();
    (await waiter).release();
  }));

test('acquire({ signal }) works outside tasks and removes its waiter on abort', async () => {
  const lock = new Lock();
  const held = await lock.acquire();
  const controller = new AbortController();
  const waiting = lock.acquire({ signal: controller.signal });
  assert.equal(lock.statistics().tasksWaiting, 1);
  controller.abort();
  await assert.rejects(
    waiting,
    (err: unknown) => err instanceof CancelledError && err.source === 'signal',
  );
  assert.equal(lock.statistics().tasksWaiting, 0);
  held.release();
  assert.equal(lock.locked(), false);
});
