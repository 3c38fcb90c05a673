import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  CancelScope,
  CancelledError,
  cancelScope,
  checkpoint,
  createTask,
  getRunningLoop,
  sleep,
} from 'corio';
import { Trace, outcome, vrun } from '../_helpers.js';

test('cancellation is level-triggered: every checkpoint in the scope throws until it exits', () =>
  vrun(async () => {
    const trace = new Trace();
    const result = await cancelScope(async (scope) => {
      scope.cancel();
      for (const step of ['first', 'second']) {
        try {
          await sleep(10);
        } catch (err) {
          trace.log(`${step} ${(err as CancelledError).name}`);
        }
      }
      await checkpoint();
      trace.log('not reached');
    });
    assert.equal(result, undefined);
    assert.deepEqual(trace.lines, ['0 first CancelledError', '0 second CancelledError']);
  }));

test('a scope catches only its own cancellation; an outer one propagates', () =>
  vrun(async () => {
    const outer = new CancelScope();
    const inner = new CancelScope();
    await outer.run(async () => {
      await inner.run(async () => {
        outer.cancel();
        inner.cancel();
        await sleep(1);
      });
    });
    assert.equal(inner.cancelledCaught, false, 'both cancelled: the outer one catches');
    assert.equal(outer.cancelledCaught, true);
  }));

test('a shielded scope is not reached by an outer cancellation until it exits', () =>
  vrun(async () => {
    const trace = new Trace();
    const task = createTask(async () => {
      try {
        await sleep(100);
      } finally {
        await cancelScope(
          async () => {
            await sleep(20);
            trace.log('shielded cleanup finished');
          },
          { shield: true },
        );
        await sleep(1).catch((e: unknown) => {
          trace.log(`after the shield: ${(e as Error).name}`);
        });
      }
    });
    await sleep(10);
    task.cancel();
    assert.equal(await outcome(task), 'CancelledError');
    assert.deepEqual(trace.lines, [
      '30 shielded cleanup finished',
      '30 after the shield: CancelledError',
    ]);
  }));

test('removing a shield delivers a pending outer cancellation at once', () =>
  vrun(async () => {
    const trace = new Trace();
    const task = createTask(() =>
      cancelScope(
        async (scope) => {
          await sleep(10).then(() => {
            trace.log('slept under the shield');
          });
          scope.shield = false;
          await sleep(10).catch((e: unknown) => {
            trace.log(`unshielded: ${(e as Error).name}`);
          });
        },
        { shield: true },
      ),
    );
    await sleep(5);
    task.cancel();
    await outcome(task);
    assert.deepEqual(trace.lines, ['10 slept under the shield', '10 unshielded: CancelledError']);
  }));

test('a deadline cancels with source "deadline", and cancelCalled/cancelledCaught report it', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const scope = new CancelScope({ deadline: loop.time() + 50 });
    let source = '';
    await scope.run(async () => {
      try {
        await sleep(100);
      } catch (err) {
        source = (err as CancelledError).source;
        throw err;
      }
    });
    assert.equal(source, 'deadline');
    assert.equal(scope.cancelCalled, true);
    assert.equal(scope.cancelledCaught, true);
    assert.equal(loop.time(), 50);
    assert.equal(loop.statistics().timers, 0);
  }));

test('a deadline already in the past cancels the scope on entry', () =>
  vrun(async () => {
    const scope = new CancelScope({ deadline: -1 });
    assert.equal(await scope.run(() => sleep(10, 'x')), undefined);
    assert.equal(scope.cancelledCaught, true);
  }));

test('a scope can be entered only once and prints its state', () =>
  vrun(async () => {
    const scope = new CancelScope({ deadline: 500 });
    assert.equal(inspect(scope), 'CancelScope<fresh deadline=500>');
    await scope.run(() => {
      assert.equal(inspect(scope), 'CancelScope<active deadline=500>');
    });
    scope.cancel();
    assert.equal(inspect(scope), 'CancelScope<exited deadline=500>');
    await assert.rejects(
      scope.run(() => 1),
      {
        name: 'InvalidStateError',
        message: 'CancelScope.run(): a cancel scope can be entered only once',
      },
    );
    const shielded = new CancelScope({ shield: true });
    shielded.cancel();
    assert.equal(inspect(shielded), 'CancelScope<fresh cancelled shielded>');
  }));

test('the scope signal aborts with the CancelledError and is created lazily', () =>
  vrun(async () => {
    await cancelScope(async (scope) => {
      const { signal } = scope;
      assert.equal(signal.aborted, false);
      scope.cancel('enough');
      assert.equal(signal.aborted, true);
      assert.ok(signal.reason instanceof CancelledError);
      assert.equal(signal.reason.message, 'enough');
      await checkpoint();
    });
  }));

test('scope options are validated at once', () =>
  vrun(() => {
    assert.throws(() => new CancelScope({ deadline: Number.NaN }), {
      name: 'RangeError',
      message:
        'new CancelScope(): `options.deadline` must be a loop time in ms (Infinity for none), got NaN',
    });
    assert.throws(() => new CancelScope({ shield: 'yes' as never }), {
      name: 'TypeError',
      message: 'new CancelScope(): `options.shield` must be a boolean, got "yes"',
    });
  }));
