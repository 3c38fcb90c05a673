// One test per decided rule of semantics (where asyncio and Trio differ; docs/design.md), named after it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CancelledError,
  Event,
  TimeoutError,
  cancelScope,
  checkpoint,
  createTask,
  gather,
  getRunningLoop,
  run,
  shield,
  sleep,
  taskGroup,
  timeout,
  waitFor,
  type ExceptionContext,
} from 'corio';
import { VirtualClock, assertCheckpoints } from 'corio/testing';
import { Trace, outcome, vrun } from './_helpers.js';

test('cancelling a task or scope reaches every task inside it at once, children of its groups included', () =>
  vrun(async () => {
    const trace = new Trace();
    const outer = createTask(async () => {
      await taskGroup(async (tg) => {
        for (const name of ['c1', 'c2']) {
          tg.spawn(async () => {
            try {
              await sleep(1000);
            } catch (err) {
              trace.log(`${name} ${(err as CancelledError).name}`);
              throw err;
            }
          });
        }
        try {
          await sleep(1000);
        } catch (err) {
          trace.log('body cancelled');
          throw err;
        }
      });
    });
    await sleep(10);
    outer.cancel();
    trace.log('cancel() returned');
    await Promise.resolve(outer).catch(() => {});
    // Body and children are aborted synchronously inside cancel(); they resume in
    // tree order: the group's body first, then its children in spawn order.
    assert.deepEqual(trace.lines, [
      '10 cancel() returned',
      '10 body cancelled',
      '10 c1 CancelledError',
      '10 c2 CancelledError',
    ]);
    assert.equal(outer.cancelled(), true);
  }));

test('await task is a cancellation point, and cancelling the awaiting task cancels the awaited one too', () =>
  vrun(async () => {
    const trace = new Trace();
    const inner = createTask(
      async () => {
        try {
          await sleep(1000);
        } finally {
          trace.log('inner cleans up');
          await cancelScope(() => sleep(5), { shield: true });
          trace.log('inner done');
        }
      },
      { name: 'inner' },
    );
    const outer = createTask(async () => {
      try {
        await inner;
      } catch (err) {
        trace.log(`outer sees ${(err as Error).name}`);
        throw err;
      }
    });
    await sleep(10);
    outer.cancel();
    await Promise.resolve(outer).catch(() => {});
    // The outer task waits for the inner one to finish before it sees CancelledError.
    assert.deepEqual(trace.lines, [
      '10 inner cleans up',
      '15 inner done',
      '15 outer sees CancelledError',
    ]);
    assert.equal(inner.cancelled(), true);
    assert.equal(outer.cancelled(), true);
  }));

test('await shield(task) awaits without cancelling the awaited task', () =>
  vrun(async () => {
    const trace = new Trace();
    const inner = createTask(async () => {
      await sleep(50);
      trace.log('inner finished');
      return 'kept';
    });
    const outer = createTask(async () => {
      try {
        await shield(inner);
      } catch (err) {
        trace.log(`outer sees ${(err as Error).name}`);
        throw err;
      }
    });
    await sleep(10);
    outer.cancel();
    assert.equal(await inner, 'kept');
    // Caller cancelled at once; the inner work finishes.
    assert.deepEqual(trace.lines, ['10 outer sees CancelledError', '50 inner finished']);
  }));

test('a task whose function returns before reaching a cancellation point ends with that outcome', () =>
  vrun(async () => {
    const returns = createTask(() => 'value');
    const throws = createTask(() => {
      throw new RangeError('own error');
    });
    returns.cancel();
    // Cancelled before it started: it never runs. Start it first, then cancel mid-run.
    const mid = createTask(async () => {
      await Promise.resolve();
      return 'finished anyway';
    });
    await Promise.resolve();
    mid.cancel();
    throws.cancel();
    assert.equal(await mid, 'finished anyway');
    assert.equal(mid.cancelled(), false);
    assert.equal(await outcome(returns), 'CancelledError');
    assert.equal(await outcome(throws), 'RangeError');
  }));

test("a cancel scope's deadline may be moved at any time, also after it expired", () =>
  vrun(async () => {
    const trace = new Trace();
    const loop = getRunningLoop();
    await cancelScope(async (scope) => {
      scope.deadline = loop.time() + 100;
      await sleep(50);
      scope.deadline = loop.time() + 100; // moved later, to 150
      trace.log(`deadline ${scope.deadline}`);
      try {
        await sleep(1000);
      } catch (err) {
        trace.log(`expired ${(err as CancelledError).source}`);
        scope.deadline = Infinity; // moving it after expiry is allowed; the scope stays cancelled
        trace.log(`deadline ${scope.deadline} cancelCalled=${scope.cancelCalled}`);
        throw err;
      }
    }).then((v) => {
      trace.log(`scope returned ${String(v)}`);
    });
    assert.deepEqual(trace.lines, [
      '50 deadline 150',
      '150 expired deadline',
      '150 deadline Infinity cancelCalled=true',
      '150 scope returned undefined',
    ]);
  }));

test('waitFor returns the value when the inner work swallows the cancellation', () =>
  vrun(async () => {
    const value = await waitFor(async () => {
      try {
        await sleep(1000);
        return 'normal';
      } catch {
        return 'swallowed';
      }
    }, 100);
    assert.equal(value, 'swallowed');
    const task = createTask(async () => {
      try {
        await sleep(1000);
      } catch {
        return 'task swallowed';
      }
      return 'normal';
    });
    assert.equal(await waitFor(task, 100), 'task swallowed');
  }));

test('waitFor otherwise throws TimeoutError whose cause is the CancelledError', () =>
  vrun(async () => {
    const err = await waitFor(() => sleep(1000), 100).catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError);
    assert.ok(err.cause instanceof CancelledError);
    assert.equal(err.ms, 100);
    const task = createTask(() => sleep(1000));
    const err2 = await waitFor(task, 100).catch((e: unknown) => e);
    assert.ok(err2 instanceof TimeoutError);
    assert.ok(err2.cause instanceof CancelledError);
    assert.equal(task.cancelled(), true);
  }));

test('delays: negative or NaN is a RangeError, 0 means already due, Infinity means no deadline', () =>
  vrun(async () => {
    await assert.rejects(sleep(-5), {
      name: 'RangeError',
      message: 'sleep(): `ms` must be a number >= 0 (Infinity for no limit), got -5',
    });
    await assert.rejects(sleep(Number.NaN), RangeError);
    await assert.rejects(
      timeout(-1, () => 1),
      /^RangeError: timeout\(\): `ms` must be/,
    );
    await assert.rejects(waitFor(Promise.resolve(1), Number.NaN), RangeError);
    const loop = getRunningLoop();
    await sleep(0);
    assert.equal(loop.time(), 0, 'sleep(0) is due at once: it only yields');
    assert.equal(
      await timeout(0, () => 'sync body'),
      'sync body',
      'a body without checkpoints completes',
    );
    await assert.rejects(
      timeout(0, () => checkpoint()),
      TimeoutError,
    );
    const forever = createTask(() => sleep(Infinity));
    assert.equal(await timeout(Infinity, () => sleep(3_600_000, 'no deadline')), 'no deadline');
    assert.equal(loop.statistics().timers, 0, 'sleep(Infinity) sets no timer');
    forever.cancel();
    await outcome(forever);
  }));

test('every async corio API is a cancellation point on every call, also on its fast path', () =>
  vrun(async () => {
    const set = new Event();
    set.set();
    const done = createTask(() => 'done');
    await done;
    await assertCheckpoints(() => set.wait());
    await assertCheckpoints(() => sleep(0));
    await assertCheckpoints(() => sleep(10));
    await assertCheckpoints(() => checkpoint());
    await assertCheckpoints(() => done);
    await assertCheckpoints(() => gather());
    await assertCheckpoints(() => gather(Promise.resolve(1)));
    await assertCheckpoints(() => waitFor(Promise.resolve(1), 10));
    await assertCheckpoints(() => shield(Promise.resolve(1)));
    await assertCheckpoints(() => taskGroup(() => checkpoint()));
  }));

test('gather without returnExceptions rejects with the first error and leaves the others running', () =>
  vrun(async () => {
    const trace = new Trace();
    const slow = createTask(async () => {
      await sleep(100);
      trace.log('slow finished');
      return 'slow';
    });
    const err = await gather(slow, async () => {
      await sleep(10);
      throw new RangeError('first');
    }).catch((e: unknown) => e);
    trace.log(`gather threw ${(err as Error).message}`);
    assert.equal(await slow, 'slow');
    assert.deepEqual(trace.lines, ['10 gather threw first', '100 slow finished']);
  }));

test('a failed task whose error nobody retrieves is reported once through the exception handler', async () => {
  const reports: string[] = [];
  await run(
    async () => {
      getRunningLoop().setExceptionHandler((ctx: ExceptionContext) => {
        reports.push(`${ctx.message}: ${(ctx.error as Error).message}`);
      });
      createTask(
        () => {
          throw new Error('lost');
        },
        { name: 'orphan' },
      );
      const retrieved = createTask(() => {
        throw new Error('seen');
      });
      const viaCallback = createTask(() => {
        throw new Error('called back');
      });
      viaCallback.addDoneCallback(() => {});
      await sleep(1);
      assert.ok(retrieved.exception() instanceof Error);
    },
    { clock: new VirtualClock() },
  );
  assert.deepEqual(reports, ['Task orphan failed and nobody retrieved its error: lost']);
});

test('the default exception handler prints the task name and the stack', async () => {
  const printed: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    printed.push(args);
  };
  try {
    await run(
      async () => {
        createTask(
          () => {
            throw new Error('nobody listens');
          },
          { name: 'lonely' },
        );
        await sleep(1);
      },
      { clock: new VirtualClock() },
    );
  } finally {
    console.error = original;
  }
  assert.equal(printed.length, 1);
  const text = String(printed[0]?.[0]);
  assert.match(
    text,
    /^corio: Task lonely failed and nobody retrieved its error\n {2}task: lonely\nError: nobody listens\n {4}at /,
  );
});
