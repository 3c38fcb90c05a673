import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  CancelledError,
  InvalidStateError,
  allTasks,
  cancelScope,
  checkpoint,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  waitFor,
} from 'corio';
import { CancelNode, cancelReasonOf } from 'corio/lowlevel';
import { Trace, outcome, vrun } from '../_helpers.js';

test('tasks start on the next microtask, in creation order', () =>
  vrun(async () => {
    const trace = new Trace();
    const tasks = ['a', 'b', 'c'].map((name) =>
      createTask(() => {
        trace.log(`${name} runs`);
      }),
    );
    trace.log('created');
    await Promise.resolve();
    trace.log('after one microtask');
    for (const task of tasks) await task;
    assert.deepEqual(trace.lines, [
      '0 created',
      '0 a runs',
      '0 b runs',
      '0 c runs',
      '0 after one microtask',
    ]);
  }));

test('an eager task runs synchronously up to its first await', () =>
  vrun(async () => {
    const trace = new Trace();
    const task = createTask(
      async () => {
        trace.log('eager body');
        await sleep(5);
        trace.log('eager resumed');
      },
      { eager: true },
    );
    trace.log('createTask returned');
    await task;
    assert.deepEqual(trace.lines, ['0 eager body', '0 createTask returned', '5 eager resumed']);
  }));

test('a task cancelled before it starts never runs its function', () =>
  vrun(async () => {
    let ran = false;
    const task = createTask(() => {
      ran = true;
    });
    assert.equal(task.cancel('too late'), true);
    await assert.rejects(
      Promise.resolve(task),
      (err: unknown) => err instanceof CancelledError && err.message === 'too late',
    );
    assert.equal(ran, false);
    assert.equal(task.cancelled(), true);
  }));

test('a task receives itself, with a lazily created signal aborted with the CancelledError', () =>
  vrun(async () => {
    const task = createTask(async (self) => {
      assert.equal(self, currentTask());
      const { signal } = self;
      try {
        await sleep(100);
      } finally {
        assert.equal(signal.aborted, true);
        assert.ok(signal.reason instanceof CancelledError);
        assert.equal(signal.reason.source, 'explicit');
      }
    });
    await sleep(10);
    task.cancel();
    await assert.rejects(Promise.resolve(task), CancelledError);
  }));

test('the signal of an already cancelled task is created aborted', () =>
  vrun(async () => {
    const task = createTask(() => sleep(100));
    await sleep(1);
    task.cancel();
    assert.equal(task.signal.aborted, true);
    await assert.rejects(Promise.resolve(task), CancelledError);
  }));

test('result(), exception() and done() follow the task through its life', () =>
  vrun(async () => {
    const ok = createTask(async () => {
      await sleep(1);
      return 7;
    });
    assert.throws(() => ok.result(), {
      name: 'InvalidStateError',
      message:
        /^Task\.result\(\): Task-\d+ is not done yet; await the task or check done\(\) first$/,
    });
    assert.throws(() => ok.exception(), InvalidStateError);
    assert.equal(ok.done(), false);
    assert.equal(await ok, 7);
    assert.equal(ok.result(), 7);
    assert.equal(ok.exception(), undefined);

    const bad = createTask(() => {
      throw new RangeError('nope');
    });
    await assert.rejects(Promise.resolve(bad), RangeError);
    assert.ok(bad.exception() instanceof RangeError);
    assert.throws(() => bad.result(), RangeError);

    const cancelled = createTask(() => sleep(100));
    await sleep(1);
    cancelled.cancel();
    await assert.rejects(Promise.resolve(cancelled), CancelledError);
    assert.throws(() => cancelled.exception(), CancelledError);
    assert.equal(cancelled.cancel(), false, 'cancel() on a done task returns false');
  }));

test('tasks print as Task<name state>', () =>
  vrun(async () => {
    const task = createTask(() => sleep(10, 'x'), { name: 'fetch-3' });
    assert.equal(inspect(task), 'Task<fetch-3 pending>');
    assert.equal(String(task), 'Task<fetch-3 pending>');
    await task;
    assert.equal(inspect(task), 'Task<fetch-3 done>');
    const failing = createTask(
      () => {
        throw new Error('x');
      },
      { name: 'f' },
    );
    await Promise.resolve(failing).catch(() => {});
    assert.equal(inspect(failing), 'Task<f failed>');
    const cancelled = createTask(() => sleep(10), { name: 'c' });
    cancelled.cancel();
    await Promise.resolve(cancelled).catch(() => {});
    assert.equal(inspect(cancelled), 'Task<c cancelled>');
  }));

test('done callbacks run on the next turn, also when added late, and can be removed', () =>
  vrun(async () => {
    const trace = new Trace();
    const task = createTask(() => sleep(10, 'v'), { name: 't' });
    const cb = (t: typeof task) => {
      trace.log(`cb ${t.result()}`);
    };
    const removed = () => {
      trace.log('removed callback ran');
    };
    task.addDoneCallback(cb);
    task.addDoneCallback(removed);
    assert.equal(task.removeDoneCallback(removed), 1);
    await task;
    trace.log('awaited');
    await sleep(0);
    task.addDoneCallback(cb);
    await sleep(0);
    assert.deepEqual(trace.lines, ['10 awaited', '10 cb v', '10 cb v']);
  }));

test('allTasks() lists the living tasks of the loop', () =>
  vrun(async () => {
    const a = createTask(() => sleep(10), { name: 'a' });
    const b = createTask(() => sleep(20), { name: 'b' });
    assert.deepEqual(
      [...allTasks()].map((t) => t.name),
      ['main', 'a', 'b'],
    );
    await a;
    assert.deepEqual(
      [...allTasks()].map((t) => t.name),
      ['main', 'b'],
    );
    await b;
    assert.equal(getRunningLoop().statistics().tasksLiving, 1);
  }));

test('createTask validates its arguments at once, naming them', () =>
  vrun(() => {
    assert.throws(() => createTask(42 as never), {
      name: 'TypeError',
      message: 'createTask(): `fn` must be a function, got 42',
    });
    assert.throws(() => createTask(() => 1, { name: 5 as never }), {
      name: 'TypeError',
      message: 'createTask(): `options.name` must be a string, got 5',
    });
    assert.throws(() => createTask(() => 1, 'x' as never), {
      message: 'createTask(): `options` must be an options object, got "x"',
    });
  }));

test('a task whose function throws a CancelledError of its own ends cancelled', () =>
  vrun(async () => {
    const task = createTask(() => {
      throw new CancelledError('self');
    });
    await assert.rejects(Promise.resolve(task), CancelledError);
    assert.equal(task.cancelled(), true);
  }));

test('an AbortError thrown by a platform API after the task was cancelled ends it cancelled', () =>
  vrun(async () => {
    const { setTimeout: hostSleep } = await import('node:timers/promises');
    const task = createTask(({ signal }) => hostSleep(60_000, undefined, { signal }));
    // Not sleep(): a task awaiting a host timer counts as busy, so virtual time stands still.
    await checkpoint();
    task.cancel();
    await assert.rejects(Promise.resolve(task), { name: 'AbortError' });
    assert.equal(task.cancelled(), true);
  }));

test('a task awaiting itself gets InvalidStateError instead of hanging', () =>
  vrun(async () => {
    const task = createTask(async (self) => {
      await sleep(1);
      await self;
    });
    await assert.rejects(Promise.resolve(task), {
      name: 'InvalidStateError',
      message: /^Task-\d+ cannot await itself: it would wait forever$/,
    });
  }));

test('a task returning a promise made elsewhere settles itself, whoever resolves the promise', () =>
  vrun(async () => {
    let release!: (v: string) => void;
    let fail!: (e: Error) => void;
    const outside = new Promise<string>((resolve) => {
      release = resolve;
    });
    const failing = new Promise<string>((_, reject) => {
      fail = reject;
    });
    const thenable: PromiseLike<string> = {
      then: (onValue, onError) => outside.then(onValue, onError),
    };
    const a = createTask(() => outside, { name: 'a' });
    const b = createTask(() => failing, { name: 'b' });
    const c = createTask(() => thenable, { name: 'c' });
    // Settled from inside another task: the settling reaction must still find a, b, c.
    const other = createTask(async () => {
      await checkpoint();
      release('made outside');
      fail(new RangeError('failed outside'));
    });
    await other;
    assert.equal(await a, 'made outside');
    assert.equal(await c, 'made outside');
    assert.equal(await outcome(b), 'RangeError');
    assert.deepEqual(
      [a, b, c, other].map((t) => t.done()),
      [true, true, true, true],
    );
  }));

test('awaiting a task, or waitFor(task), from an already cancelled task cancels it and waits for it (#11)', () =>
  vrun(async () => {
    const trace = new Trace();
    for (const how of ['await', 'waitFor'] as const) {
      const inner = createTask(async () => {
        try {
          await sleep(5);
        } finally {
          await cancelScope(() => sleep(2), { shield: true });
          trace.log(`${how}: inner ended`);
        }
      });
      const caller = createTask(async (self) => {
        self.cancel();
        if (how === 'await') await inner;
        else await waitFor(inner, 10);
      });
      assert.equal(await outcome(caller), 'CancelledError');
      trace.log(`${how}: caller ended, inner cancelled=${inner.cancelled()}`);
    }
    assert.deepEqual(trace.lines, [
      '2 await: inner ended',
      '2 await: caller ended, inner cancelled=true',
      '4 waitFor: inner ended',
      '4 waitFor: caller ended, inner cancelled=true',
    ]);
  }));

// Task declares CancelNode's fields itself rather than extending it (task.ts):
// the tree code reads tasks and scopes alike, so the two must not drift apart.
test('a task is a CancelNode: its fields, in their order, its signal, instanceof', () =>
  vrun(async () => {
    const task = createTask(() => 1);
    const node = CancelNode._new(getRunningLoop(), null, false);
    const nodeFields = Object.keys(node);
    assert.deepEqual(Object.keys(task).slice(0, nodeFields.length), nodeFields);
    assert.ok(task instanceof CancelNode);
    assert.equal(cancelReasonOf(task), null);
    assert.equal(task.signal.aborted, false);
    task.cancel('stop');
    assert.equal(task.signal.aborted, true);
    assert.equal(cancelReasonOf(task)?.message, 'stop');
    assert.equal(await outcome(task), 'CancelledError');
  }));
