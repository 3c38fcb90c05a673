import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeoutError, asCompleted, createTask, sleep } from 'corio';
import { Trace, vrun } from '../_helpers.js';

test('asCompleted yields tasks in completion order', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const task of asCompleted([() => sleep(30, 'c'), () => sleep(10, 'a'), () => sleep(20, 'b')])) {
      trace.log(await task);
    }
    assert.deepEqual(trace.lines, ['10 a', '20 b', '30 c']);
  }));

test('asCompleted yields failed tasks too; their error comes from await', () =>
  vrun(async () => {
    const results: string[] = [];
    for await (const task of asCompleted([
      async () => {
        await sleep(5);
        throw new RangeError('bad');
      },
      () => sleep(10, 'good'),
    ])) {
      try {
        results.push(await task);
      } catch (err) {
        results.push((err as Error).name);
      }
    }
    assert.deepEqual(results, ['RangeError', 'good']);
  }));

test('asCompleted throws TimeoutError once its timeout passes', () =>
  vrun(async () => {
    const trace = new Trace();
    const slow = createTask(() => sleep(100, 'slow'));
    try {
      for await (const task of asCompleted([() => sleep(10, 'fast'), slow], { timeout: 50 })) {
        trace.log(await task);
      }
    } catch (err) {
      trace.log((err as Error).name);
      assert.ok(err instanceof TimeoutError);
    }
    assert.equal(await slow, 'slow', 'tasks passed in run on');
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
    for await (const task of asCompleted([child(10), child(20), child(30)])) {
      await task;
      break;
    }
    await sleep(0);
    assert.equal(cancelled, 2);
  }));
