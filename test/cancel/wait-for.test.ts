import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeoutError, cancelScope, createTask, sleep, waitFor } from 'corio';
import { Trace, outcome, vrun } from '../_helpers.js';

test('waitFor on work that cleans up slowly throws TimeoutError only after the cleanup', () =>
  vrun(async () => {
    const trace = new Trace();
    const err = await waitFor(async () => {
      try {
        await sleep(1000);
      } finally {
        trace.log('cleanup starts');
        await cancelScope(() => sleep(50), { shield: true });
        trace.log('cleanup ends');
      }
    }, 100).catch((e: unknown) => e);
    trace.log((err as Error).name);
    assert.deepEqual(trace.lines, ['100 cleanup starts', '150 cleanup ends', '150 TimeoutError']);
  }));

test('waitFor on a task cancels it and waits for it to finish', () =>
  vrun(async () => {
    const trace = new Trace();
    const task = createTask(async () => {
      try {
        await sleep(1000);
      } finally {
        await cancelScope(() => sleep(20), { shield: true });
        trace.log('task cleaned up');
      }
    });
    const err = await waitFor(task, 100).catch((e: unknown) => e);
    trace.log(`${(err as Error).name} ${task.cancelled()}`);
    assert.deepEqual(trace.lines, ['120 task cleaned up', '120 TimeoutError true']);
  }));

test('waitFor passes values and errors through', () =>
  vrun(async () => {
    assert.equal(await waitFor(() => sleep(10, 'v'), 100), 'v');
    assert.equal(await waitFor(Promise.resolve('p'), 100), 'p');
    assert.equal(
      await waitFor(
        createTask(() => 't'),
        100,
      ),
      't',
    );
    await assert.rejects(
      waitFor(async () => {
        await sleep(1);
        throw new RangeError('inner');
      }, 100),
      RangeError,
    );
    assert.equal(await waitFor(() => sleep(1000, 'no limit'), Infinity), 'no limit');
  }));

test('waitFor on a plain promise gives up at the deadline (a promise cannot be cancelled)', () =>
  vrun(async () => {
    const never = new Promise<never>(() => {});
    const err = await waitFor(never, 50).catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.ms, 50);
  }));

test('a caller cancelled inside waitFor on a task cancels the task too', () =>
  vrun(async () => {
    const inner = createTask(() => sleep(1000));
    const caller = createTask(() => waitFor(inner, 500));
    await sleep(10);
    caller.cancel();
    assert.equal(await outcome(caller), 'CancelledError');
    assert.equal(inner.cancelled(), true);
  }));

test('waitFor rejects bad work at once', () =>
  vrun(async () => {
    await assert.rejects(waitFor(42 as never, 10), {
      name: 'TypeError',
      message: 'waitFor(): `work` must be a task, a promise or a function, got 42',
    });
  }));
