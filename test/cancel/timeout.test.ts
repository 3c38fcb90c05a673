import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CancelledError,
  TimeoutError,
  createTask,
  getRunningLoop,
  moveOnAfter,
  moveOnAt,
  sleep,
  timeout,
  timeoutAt,
} from 'corio';
import { Trace, outcome, vrun } from '../_helpers.js';

test('nested timeouts: only the one that expired converts to TimeoutError', () =>
  vrun(async () => {
    const trace = new Trace();
    await timeout(1000, async () => {
      try {
        await timeout(100, () => sleep(500));
      } catch (err) {
        trace.log(`inner: ${(err as Error).name}`);
      }
      await sleep(50);
      trace.log('outer body goes on');
    });
    const err = await timeout(100, () => timeout(1000, () => sleep(500))).catch((e: unknown) => e);
    trace.log(`outer expired: ${(err as Error).name} ms=${(err as TimeoutError).ms}`);
    assert.deepEqual(trace.lines, [
      '100 inner: TimeoutError',
      '150 outer body goes on',
      '250 outer expired: TimeoutError ms=100',
    ]);
  }));

test('a timeout whose deadline is moved fires at the new deadline', () =>
  vrun(async () => {
    const trace = new Trace();
    const loop = getRunningLoop();
    const err = await timeout(100, async (scope) => {
      await sleep(80);
      scope.deadline += 100;
      trace.log(`moved to ${scope.deadline}`);
      await sleep(1000);
    }).catch((e: unknown) => e);
    trace.log((err as Error).name);
    assert.deepEqual(trace.lines, ['80 moved to 200', '200 TimeoutError']);
    assert.equal(loop.statistics().timers, 0);
  }));

test('an outer cancellation stays CancelledError through a timeout', () =>
  vrun(async () => {
    const task = createTask(() => timeout(1000, () => sleep(500)));
    await sleep(10);
    task.cancel();
    assert.equal(await outcome(task), 'CancelledError');
  }));

test('TimeoutError carries the CancelledError as its cause', () =>
  vrun(async () => {
    const err = await timeout(10, () => sleep(20)).catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.message, 'timed out after 10 ms');
    assert.ok(err.cause instanceof CancelledError);
    assert.equal(err.cause.source, 'deadline');
  }));

test('timeoutAt and moveOnAt take an absolute deadline; moveOnAfter returns undefined', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    await assert.rejects(
      timeoutAt(loop.time() + 30, () => sleep(100)),
      {
        name: 'TimeoutError',
        message: 'timed out after the deadline 30',
      },
    );
    assert.equal(await moveOnAt(loop.time() + 30, () => sleep(100, 'late')), undefined);
    assert.equal(await moveOnAfter(30, () => sleep(100, 'late')), undefined);
    assert.equal(await moveOnAfter(30, () => sleep(10, 'early')), 'early');
    assert.equal(loop.time(), 100);
  }));

test('timeout functions validate their arguments', () =>
  vrun(async () => {
    await assert.rejects(timeout(10, 'x' as never), {
      name: 'TypeError',
      message: 'timeout(): `fn` must be a function, got "x"',
    });
    await assert.rejects(
      moveOnAfter(-1, () => 1),
      RangeError,
    );
    await assert.rejects(
      timeoutAt(Number.NaN, () => 1),
      RangeError,
    );
  }));
