// A user's own AsyncLocalStorage through corio's contexts. corio enters a
// context per task and per cancel scope (core/context.ts). A user's stores pass
// into tasks and scopes; a task starts in the context of the code that made it
// (asyncio's create_task copies the caller's context), and what it enters at
// its start stays in it. (A cancel scope is no such boundary, as in asyncio:
// what its body enters with `enterWith` before its first wait may be seen by
// its caller until the caller's next await, as with a plain `als.run`.)
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { test } from 'node:test';
import { cancelScope, createTask, currentTask, getRunningLoop, sleep, taskGroup } from 'corio';
import { vrun } from '../_helpers.js';

const user = new AsyncLocalStorage<string>();

test("a user's store passes into the main task, spawned tasks and cancel scopes, across awaits", () =>
  user.run('request-1', () =>
    vrun(async () => {
      const seen: string[] = [`main ${user.getStore()}`];
      await taskGroup((tg) => {
        tg.spawn(async () => {
          await sleep(1);
          seen.push(`child ${user.getStore()}`);
        });
      });
      await cancelScope(async () => {
        await sleep(1);
        seen.push(`scope ${user.getStore()}`);
      });
      seen.push(`after ${user.getStore()}`);
      assert.deepEqual(seen, [
        'main request-1',
        'child request-1',
        'scope request-1',
        'after request-1',
      ]);
    }),
  ));

test('each task starts in the context of the code that made it, though started in one batch', () =>
  vrun(async () => {
    const seen: string[] = [];
    const job = async (name: string) => {
      seen.push(`${name} sees ${user.getStore()}`);
      await sleep(1);
      seen.push(`${name} still sees ${user.getStore()}`);
    };
    await taskGroup((tg) => {
      // Two requests' handlers, each spawning in its own context in one tick:
      // both tasks start in the same batch of the loop.
      user.run('request-a', () => {
        tg.spawn(() => job('a'));
      });
      user.run('request-b', () => {
        tg.spawn(() => job('b'));
      });
      tg.spawn(() => job('c'));
    });
    assert.deepEqual(seen, [
      'a sees request-a',
      'b sees request-b',
      'c sees undefined',
      'a still sees request-a',
      'b still sees request-b',
      'c still sees undefined',
    ]);
  }));

test('what a task enters at its start stays in it: not in its creator, not in the task started next', () =>
  vrun(async () => {
    const seen: string[] = [];
    await user.run('outer', async () => {
      const first = createTask(
        () => {
          user.enterWith('first');
          seen.push(`${currentTask()?.name} sees ${user.getStore()}`);
        },
        { name: 'first' },
      );
      const second = createTask(
        () => {
          seen.push(`${currentTask()?.name} sees ${user.getStore()}`);
        },
        { name: 'second' },
      );
      await Promise.all([first, second].map((t) => Promise.resolve(t)));
      seen.push(`${currentTask()?.name} sees ${user.getStore()}`);
    });
    assert.deepEqual(seen, ['first sees first', 'second sees outer', 'main sees outer']);
  }));

test('a loop callback runs in the context it was scheduled in: callSoon, callLater, callAt', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const seen: string[] = [];
    const log = (what: string) => () => {
      seen.push(`${what} sees ${user.getStore()}`);
    };
    user.run('a', () => loop.callSoon(log('soon a')));
    user.run('b', () => loop.callSoon(log('soon b')));
    user.run('c', () => loop.callLater(10, log('later c')));
    user.run('d', () => loop.callLater(10, log('later d')));
    user.run('e', () => loop.callAt(loop.time() + 10, log('at e')));
    loop.callSoon(log('soon -'));
    await sleep(20);
    assert.deepEqual(seen, [
      'soon a sees a',
      'soon b sees b',
      'soon - sees undefined',
      'later c sees c',
      'later d sees d',
      'at e sees e',
    ]);
  }));

test("a task's done callback runs in the context it was added in, not the one the task ends in", () =>
  vrun(async () => {
    const seen: string[] = [];
    const task = user.run('maker', () => createTask(() => sleep(10)));
    user.run('watcher', () => {
      task.addDoneCallback(() => {
        seen.push(`done sees ${user.getStore()}`);
      });
    });
    await user.run('joiner', () => Promise.resolve(task));
    await sleep(1);
    // Added after the task ended: it runs in the context it is added in too.
    user.run('late', () => {
      task.addDoneCallback(() => {
        seen.push(`late sees ${user.getStore()}`);
      });
    });
    await sleep(1);
    assert.deepEqual(seen, ['done sees watcher', 'late sees late']);
  }));

test('a handle does not keep what its callback was given once it has run or been cancelled', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const ran = loop.callSoon(() => {});
    const cancelled = loop.callLater(10, () => {});
    const fired = loop.callLater(5, () => {});
    cancelled.cancel();
    await sleep(20);
    // `arg` is internal: the user callback and its captured context.
    const argOf = (h: object) => (h as { arg: unknown }).arg;
    assert.deepEqual([ran, cancelled, fired].map(argOf), [null, null, null]);
  }));
