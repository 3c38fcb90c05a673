// The checkpoint fast path (#16): throwIfCancelled() skips looking up where it
// runs while no cancelled node is in force (cancel-node.ts). These tests check
// both sides of that bargain: a cancellation is never missed where the count
// could wrongly be zero, and the count comes back to zero, so the fast path is
// not lost for the rest of the process after a cancellation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CancelScope,
  CancelledError,
  Event,
  Lock,
  Queue,
  Semaphore,
  cancelScope,
  createTask,
  getRunningLoop,
  moveOnAfter,
  sleep,
  taskGroup,
} from 'corio';
import { Nursery } from 'corio/lowlevel';
import { waitAllTasksBlocked } from 'corio/testing';
import { cancelsInForce } from '../../src/core/cancel-node.js';
import { Trace, outcome, vrun } from '../_helpers.js';

test('a nursery left open past its cancelled scope keeps its tasks cancelled at a checkpoint that does not wait', () =>
  vrun(async () => {
    const trace = new Trace();
    const queue = new Queue<number>(10);
    // A plain promise, not a corio wait: the task goes on only once the scope has exited.
    let open!: () => void;
    const exited = new Promise<void>((resolve) => {
      open = resolve;
    });
    let nursery: Nursery | undefined;
    await cancelScope(async (scope) => {
      // Opened in the scope and closed after it: its task outlives the scope.
      nursery = new Nursery();
      nursery.spawn(async () => {
        trace.log(`sleep ${await outcome(sleep(5))}`);
        await exited;
        // The scope has exited (it is no longer live): only its child, the
        // nursery, keeps it in force; a put into a queue with room does not wait.
        trace.log(`put ${await outcome(queue.put(1))}`);
      });
      await waitAllTasksBlocked();
      scope.cancel();
    });
    trace.log(`scope exited, in force ${cancelsInForce()}`);
    open();
    await (nursery as Nursery).join();
    (nursery as Nursery).exit();
    assert.deepEqual(trace.lines, [
      '0 sleep CancelledError',
      '0 scope exited, in force 1',
      '0 put CancelledError',
    ]);
    assert.equal(queue.qsize(), 0);
    assert.equal(cancelsInForce(), 0);
  }));

test('each fast path throws for a cancelled task: Queue.put/get, Lock, Semaphore, Event', () =>
  vrun(async () => {
    const queue = new Queue<number>(10);
    queue.putNowait(7);
    const lock = new Lock();
    const sem = new Semaphore(1);
    const event = new Event();
    event.set();
    let outcomes: string[] = [];
    const task = createTask(async () => {
      await sleep(100).catch(() => {});
      // Cancelled now; none of these would have to wait.
      outcomes = [
        await outcome(queue.put(1)),
        await outcome(queue.get()),
        await outcome(lock.acquire()),
        await outcome(sem.acquire()),
        await outcome(event.wait()),
      ];
    });
    await waitAllTasksBlocked();
    task.cancel();
    await outcome(Promise.resolve(task));
    assert.deepEqual(outcomes, Array(5).fill('CancelledError'));
    assert.equal(queue.qsize(), 1);
    assert.equal(lock.locked(), false);
    assert.equal(sem.value, 1);
    assert.equal(cancelsInForce(), 0);
  }));

test('a shielded scope inside a cancelled one runs its fast paths, and the outer one still throws after it', () =>
  vrun(async () => {
    const trace = new Trace();
    const queue = new Queue<number>(10);
    await cancelScope(async (outer) => {
      outer.cancel();
      await new CancelScope({ shield: true }).run(async () => {
        trace.log(`shielded put ${await outcome(queue.put(1))}`);
      });
      trace.log(`outer put ${await outcome(queue.put(2))}`);
    });
    assert.deepEqual(trace.lines, ['0 shielded put resolved', '0 outer put CancelledError']);
    assert.equal(cancelsInForce(), 0);
  }));

test('the count comes back to zero after every way of cancelling', () =>
  vrun(async () => {
    assert.equal(cancelsInForce(), 0);
    // A deadline.
    await moveOnAfter(10, () => sleep(100));
    assert.equal(cancelsInForce(), 0);
    // A scope cancelled before it is entered, then entered.
    const early = new CancelScope();
    early.cancel();
    assert.equal(cancelsInForce(), 0, 'a scope not yet entered is not in force');
    await early.run(() => sleep(1));
    assert.equal(cancelsInForce(), 0);
    // A group whose child fails: its siblings are cancelled.
    await assert.rejects(
      taskGroup((tg) => {
        tg.spawn(() => sleep(100));
        tg.spawn(async () => {
          await sleep(1);
          throw new Error('boom');
        });
      }),
    );
    assert.equal(cancelsInForce(), 0);
    // A task cancelled while it waits, and one cancelled before it starts.
    const waiting = createTask(() => sleep(100));
    const unstarted = createTask(() => sleep(100));
    unstarted.cancel();
    await sleep(1);
    waiting.cancel();
    await Promise.allSettled([waiting, unstarted].map((t) => Promise.resolve(t)));
    assert.equal(cancelsInForce(), 0);
    // A task that ends with a wait it did not await: the orphan is reaped (and reported).
    const reported: string[] = [];
    getRunningLoop().setExceptionHandler((context) => reported.push(context.message));
    const leaky = createTask(() => {
      void sleep(100);
    });
    await Promise.resolve(leaky);
    assert.match(reported.join(), /still pending; they were cancelled: sleep\(100\)/);
    assert.equal(cancelsInForce(), 0);
    // Nested cancelled scopes, the inner one exiting first.
    await cancelScope(async (outer) => {
      await cancelScope(async (inner) => {
        inner.cancel();
        outer.cancel();
        assert.equal(cancelsInForce(), 2);
        await sleep(1).catch(() => {});
      });
      assert.equal(cancelsInForce(), 1);
      await assert.rejects(sleep(1), CancelledError);
    });
    assert.equal(cancelsInForce(), 0);
  }));

test('a cancelled node dropped without exiting stops counting once it is collected', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  await vrun(async () => {
    // A task opens a nursery and ends without exiting it: the nursery's node is
    // cancelled with the task's leftovers, and stays live (never exited).
    await Promise.resolve(
      createTask(() => {
        new Nursery().spawn(() => sleep(Infinity));
      }),
    );
    await sleep(1);
    assert.equal(cancelsInForce(), 1);
  });
  // Nothing refers to the nursery now; its node is collected, and with it its count.
  for (let turn = 0; turn < 50 && cancelsInForce() !== 0; turn++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(cancelsInForce(), 0);
});
