// Regressions of issue #11 in task groups: an outside cancellation that arrives
// while the group waits for its children, and spawning in a cancelled context.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CancelledError,
  TimeoutError,
  cancelScope,
  createTask,
  moveOnAfter,
  race,
  sleep,
  taskGroup,
  timeout,
} from 'corio';
import { forEach } from 'corio/iter';
import { Trace, outcome, vrun } from '../_helpers.js';

test('a group whose body returned still throws an outside cancellation that came while it joined (#11)', () =>
  vrun(async () => {
    // Scenario: the body returns at once; the child sleeps 10 ms; the enclosing
    // timeout fires at 5 ms while the group waits for the child. The child is cut
    // short, and the group must throw, so timeout() converts it to TimeoutError.
    const trace = new Trace();
    const err = await timeout(5, () =>
      taskGroup((tg) => {
        tg.spawn(async () => {
          try {
            await sleep(10);
          } finally {
            trace.log('child ended');
          }
        });
        return 'body value';
      }),
    ).catch((e: unknown) => e);
    trace.log((err as Error).name);
    assert.ok(err instanceof TimeoutError);
    assert.deepEqual(trace.lines, ['5 child ended', '5 TimeoutError']);
  }));

test('forEach with concurrency under moveOnAfter stops at the deadline, not after one item (#11)', () =>
  vrun(async () => {
    const trace = new Trace();
    const result = await moveOnAfter(15, async () => {
      await forEach(
        [1, 2, 3, 4, 5],
        async (n) => {
          await sleep(10);
          trace.log(`item ${n}`);
        },
        { concurrency: 2 },
      );
      return 'finished';
    });
    trace.log(`result ${String(result)}`);
    assert.deepEqual(trace.lines, ['10 item 1', '10 item 2', '15 result undefined']);
  }));

test('race() and forEach({ concurrency }) in a cancelled task end it cancelled, not failed (#11)', () =>
  vrun(async () => {
    const work = async (): Promise<string> => {
      await sleep(1);
      return 'x';
    };
    for (const call of [
      () => race([work, work]),
      () => forEach([1, 2, 3], work, { concurrency: 2 }),
      () => taskGroup((tg) => void tg.spawn(work)),
    ]) {
      let ran = false;
      const task = createTask(async (self) => {
        self.cancel();
        ran = true;
        await call();
      });
      assert.equal(await outcome(task), 'CancelledError');
      assert.ok(ran);
      assert.ok(task.cancelled());
    }
  }));

test('spawn into a new group in a cancelled scope starts the child cancelled; tg.start() throws CancelledError (#11)', () =>
  vrun(async () => {
    const trace = new Trace();
    await cancelScope(async (scope) => {
      scope.cancel();
      const err = await taskGroup((tg) => {
        const child = tg.spawn(
          () => {
            trace.log('child ran');
          },
          { name: 'child' },
        );
        trace.log(`spawned ${String(child)}`);
      }).catch((e: unknown) => e);
      trace.log(`group: ${(err as Error).name}`);
      const startErr = await taskGroup((tg) =>
        tg.start((status) => {
          status.started(1);
        }),
      ).catch((e: unknown) => e);
      trace.log(`start: ${(startErr as Error).name}`);
      assert.ok(err instanceof CancelledError);
    });
    assert.deepEqual(trace.lines, [
      '0 spawned Task<child pending>',
      '0 group: CancelledError',
      '0 start: CancelledError',
    ]);
  }));
