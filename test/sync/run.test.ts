// The primitives' run(fn) on its waiting path: a caller that has to wait keeps no
// frame, and fn is called from a reaction registered by the caller. These pin
// what that must not change: fn runs in the waiting task's own context, a
// cancelled waiter never calls fn and leaks nothing, and a subclass's acquire()
// still decides.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { test } from 'node:test';
import {
  CapacityLimiter,
  Condition,
  type Guard,
  Lock,
  type SignalOptions,
  Semaphore,
  createTask,
  currentTask,
  sleep,
} from 'corio';
import { waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

interface Primitive {
  run<T>(fn: () => T | PromiseLike<T>, options?: SignalOptions): Promise<T>;
  acquire(options?: SignalOptions): Promise<Guard>;
  statistics(): { readonly tasksWaiting: number };
}

const makers: Record<string, () => Primitive> = {
  Lock: () => new Lock(),
  Semaphore: () => new Semaphore(1),
  CapacityLimiter: () => new CapacityLimiter(1),
  Condition: () => {
    const cond = new Condition();
    return {
      run: (fn, options) => cond.run(fn, options),
      acquire: (options) => cond.acquire(options),
      statistics: () => cond.statistics().lock,
    };
  },
};

for (const [kind, make] of Object.entries(makers)) {
  test(`${kind}.run(): after a wait, fn runs in the waiting task's context`, () =>
    vrun(async () => {
      const primitive = make();
      const store = new AsyncLocalStorage<string>();
      const trace = new Trace();
      const holder = await primitive.acquire();
      const waiters = ['w1', 'w2'].map((name) =>
        store.run(name, () =>
          createTask(
            () =>
              primitive.run(async () => {
                trace.log(`${name} runs as ${currentTask()?.name} in ${store.getStore()}`);
                await sleep(5);
                trace.log(`${name} leaves as ${currentTask()?.name} in ${store.getStore()}`);
                return name;
              }),
            { name },
          ),
        ),
      );
      await waitAllTasksBlocked();
      assert.equal(primitive.statistics().tasksWaiting, 2);
      // Released from a third context: the drain that wakes w1 runs in this one.
      store.run('releaser', () => {
        holder.release();
      });
      assert.deepEqual(await Promise.all(waiters), ['w1', 'w2']);
      assert.deepEqual(trace.lines, [
        '0 w1 runs as w1 in w1',
        '5 w1 leaves as w1 in w1',
        '5 w2 runs as w2 in w2',
        '10 w2 leaves as w2 in w2',
      ]);
    }));

  test(`${kind}.run(): a waiter cancelled while parked, or as it is handed over, never calls fn`, () =>
    vrun(async () => {
      const primitive = make();
      const trace = new Trace();
      const holder = await primitive.acquire();
      const job = (name: string) =>
        createTask(
          () =>
            primitive.run(() => {
              trace.log(`${name} runs`);
              return name;
            }),
          { name },
        );
      const [parked, handed, last] = ['parked', 'handed', 'last'].map(job) as [
        ReturnType<typeof job>,
        ReturnType<typeof job>,
        ReturnType<typeof job>,
      ];
      await waitAllTasksBlocked();
      parked.cancel();
      assert.equal(await outcome(parked), 'CancelledError');
      assert.equal(primitive.statistics().tasksWaiting, 2);
      // Woken, then cancelled before it resumes: it passes the wake-up on.
      holder.release();
      handed.cancel();
      assert.equal(await outcome(handed), 'CancelledError');
      assert.equal(await last, 'last');
      assert.deepEqual(trace.lines, ['0 last runs']);
      assert.equal(primitive.statistics().tasksWaiting, 0);
      // Nothing is held: the next caller takes it at once.
      (await primitive.acquire()).release();
    }));

  test(`${kind}.run(): whatever fn does after a wait, the primitive is released`, () =>
    vrun(async () => {
      const primitive = make();
      const holder = await primitive.acquire();
      const thrown = createTask(() =>
        primitive.run(() => {
          throw new RangeError('sync throw');
        }),
      );
      const rejectedLater = createTask(() =>
        primitive.run(async () => {
          await sleep(1);
          throw new TypeError('async throw');
        }),
      );
      const plain = createTask(() => primitive.run(() => 7));
      await waitAllTasksBlocked();
      holder.release();
      assert.equal(await outcome(thrown), 'RangeError');
      assert.equal(await outcome(rejectedLater), 'TypeError');
      assert.equal(await plain, 7);
      (await primitive.acquire()).release();
    }));
}

for (const [kind, make] of Object.entries(makers)) {
  // asyncio's order, and acquire()'s with `using`: the caller resumes from run()
  // before the next waiter's fn starts, whatever fn returned.
  test(`${kind}.run(): a caller that waited resumes before the next waiter's fn starts`, () =>
    vrun(async () => {
      const primitive = make();
      const trace: string[] = [];
      const holder = await primitive.acquire();
      const fns: Record<string, () => unknown> = {
        awaits: async () => {
          await sleep(1);
        },
        'never awaits': async () => {},
        'returns a value': () => 1,
        'returns a thenable': () => ({
          then(resolve: (value: number) => void) {
            resolve(2);
          },
        }),
      };
      const tasks = Object.entries(fns).flatMap(([what, fn]) => [
        createTask(async () => {
          await primitive.run(() => {
            trace.push(`${what}: fn`);
            return fn();
          });
          trace.push(`${what}: after`);
        }),
      ]);
      await waitAllTasksBlocked();
      holder.release();
      await Promise.all(tasks);
      assert.deepEqual(trace, [
        'awaits: fn',
        'awaits: after',
        'never awaits: fn',
        'never awaits: after',
        'returns a value: fn',
        'returns a value: after',
        'returns a thenable: fn',
        'returns a thenable: after',
      ]);
    }));
}

test('run(): a release that throws (released by hand inside fn) rejects run(), waited or not', () =>
  vrun(async () => {
    for (const waited of [false, true]) {
      const lock = new Lock();
      const holder = waited ? await lock.acquire() : null;
      const caller = createTask(() =>
        lock.run(async () => {
          lock.release();
          await sleep(1);
          return 'value';
        }),
      );
      await waitAllTasksBlocked();
      holder?.release();
      await assert.rejects(Promise.resolve(caller), {
        name: 'InvalidStateError',
        message: 'Lock.release(): the lock is not held',
      });
      assert.equal(lock.locked(), false);
    }
  }));

test('run(): fn returning a thenable whose then() throws fails run() and releases, waited or not', () =>
  vrun(async () => {
    const broken = {
      'then() throws': () => ({
        then() {
          throw new RangeError('then() throws');
        },
      }),
      'its then getter throws': () => ({
        get then(): never {
          throw new RangeError('its then getter throws');
        },
      }),
    };
    for (const waited of [false, true]) {
      for (const [what, fn] of Object.entries(broken)) {
        const limiter = new CapacityLimiter(1);
        const holder = waited ? await limiter.acquireOnBehalfOf('holder') : null;
        const caller = createTask(() => limiter.run(fn));
        await waitAllTasksBlocked();
        holder?.release();
        await assert.rejects(Promise.resolve(caller), { name: 'RangeError', message: what });
        assert.equal(limiter.borrowedTokens, 0, `${what}, waited: ${waited}`);
      }
    }
  }));

test("run() goes through a subclass's own acquire()", () =>
  vrun(async () => {
    const calls: string[] = [];
    class CountingLock extends Lock {
      override acquire(options?: SignalOptions): Promise<Guard> {
        calls.push('lock');
        return super.acquire(options);
      }
    }
    class CountingLimiter extends CapacityLimiter {
      override acquire(options?: SignalOptions): Promise<Guard> {
        calls.push('limiter');
        return super.acquire(options);
      }
    }
    // acquire() goes through acquireOnBehalfOf(): overriding that one is enough.
    class QuotaLimiter extends CapacityLimiter {
      override acquireOnBehalfOf(borrower: unknown, options?: SignalOptions): Promise<Guard> {
        calls.push(`quota for ${String((borrower as { name?: string }).name)}`);
        return super.acquireOnBehalfOf(borrower, options);
      }
    }
    assert.equal(await new CountingLock().run(() => 1), 1);
    assert.equal(await new CountingLimiter(1).run(() => 2), 2);
    assert.equal(await new QuotaLimiter(1).run(() => 3), 3);
    assert.deepEqual(calls, ['lock', 'limiter', `quota for ${currentTask()?.name}`]);
  }));
