import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  createTask,
  sleep,
  taskGroup,
  timeout,
} from 'corio';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('a bounded queue makes producers wait while full and consumers while empty', () =>
  vrun(async () => {
    const queue = new Queue<number>(2);
    const trace = new Trace();
    await taskGroup((tg) => {
      tg.spawn(async () => {
        for (let i = 1; i <= 4; i++) {
          await queue.put(i);
          trace.log(`put ${i}`);
        }
      });
      tg.spawn(async () => {
        for (let i = 1; i <= 4; i++) {
          await sleep(10);
          trace.log(`got ${await queue.get()}`);
        }
      });
    });
    assert.deepEqual(trace.lines, [
      '0 put 1',
      '0 put 2',
      '10 got 1',
      '10 put 3',
      '20 got 2',
      '20 put 4',
      '30 got 3',
      '40 got 4',
    ]);
    assert.equal(queue.statistics().tasksWaiting, 0);
  }));

test('getters and putters are served in FIFO order', () =>
  vrun(async () => {
    const queue = new Queue<string>(1);
    const trace = new Trace();
    const getters = ['g1', 'g2'].map((name) =>
      createTask(async () => {
        trace.log(`${name} got ${await queue.get()}`);
      }),
    );
    await waitAllTasksBlocked();
    queue.putNowait('x');
    // 'x' holds the one slot until g1 resumes (#11), so 'y' waits for it.
    assert.throws(() => {
      queue.putNowait('y');
    }, QueueFull);
    await queue.put('y');
    for (const g of getters) await g;
    queue.putNowait('full');
    const putters = ['p1', 'p2'].map((name) => createTask(() => queue.put(name)));
    await waitAllTasksBlocked();
    assert.deepEqual(
      [queue.getNowait(), await queue.get(), await queue.get()],
      ['full', 'p1', 'p2'],
    );
    for (const p of putters) await p;
    assert.deepEqual(trace.lines, ['0 g1 got x', '0 g2 got y']);
  }));

test('a getter woken then cancelled leaves the item at the head of the queue', () =>
  vrun(async () => {
    // Scenario: G waits on an empty queue; P puts 'a' (handed straight to G) and
    // then 'b'; G is cancelled before it resumes. 'a' must not be lost or reordered.
    const queue = new Queue<string>();
    const getter = createTask(() => queue.get());
    await waitAllTasksBlocked();
    queue.putNowait('a');
    queue.putNowait('b');
    getter.cancel();
    assert.equal(await outcome(getter), 'CancelledError');
    assert.deepEqual([queue.getNowait(), queue.getNowait()], ['a', 'b']);
  }));

test('a getter woken then cancelled hands the item to the next getter', () =>
  vrun(async () => {
    const queue = new Queue<string>();
    const first = createTask(() => queue.get());
    const second = createTask(() => queue.get());
    await waitAllTasksBlocked();
    queue.putNowait('only');
    first.cancel();
    assert.equal(await outcome(first), 'CancelledError');
    assert.equal(await second, 'only');
    assert.equal(queue.qsize(), 0);
  }));

test('a putter cancelled as a slot is reserved for it puts nothing and passes the slot on', () =>
  vrun(async () => {
    const queue = new Queue<string>(1);
    queue.putNowait('first');
    const p1 = createTask(() => queue.put('p1'));
    const p2 = createTask(() => queue.put('p2'));
    await waitAllTasksBlocked();
    assert.equal(queue.getNowait(), 'first');
    p1.cancel();
    assert.equal(await outcome(p1), 'CancelledError');
    await p2;
    assert.deepEqual([queue.getNowait(), queue.qsize()], ['p2', 0]);
  }));

test('a woken putter keeps its slot: putNowait cannot barge in', () =>
  vrun(async () => {
    const queue = new Queue<string>(1);
    queue.putNowait('first');
    const putter = createTask(() => queue.put('waited'));
    await waitAllTasksBlocked();
    queue.getNowait();
    assert.throws(() => {
      queue.putNowait('barger');
    }, QueueFull);
    await putter;
    assert.equal(queue.getNowait(), 'waited');
  }));

test('cancelled and timed-out getters and putters leave nothing behind', () =>
  vrun(async () => {
    const queue = new Queue<number>(1);
    await assert.rejects(
      timeout(5, () => queue.get()),
      { name: 'TimeoutError' },
    );
    queue.putNowait(1);
    await assert.rejects(
      timeout(5, () => queue.put(2)),
      { name: 'TimeoutError' },
    );
    assert.deepEqual(queue.statistics(), {
      size: 1,
      maxsize: 1,
      gettersWaiting: 0,
      puttersWaiting: 0,
      tasksWaiting: 0,
      unfinishedTasks: 1,
      shutdown: false,
    });
  }));

test('taskDone()/join() track processing; too many taskDone() calls throw', () =>
  vrun(async () => {
    const queue = new Queue<string>();
    const trace = new Trace();
    queue.putNowait('a');
    queue.putNowait('b');
    const worker = createTask(async () => {
      for (;;) {
        const item = await queue.get();
        await sleep(10);
        trace.log(`done ${item}`);
        queue.taskDone();
      }
    });
    await queue.join();
    trace.log('joined');
    worker.cancel();
    await outcome(worker);
    assert.throws(
      () => {
        queue.taskDone();
      },
      {
        name: 'InvalidStateError',
        message: 'Queue.taskDone(): called more times than there were items',
      },
    );
    assert.deepEqual(trace.lines, ['10 done a', '20 done b', '20 joined']);
  }));

test('shutdown(): puts fail at once, gets drain the queue then fail', () =>
  vrun(async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(1);
    const putter = createTask(() => queue.put(2));
    await waitAllTasksBlocked();
    queue.shutdown();
    await assert.rejects(Promise.resolve(putter), {
      name: 'QueueShutDown',
      message: 'Queue.put(): the queue is shut down',
    });
    await assert.rejects(queue.put(3), QueueShutDown);
    assert.throws(() => {
      queue.putNowait(3);
    }, QueueShutDown);
    assert.equal(await queue.get(), 1);
    await assert.rejects(queue.get(), QueueShutDown);
    assert.throws(() => queue.getNowait(), QueueShutDown);
    assert.equal(inspect(queue), 'Queue<size=0/1 shutdown>');
  }));

test('shutdown({ immediate }) drops the items, counts them done, and fails waiting getters', () =>
  vrun(async () => {
    const queue = new Queue<number>();
    queue.putNowait(1);
    queue.putNowait(2);
    const joiner = createTask(() => queue.join());
    await waitAllTasksBlocked();
    queue.shutdown({ immediate: true });
    await joiner;
    assert.equal(queue.qsize(), 0);
    const empty = new Queue<number>();
    const getter = createTask(() => empty.get());
    await waitAllTasksBlocked();
    empty.shutdown();
    await assert.rejects(Promise.resolve(getter), QueueShutDown);
  }));

test('getNowait on an empty queue, putNowait on a full one', () =>
  vrun(() => {
    const queue = new Queue<number>(1);
    assert.throws(() => queue.getNowait(), {
      name: 'QueueEmpty',
      message: 'Queue.getNowait(): the queue is empty',
    });
    queue.putNowait(1);
    assert.throws(
      () => {
        queue.putNowait(2);
      },
      { name: 'QueueFull', message: 'Queue.putNowait(): the queue is full (maxsize 1)' },
    );
    assert.equal(queue.full(), true);
    assert.ok(new QueueEmpty() instanceof Error);
  }));

test('put and get are cancellation points on their fast paths', () =>
  vrun(async () => {
    const queue = new Queue<number>();
    await assertCheckpoints(() => queue.put(1));
    assert.equal(queue.qsize(), 0, 'a cancelled put put nothing');
    queue.putNowait(1);
    await assertCheckpoints(() => queue.get());
    assert.equal(queue.qsize(), 1, 'a cancelled get took nothing');
    await assertCheckpoints(() => queue.join());
  }));

test('LifoQueue returns the newest item first', () =>
  vrun(async () => {
    const stack = new LifoQueue<number>();
    for (const i of [1, 2, 3]) await stack.put(i);
    assert.deepEqual([await stack.get(), stack.getNowait(), stack.getNowait()], [3, 2, 1]);
    assert.equal(inspect(stack), 'LifoQueue<size=0>');
  }));

test('queues validate maxsize and work outside tasks with a signal', async () => {
  assert.throws(() => new Queue(-1), {
    name: 'RangeError',
    message: 'new Queue(): `maxsize` must be an integer >= 0 (Infinity for no limit), got -1',
  });
  assert.throws(() => new LifoQueue(0.5), /^RangeError: new LifoQueue\(\)/);
  const queue = new Queue<number>();
  const controller = new AbortController();
  const pending = queue.get({ signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, { name: 'CancelledError' });
  assert.equal(queue.statistics().gettersWaiting, 0);
  assert.equal(new Queue(Infinity).full(), false);
});

test('an item handed to a getter keeps its slot until the getter resumes, so a cancelled getter never overfills the queue (#11)', () =>
  vrun(async () => {
    // Scenario: maxsize 1, G waits. P puts `a` (handed to G) and, in the same
    // turn, `b`; then G is cancelled before it resumes and gives `a` back. Without
    // the handed item counting, `b` was stored too and qsize() reached 2.
    for (const make of [
      () => new Queue<string>(1),
      () => new LifoQueue<string>(1),
      () => new PriorityQueue<string>(1),
    ]) {
      const queue = make();
      const getter = createTask(() => queue.get());
      await waitAllTasksBlocked();
      queue.putNowait('a');
      assert.equal(queue.full(), true);
      assert.throws(() => {
        queue.putNowait('b');
      }, QueueFull);
      const putter = createTask(() => queue.put('b'));
      getter.cancel();
      assert.equal(await outcome(getter), 'CancelledError');
      assert.equal(queue.qsize(), 1);
      assert.equal(await queue.get(), 'a');
      await putter;
      assert.equal(await queue.get(), 'b');
      assert.deepEqual(queue.statistics().tasksWaiting, 0);
    }
  }));

test('after shutdown({ immediate: true }) an item a cancelled getter gives back is dropped and counted done (#11)', () =>
  vrun(async () => {
    const queue = new Queue<string>();
    const getter = createTask(() => queue.get());
    await waitAllTasksBlocked();
    queue.putNowait('a'); // handed to the getter, which has not resumed
    queue.shutdown({ immediate: true });
    getter.cancel();
    assert.equal(await outcome(getter), 'CancelledError');
    assert.equal(queue.qsize(), 0);
    assert.equal(queue.statistics().unfinishedTasks, 0);
    await queue.join(); // returns: nothing is left to process
  }));
