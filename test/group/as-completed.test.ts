import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeoutError, asCompleted, cancelScope, createTask, sleep } from 'corio';
import { Trace, vrun } from '../_helpers.js';

test('asCompleted yields results in completion order', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const value of asCompleted([
      () => sleep(30, 'c'),
      () => sleep(10, 'a'),
      () => sleep(20, 'b'),
    ])) {
      trace.log(value);
    }
    assert.deepEqual(trace.lines, ['10 a', '20 b', '30 c']);
  }));

test('a failure is thrown from the step at which it happens, and the rest is cancelled', () =>
  vrun(async () => {
    const trace = new Trace();
    const later = async () => {
      try {
        await sleep(20);
      } catch (err) {
        trace.log('later cancelled');
        throw err;
      }
    };
    try {
      for await (const value of asCompleted<unknown>([
        () => sleep(5, 'first'),
        async () => {
          await sleep(10);
          throw new RangeError('bad');
        },
        later,
      ])) {
        trace.log(String(value));
      }
    } catch (err) {
      trace.log((err as Error).name);
    }
    await sleep(0);
    assert.deepEqual(trace.lines, ['5 first', '10 later cancelled', '10 RangeError']);
  }));

test('asCompleted throws TimeoutError once its timeout passes; tasks passed in run on', () =>
  vrun(async () => {
    const trace = new Trace();
    const slow = createTask(() => sleep(100, 'slow'));
    try {
      for await (const value of asCompleted([() => sleep(10, 'fast'), slow], { timeout: 50 })) {
        trace.log(value);
      }
    } catch (err) {
      trace.log((err as Error).name);
      assert.ok(err instanceof TimeoutError);
    }
    assert.equal(await slow, 'slow');
    assert.deepEqual(trace.lines, ['10 fast', '50 TimeoutError']);
  }));

test('leaving asCompleted early cancels the tasks it created itself', () =>
  vrun(async () => {
    let cancelled = 0;
    const child = (ms: number) => async () => {
      try {
        await sleep(ms);
      } catch (err) {
        cancelled++;
        throw err;
      }
    };
    for await (const _ of asCompleted([child(10), child(20), child(30)])) break;
    await sleep(0);
    assert.equal(cancelled, 2);
  }));

test('leaving asCompleted early waits for its tasks as a corio wait, so virtual time moves (#11)', () =>
  vrun(async () => {
    const trace = new Trace();
    const slow = async (): Promise<string> => {
      try {
        await sleep(100);
        return 'slow';
      } finally {
        await cancelScope(() => sleep(5), { shield: true });
        trace.log('slow cleaned up');
      }
    };
    for await (const value of asCompleted([() => sleep(10, 'fast'), slow])) {
      trace.log(`got ${value}`);
      break;
    }
    trace.log('left');
    assert.deepEqual(trace.lines, ['10 got fast', '15 slow cleaned up', '15 left']);
  }));

test('asCompleted folds a task or promise given twice; a function given twice runs twice (#11)', () =>
  vrun(async () => {
    const task = createTask(() => sleep(10, 'task'));
    const promise = sleep(20, 'promise');
    const fn = () => sleep(30, 'fn');
    const got: string[] = [];
    for await (const value of asCompleted<string>([task, task, promise, promise, fn, fn])) {
      got.push(value);
    }
    assert.deepEqual(got, ['task', 'promise', 'fn', 'fn']);
  }));
