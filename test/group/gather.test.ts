import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, createTask, gather, sleep } from 'corio';
import { Trace, outcome, vrun } from '../_helpers.js';

test('gather runs functions as tasks and returns values in argument order', () =>
  vrun(async () => {
    const trace = new Trace();
    const make = (name: string, ms: number) => async () => {
      trace.log(`${name} starts`);
      await sleep(ms);
      trace.log(`${name} completes`);
      return name;
    };
    const values = await gather(make('A', 2000), make('B', 1000), make('C', 3000));
    assert.deepEqual(values, ['A', 'B', 'C']);
    assert.deepEqual(trace.lines, [
      '0 A starts',
      '0 B starts',
      '0 C starts',
      '1000 B completes',
      '2000 A completes',
      '3000 C completes',
    ]);
  }));

test('gather accepts tasks, promises and functions together', () =>
  vrun(async () => {
    const task = createTask(() => sleep(5, 'task'));
    const [a, b, c] = await gather(task, Promise.resolve('promise'), () => 'function');
    assert.deepEqual([a, b, c], ['task', 'promise', 'function']);
    assert.deepEqual(await gather(), []);
  }));

test('returnExceptions delivers errors and cancellations among the results', () =>
  vrun(async () => {
    const cancelled = createTask(() => sleep(100));
    createTask(async () => {
      await sleep(3);
      cancelled.cancel('stop');
    });
    const results = await gather(
      () => sleep(1, 'ok'),
      async () => {
        await sleep(2);
        throw new RangeError('bad');
      },
      cancelled,
      Promise.reject(new TypeError('rejected')),
      { returnExceptions: true },
    );
    assert.equal(results[0], 'ok');
    assert.ok(results[1] instanceof RangeError);
    assert.ok(results[2] instanceof CancelledError);
    assert.equal(results[2].message, 'stop');
    assert.ok(results[3] instanceof TypeError);
  }));

test('a cancelled gather cancels its tasks and waits for them', () =>
  vrun(async () => {
    const trace = new Trace();
    const child = async () => {
      try {
        await sleep(100);
      } finally {
        await sleep(0).catch(() => {});
        trace.log('child ended');
      }
    };
    const caller = createTask(() => gather(child, child));
    await sleep(10);
    caller.cancel();
    assert.equal(await outcome(caller), 'CancelledError');
    trace.log('caller ended');
    assert.deepEqual(trace.lines, ['10 child ended', '10 child ended', '10 caller ended']);
  }));

test('gather rejects inputs that are not tasks, promises or functions', () =>
  vrun(async () => {
    await assert.rejects(
      gather(() => 1, 5 as never),
      {
        name: 'TypeError',
        message: 'gather(): argument 1 must be a task, a promise or a function, got 5',
      },
    );
  }));
