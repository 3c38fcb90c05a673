import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { CancelledError, Event, createTask, sleep, taskGroup } from 'corio';
import { waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('set() wakes every waiter in FIFO order; later waits pass until clear()', () =>
  vrun(async () => {
    const trace = new Trace();
    const event = new Event();
    await taskGroup(async (tg) => {
      for (const name of ['a', 'b', 'c']) {
        tg.spawn(async () => {
          assert.equal(await event.wait(), true);
          trace.log(`${name} woke`);
        });
      }
      await sleep(10);
      assert.equal(event.statistics().tasksWaiting, 3);
      event.set();
      event.set();
    });
    await event.wait();
    trace.log('passed a set event');
    event.clear();
    assert.equal(event.isSet(), false);
    assert.deepEqual(trace.lines, ['10 a woke', '10 b woke', '10 c woke', '10 passed a set event']);
  }));

test('a waiter cancelled while waiting leaves no waiter behind', () =>
  vrun(async () => {
    const event = new Event();
    const waiter = createTask(() => event.wait());
    await waitAllTasksBlocked();
    assert.deepEqual(event.statistics(), { isSet: false, tasksWaiting: 1 });
    waiter.cancel();
    assert.equal(event.statistics().tasksWaiting, 0, 'unlinked synchronously by cancel()');
    assert.equal(await outcome(waiter), 'CancelledError');
  }));

test('a waiter cancelled at the moment it is woken throws CancelledError', () =>
  vrun(async () => {
    // Scenario: the waiter is parked; in one synchronous step the event is set
    // (waking it) and the waiter is cancelled before it resumes. Level-triggered
    // cancellation wins: the waiter throws, and nothing else is affected.
    const event = new Event();
    const waiter = createTask(() => event.wait());
    const other = createTask(() => event.wait());
    await waitAllTasksBlocked();
    event.set();
    waiter.cancel();
    assert.equal(await outcome(waiter), 'CancelledError');
    assert.equal(await other, true);
  }));

test('Event.wait accepts a signal for use outside tasks', async () => {
  const event = new Event();
  const controller = new AbortController();
  const waiting = event.wait({ signal: controller.signal });
  assert.equal(event.statistics().tasksWaiting, 1);
  controller.abort(new Error('stop'));
  await assert.rejects(
    waiting,
    (err: unknown) => err instanceof CancelledError && err.source === 'signal',
  );
  assert.equal(event.statistics().tasksWaiting, 0);
  const set = new Event();
  set.set();
  assert.equal(await set.wait(), true);
  await assert.rejects(set.wait({ signal: AbortSignal.abort() }), CancelledError);
  await assert.rejects(set.wait({ signal: 'x' as never }), {
    name: 'TypeError',
    message: 'Event.wait(): `signal` must be an AbortSignal, got "x"',
  });
});

test('an event prints its state', () => {
  const event = new Event();
  assert.equal(inspect(event), 'Event<unset>');
  event.set();
  assert.equal(String(event), 'Event<set>');
});
