import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  createTask,
  getRunningLoop,
  sleep,
  wait,
} from 'corio';
import { outcome, vrun } from '../_helpers.js';

const names = (tasks: Set<{ name: string }>) => [...tasks].map((t) => t.name).sort();

test('wait returns when the first task completes, leaving the rest pending', () =>
  vrun(async () => {
    const a = createTask(() => sleep(10), { name: 'a' });
    const b = createTask(() => sleep(20), { name: 'b' });
    const { done, pending } = await wait([a, b], { returnWhen: FIRST_COMPLETED });
    assert.deepEqual(names(done), ['a']);
    assert.deepEqual(names(pending), ['b']);
    assert.equal(getRunningLoop().time(), 10);
    await b;
  }));

test('FIRST_EXCEPTION returns at the first failure, ALL_COMPLETED when all are done', () =>
  vrun(async () => {
    const ok = createTask(() => sleep(30), { name: 'ok' });
    const bad = createTask(
      async () => {
        await sleep(10);
        throw new Error('x');
      },
      { name: 'bad' },
    );
    const first = await wait([ok, bad], { returnWhen: FIRST_EXCEPTION });
    assert.deepEqual(names(first.done), ['bad']);
    assert.equal(getRunningLoop().time(), 10);
    const all = await wait([ok, bad], { returnWhen: ALL_COMPLETED });
    assert.deepEqual(names(all.done), ['bad', 'ok']);
    assert.equal(getRunningLoop().time(), 30);
    assert.ok(bad.exception() instanceof Error);
  }));

test('wait with a timeout returns what is done by then, and removes its timer', () =>
  vrun(async () => {
    const slow = createTask(() => sleep(100), { name: 'slow' });
    const { done, pending } = await wait([slow], { timeout: 30 });
    assert.equal(done.size, 0);
    assert.deepEqual(names(pending), ['slow']);
    assert.equal(getRunningLoop().statistics().timers, 1, 'only the slow sleep remains');
    slow.cancel();
    await outcome(slow);
  }));

test('a cancelled wait cancels the tasks it created, not the ones passed in', () =>
  vrun(async () => {
    const passed = createTask(() => sleep(100, 'passed'));
    let created = false;
    const caller = createTask(() =>
      wait<unknown>([
        passed,
        async () => {
          try {
            await sleep(100);
          } catch (err) {
            created = true;
            throw err;
          }
        },
      ]),
    );
    await sleep(10);
    caller.cancel();
    assert.equal(await outcome(caller), 'CancelledError');
    await sleep(0);
    assert.equal(created, true);
    assert.equal(await passed, 'passed');
  }));

test('wait validates its arguments', () =>
  vrun(async () => {
    await assert.rejects(wait([]), {
      name: 'RangeError',
      message: 'wait(): `aws` must not be empty',
    });
    await assert.rejects(wait([() => 1], { returnWhen: 'SOMETIMES' as never }), {
      name: 'RangeError',
      message:
        'wait(): `options.returnWhen` must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got "SOMETIMES"',
    });
    await assert.rejects(wait(5 as never), TypeError);
  }));
