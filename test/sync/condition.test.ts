import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { Condition, Lock, createTask, sleep, taskGroup } from 'corio';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('notify() wakes one waiter, notifyAll() the rest, each re-taking the lock in turn', () =>
  vrun(async () => {
    const cond = new Condition();
    const trace = new Trace();
    await taskGroup(async (tg) => {
      for (const name of ['a', 'b', 'c']) {
        tg.spawn(async () => {
          using _held = await cond.acquire();
          await cond.wait();
          trace.log(`${name} woke holding=${cond.locked()}`);
          await sleep(5);
        });
      }
      await waitAllTasksBlocked();
      assert.equal(cond.statistics().tasksWaiting, 3);
      await cond.run(() => {
        cond.notify();
      });
      await sleep(1);
      await cond.run(() => {
        cond.notifyAll();
      });
    });
    assert.deepEqual(trace.lines, [
      '0 a woke holding=true',
      '5 b woke holding=true',
      '10 c woke holding=true',
    ]);
  }));

test('waitFor checks the predicate before waiting and after each notification', () =>
  vrun(async () => {
    const cond = new Condition(new Lock());
    let state = 0;
    const waiter = createTask(() =>
      cond.run(() => cond.waitFor(() => (state >= 2 ? `state ${state}` : ''))),
    );
    for (let i = 0; i < 2; i++) {
      await sleep(10);
      await cond.run(() => {
        state++;
        cond.notifyAll();
      });
    }
    assert.equal(await waiter, 'state 2');
    assert.equal(await cond.run(() => cond.waitFor(() => 'at once')), 'at once');
  }));

test('a waiter cancelled while re-acquiring still re-acquires, then throws', () =>
  vrun(async () => {
    // Scenario: W waits; N notifies while holding the lock, then W is cancelled
    // before it could take the lock back. W must hold the lock when its wait()
    // throws, so its `using` releases a lock it really holds.
    const cond = new Condition();
    const trace = new Trace();
    const waiter = createTask(async () => {
      using _held = await cond.acquire();
      try {
        await cond.wait();
      } catch (err) {
        trace.log(`waiter threw ${(err as Error).name}, holding=${cond.locked()}`);
        throw err;
      }
    });
    await waitAllTasksBlocked();
    await cond.run(async () => {
      cond.notify();
      await sleep(1);
      waiter.cancel();
      await sleep(10);
      trace.log('notifier releases');
    });
    assert.equal(await outcome(waiter), 'CancelledError');
    assert.deepEqual(trace.lines, [
      '11 notifier releases',
      '11 waiter threw CancelledError, holding=true',
    ]);
    assert.deepEqual(cond.statistics(), {
      tasksWaiting: 0,
      lock: { locked: false, tasksWaiting: 0 },
    });
  }));

test('a waiter cancelled as it is notified passes the notification on', () =>
  vrun(async () => {
    const cond = new Condition();
    const trace = new Trace();
    const wait = (name: string) =>
      createTask(async () => {
        using _held = await cond.acquire();
        await cond.wait();
        trace.log(`${name} notified`);
      });
    const first = wait('first');
    const second = wait('second');
    await waitAllTasksBlocked();
    await cond.run(() => {
      cond.notify(1);
      first.cancel();
    });
    assert.equal(await outcome(first), 'CancelledError');
    await second;
    assert.deepEqual(trace.lines, ['0 second notified']);
  }));

test('wait and notify without the lock throw InvalidStateError', () =>
  vrun(async () => {
    const cond = new Condition();
    await assert.rejects(cond.wait(), {
      name: 'InvalidStateError',
      message: 'Condition.wait(): the lock is not held; acquire it first',
    });
    assert.throws(
      () => {
        cond.notify();
      },
      { message: 'Condition.notify(): the lock is not held; acquire it first' },
    );
    assert.throws(() => new Condition('not a lock' as never), TypeError);
    await cond.run(async () => {
      await assertCheckpoints(() => cond.wait());
      assert.equal(cond.locked(), true, 'a cancelled wait() never released the lock');
      assert.equal(inspect(cond), 'Condition<locked>');
    });
  }));

test('a notified waiter cancelled while re-taking the lock passes the notification on (#11)', () =>
  vrun(async () => {
    // Scenario: A and B wait for `ready`. The notifier sets it and notifies one
    // (A); A is cancelled while it waits to take the lock back. A throws, so the
    // notification must go to B (asyncio notifies another waiter), or B sleeps
    // forever with the predicate true.
    const cond = new Condition();
    const trace = new Trace();
    let ready = false;
    const wait = (name: string) =>
      createTask(
        async () => {
          using _held = await cond.acquire();
          try {
            await cond.waitFor(() => ready);
            trace.log(`${name} saw ready`);
          } catch (err) {
            trace.log(`${name} threw ${(err as Error).name}`);
            throw err;
          }
        },
        { name },
      );
    const a = wait('a');
    const b = wait('b');
    await waitAllTasksBlocked();
    await cond.run(async () => {
      ready = true;
      cond.notify(1);
      await sleep(1);
      a.cancel();
      await sleep(1);
    });
    assert.equal(await outcome(a), 'CancelledError');
    await b;
    assert.deepEqual(trace.lines, ['2 a threw CancelledError', '2 b saw ready']);
    assert.deepEqual(cond.statistics(), {
      tasksWaiting: 0,
      lock: { locked: false, tasksWaiting: 0 },
    });
  }));
