import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  CancelledError,
  ExceptionGroup,
  InvalidStateError,
  type Task,
  type TaskGroup,
  type TaskStatus,
  cancelScope,
  checkpoint,
  createTask,
  getRunningLoop,
  sleep,
  taskGroup,
} from 'corio';
import { Trace, outcome, vrun } from '../_helpers.js';

test('a group whose child fails cancels its siblings and body, then throws every real error', () =>
  vrun(async () => {
    const trace = new Trace();
    const err = await taskGroup(async (tg) => {
      tg.spawn(async () => {
        await sleep(10);
        trace.log('a fails');
        throw new RangeError('a');
      });
      tg.spawn(async () => {
        try {
          await sleep(100);
        } finally {
          trace.log('b cancelled');
        }
      });
      tg.spawn(async () => {
        try {
          await sleep(100);
        } catch (e) {
          trace.log('c fails while cancelled');
          throw new TypeError('c', { cause: e });
        }
      });
      try {
        await sleep(100);
      } finally {
        trace.log('body cancelled');
      }
    }).catch((e: unknown) => e);
    trace.log('group exited');
    assert.deepEqual(trace.lines, [
      '10 a fails',
      '10 body cancelled',
      '10 b cancelled',
      '10 c fails while cancelled',
      '10 group exited',
    ]);
    assert.ok(err instanceof ExceptionGroup);
    assert.equal(err.message, 'taskGroup(): 2 errors in the group');
    assert.deepEqual(
      err.errors.map((e) => (e as Error).message),
      ['a', 'c'],
    );
  }));

test("the body's own error joins the ExceptionGroup and cancels the children", () =>
  vrun(async () => {
    const trace = new Trace();
    const err = await taskGroup(async (tg) => {
      tg.spawn(async () => {
        try {
          await sleep(100);
        } finally {
          trace.log('child cancelled');
        }
      });
      await sleep(5);
      throw new Error('body');
    }).catch((e: unknown) => e);
    assert.ok(err instanceof ExceptionGroup);
    assert.deepEqual(
      err.errors.map((e) => (e as Error).message),
      ['body'],
    );
    assert.deepEqual(trace.lines, ['5 child cancelled']);
  }));

test('the group waits for every child and returns the body value', () =>
  vrun(async () => {
    const trace = new Trace();
    const value = await taskGroup((tg) => {
      tg.spawn(async () => {
        await sleep(30);
        trace.log('slow child');
      });
      tg.spawn(async () => {
        await sleep(10);
        trace.log('fast child');
      });
      return 'body value';
    });
    trace.log(`exit ${value}`);
    assert.deepEqual(trace.lines, ['10 fast child', '30 slow child', '30 exit body value']);
  }));

test('tg.cancel() ends the group quietly (first result wins)', () =>
  vrun(async () => {
    let winner = '';
    const value = await taskGroup(async (tg) => {
      for (const [name, ms] of [
        ['x', 30],
        ['y', 10],
        ['z', 20],
      ] as const) {
        tg.spawn(async () => {
          await sleep(ms);
          winner = name;
          tg.cancel();
        });
      }
      await sleep(1000);
      return 'not reached';
    });
    assert.equal(value, undefined);
    assert.equal(winner, 'y');
    assert.equal(getRunningLoop().time(), 10);
  }));

test('cancelling the owner cancels the children, awaits them, and propagates CancelledError', () =>
  vrun(async () => {
    const trace = new Trace();
    const owner = createTask(() =>
      taskGroup(async (tg) => {
        tg.spawn(async () => {
          try {
            await sleep(100);
          } finally {
            await cancelScope(() => sleep(7), { shield: true });
            trace.log('child cleanup done');
          }
        });
        await sleep(100);
      }),
    );
    await sleep(10);
    owner.cancel();
    assert.equal(await outcome(owner), 'CancelledError');
    trace.log('owner done');
    assert.deepEqual(trace.lines, ['17 child cleanup done', '17 owner done']);
  }));

test('an owner cancelled while children fail with real errors gets their ExceptionGroup and stays cancelled', () =>
  vrun(async () => {
    const trace = new Trace();
    const owner = createTask(async () => {
      try {
        await taskGroup(async (tg) => {
          tg.spawn(async () => {
            try {
              await sleep(100);
            } catch {
              throw new Error('cleanup failed');
            }
          });
          await sleep(100);
        });
      } catch (err) {
        trace.log(`owner got ${(err as Error).name}`);
        await sleep(1).catch((e: unknown) => {
          trace.log(`still cancelled: ${(e as Error).name}`);
        });
        throw err;
      }
    });
    await sleep(10);
    owner.cancel();
    assert.equal(await outcome(owner), 'ExceptionGroup');
    assert.deepEqual(trace.lines, [
      '10 owner got ExceptionGroup',
      '10 still cancelled: CancelledError',
    ]);
  }));

test('start() resolves with the value the child passes to status.started()', () =>
  vrun(async () => {
    const trace = new Trace();
    await taskGroup(async (tg) => {
      const port = await tg.start<number>(async (status) => {
        await sleep(5);
        trace.log('listening');
        status.started(8080);
        await sleep(20);
        trace.log('server stops');
      });
      trace.log(`started on ${port}`);
    });
    trace.log('group done');
    assert.deepEqual(trace.lines, [
      '5 listening',
      '5 started on 8080',
      '25 server stops',
      '25 group done',
    ]);
  }));

test('start() throws the error of a child that fails before started(), and the group goes on', () =>
  vrun(async () => {
    await taskGroup(async (tg) => {
      await assert.rejects(
        tg.start(async () => {
          await sleep(1);
          throw new RangeError('bind failed');
        }),
        RangeError,
      );
      await assert.rejects(
        tg.start(() => 'no started() call'),
        {
          name: 'InvalidStateError',
          message: /^TaskGroup\.start\(\): Task-\d+ returned without calling status\.started\(\)$/,
        },
      );
      tg.spawn(() => sleep(1));
    });
  }));

test('a caller cancelled during start() cancels the child and waits for it', () =>
  vrun(async () => {
    const trace = new Trace();
    await taskGroup(async (tg) => {
      const caller = createTask(() =>
        tg.start(async () => {
          try {
            await sleep(100);
          } finally {
            trace.log('starting child cancelled');
          }
        }),
      );
      await sleep(10);
      caller.cancel();
      assert.equal(await outcome(caller), 'CancelledError');
      trace.log('caller done');
    });
    assert.deepEqual(trace.lines, ['10 starting child cancelled', '10 caller done']);
  }));

test('status.started() after its child ended throws InvalidStateError and moves nothing into the group', () =>
  vrun(async () => {
    const trace = new Trace();
    let kept: TaskStatus<number> | undefined;
    await taskGroup(async (tg) => {
      await assert.rejects(
        tg.start<number>((status) => {
          kept = status;
        }),
        { name: 'InvalidStateError' },
      );
      assert.throws(() => kept?.started(1), {
        name: 'InvalidStateError',
        message: /^TaskStatus\.started\(\): Task-\d+ has already ended$/,
      });
      tg.spawn(() => sleep(3));
    });
    trace.log('group done');
    assert.deepEqual(trace.lines, ['3 group done']);
  }));

test('a child whose start() was cancelled stays out of the group when it calls started() (Trio)', () =>
  vrun(async () => {
    const trace = new Trace();
    await taskGroup(async (tg) => {
      const caller = createTask(() =>
        tg.start<number>(async (status) => {
          try {
            await sleep(100);
          } finally {
            // Cleanup that reports ready, as a server's shutdown path might.
            status.started(1);
            const where = await sleep(5).then(
              () => 'child moved into the group, no longer cancelled',
              () => 'child still in its cancelled caller',
            );
            trace.log(where);
          }
        }),
      );
      await sleep(10);
      caller.cancel();
      assert.equal(await outcome(caller), 'CancelledError');
      trace.log('caller done');
      tg.spawn(() => sleep(2));
    });
    trace.log('group done');
    assert.deepEqual(trace.lines, [
      '10 child still in its cancelled caller',
      '10 caller done',
      '12 group done',
    ]);
  }));

test('a child whose start() was cancelled and that returns after started() gives start() the cancellation', () =>
  vrun(async () => {
    await taskGroup(async (tg) => {
      const caller = createTask(() =>
        tg.start<number>(async (status) => {
          await sleep(100).catch(() => {});
          status.started(1);
        }),
      );
      await sleep(10);
      caller.cancel('caller gave up');
      await assert.rejects(async () => caller, {
        name: 'CancelledError',
        message: 'caller gave up',
      });
    });
  }));

test('a caller cancelled while the child calls started() still gets the value; its next checkpoint throws', () =>
  vrun(async () => {
    const trace = new Trace();
    await taskGroup(async (tg) => {
      const caller: Task = createTask(async () => {
        const port = await tg.start<number>(async (status) => {
          await sleep(5);
          status.started(8080);
          // Cancelled after the hand-over, before start() resumes.
          caller.cancel();
          await sleep(10);
          trace.log('server ran on in the group');
        });
        trace.log(`start() returned ${port}`);
        await checkpoint();
      });
      assert.equal(await outcome(caller), 'CancelledError');
    });
    assert.deepEqual(trace.lines, ['5 start() returned 8080', '15 server ran on in the group']);
  }));

test('a child cut short by the cancellation of its caller that returns without started() gives start() the cancellation', () =>
  vrun(async () => {
    await taskGroup(async (tg) => {
      const caller = createTask(() =>
        tg.start(async () => {
          await sleep(100).catch(() => {});
        }),
      );
      await sleep(10);
      caller.cancel('caller gave up');
      await assert.rejects(async () => caller, {
        name: 'CancelledError',
        message: 'caller gave up',
      });
    });
  }));

test('spawn on a finished or cancelling group throws InvalidStateError with advice', () =>
  vrun(async () => {
    let kept: TaskGroup | undefined;
    await taskGroup((tg) => {
      kept = tg;
    });
    assert.throws(() => kept?.spawn(() => 1), {
      name: 'InvalidStateError',
      message:
        'TaskGroup.spawn(): the group has finished; spawn from inside the taskGroup() body or from its children while it is open',
    });
    await taskGroup((tg) => {
      tg.cancel();
      assert.throws(() => tg.spawn(() => 1), {
        message: 'TaskGroup.spawn(): the group is being cancelled; no new tasks may join it',
      });
    });
    assert.throws(() => kept?.spawn('x' as never), {
      name: 'TypeError',
      message: 'TaskGroup.spawn(): `fn` must be a function, got "x"',
    });
    await assert.rejects(taskGroup(5 as never), {
      name: 'TypeError',
      message: 'taskGroup(): `body` must be a function, got 5',
    });
  }));

test('a child spawned by a child joins the same group', () =>
  vrun(async () => {
    const trace = new Trace();
    await taskGroup((tg) => {
      tg.spawn(async () => {
        await sleep(5);
        tg.spawn(async () => {
          await sleep(5);
          trace.log('grandchild');
        });
      });
    });
    trace.log('exit');
    assert.deepEqual(trace.lines, ['10 grandchild', '10 exit']);
  }));

test('a group prints its state', () =>
  vrun(async () => {
    await taskGroup(async (tg) => {
      tg.spawn(() => sleep(10));
      assert.equal(inspect(tg), 'TaskGroup<open children=1>');
      tg.cancel();
      assert.equal(inspect(tg), 'TaskGroup<open cancelled children=1>');
      await sleep(0).catch(() => {});
    });
  }));

test('the body CancelledError that is not the group’s own propagates after cancelling the children', () =>
  vrun(async () => {
    const trace = new Trace();
    const err = await taskGroup(async (tg) => {
      tg.spawn(async () => {
        try {
          await sleep(100);
        } finally {
          trace.log('child cancelled');
        }
      });
      await sleep(1);
      throw new CancelledError('stray');
    }).catch((e: unknown) => e);
    assert.ok(err instanceof CancelledError);
    assert.equal(err.message, 'stray');
    assert.deepEqual(trace.lines, ['1 child cancelled']);
    assert.ok(!(err instanceof InvalidStateError));
  }));
