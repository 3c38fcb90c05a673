import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import {
  CancelledError,
  Event,
  Queue,
  cancelScope,
  checkpoint,
  createTask,
  getRunningLoop,
  moveOnAfter,
  run,
  sleep,
  waitFor,
} from 'corio';
import { type WaitKind, park, suspend, wake } from 'corio/lowlevel';
import { VirtualClock } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('sleep resolves with its value after ms of loop time; equal deadlines fire in order', () =>
  vrun(async () => {
    const trace = new Trace();
    await Promise.all(
      ['a', 'b'].map(async (name) => {
        trace.log(`${name} got ${await sleep(10, name)}`);
      }),
    );
    assert.deepEqual(trace.lines, ['10 a got a', '10 b got b']);
  }));

test('checkpoint() yields one turn to other tasks and lets cancellation in', () =>
  vrun(async () => {
    const trace = new Trace();
    const spinner = createTask(async () => {
      for (let i = 0; ; i++) {
        trace.log(`spin ${i}`);
        await checkpoint();
      }
    });
    await checkpoint();
    await checkpoint();
    spinner.cancel();
    assert.equal(await outcome(spinner), 'CancelledError');
    assert.deepEqual(trace.lines, ['0 spin 0', '0 spin 1', '0 spin 2']);
  }));

test('100,000 cancelled sleeps leave nothing behind: no timer, no waiter', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    for (let i = 0; i < 100_000; i++) {
      const controller = new AbortController();
      const sleeping = sleep(1000 + i, undefined, { signal: controller.signal });
      controller.abort();
      await sleeping.catch(() => {});
    }
    assert.equal(loop.statistics().timers, 0);
    assert.equal(loop.time(), 0);
    const task = createTask(() => sleep(1000));
    await checkpoint();
    assert.equal(loop.statistics().timers, 1);
    task.cancel();
    assert.equal(loop.statistics().timers, 0, 'removed synchronously by cancel()');
    assert.equal(await outcome(task), 'CancelledError');
  }));

test('sleep with an aborted signal throws CancelledError with source "signal" and the reason as cause', () =>
  vrun(async () => {
    const reason = new Error('user left');
    const err = await sleep(10, 'x', { signal: AbortSignal.abort(reason) }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof CancelledError);
    assert.equal(err.source, 'signal');
    assert.equal(err.cause, reason);
  }));

test('sleep removes its abort listener when it ends', () =>
  vrun(async () => {
    const controller = new AbortController();
    const { signal } = controller;
    let added = 0;
    let removed = 0;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    };
    signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    };
    await sleep(5, undefined, { signal });
    assert.deepEqual([added, removed], [1, 1]);
  }));

test('waits sharing one signal share one abort listener: no leak warning, aborted in the order they parked', () =>
  vrun(async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const { signal } = controller;
      const event = new Event();
      const queue = new Queue<number>();
      const trace = new Trace();
      // 16 workers on one queue and 8 sleeps, all with the job's signal: 24 waits.
      const waits = [
        ...Array.from({ length: 16 }, (_, i) =>
          queue.get({ signal }).then(String, () => `get ${i}`),
        ),
        ...Array.from({ length: 8 }, (_, i) =>
          sleep(100 + i, undefined, { signal }).then(String, () => `sleep ${i}`),
        ),
        event.wait({ signal }).then(String, () => 'event'),
      ];
      assert.equal(getEventListeners(signal, 'abort').length, 1);
      await sleep(5);
      queue.putNowait(7);
      assert.equal(await waits[0], '7');
      assert.equal(getEventListeners(signal, 'abort').length, 1, 'the rest still wait');
      controller.abort();
      for (const w of waits.slice(1)) trace.log(await w);
      assert.deepEqual(trace.lines, [
        ...Array.from({ length: 15 }, (_, i) => `5 get ${i + 1}`),
        ...Array.from({ length: 8 }, (_, i) => `5 sleep ${i}`),
        '5 event',
      ]);
      assert.equal(getEventListeners(signal, 'abort').length, 0);
      // A signal that outlives its waits keeps no listener either.
      const long = new AbortController().signal;
      const ended = Promise.all([
        sleep(1, undefined, { signal: long }),
        event.wait({ signal: long }),
      ]);
      assert.equal(getEventListeners(long, 'abort').length, 1);
      event.set();
      await ended;
      assert.equal(getEventListeners(long, 'abort').length, 0);
      await new Promise<void>((resolve) => {
        setImmediate(resolve);
      });
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  }));

test('a wait whose abort throws does not keep the other waits on its signal parked; its loop reports the error', () =>
  vrun(async () => {
    const reports: string[] = [];
    getRunningLoop().setExceptionHandler((ctx) =>
      reports.push(`${ctx.message}: ${String(ctx.error)}`),
    );
    const controller = new AbortController();
    const { signal } = controller;
    // A third party's primitive whose abort hook is broken.
    const broken: WaitKind = {
      abort() {
        throw new Error('broken abort hook');
      },
    };
    const stuck = suspend('broken', null, broken, signal);
    void park(stuck).catch(() => {});
    const event = new Event();
    const waits = [event.wait({ signal }), sleep(50, undefined, { signal })].map((w) =>
      w.then(String, (e: unknown) => (e as Error).name),
    );
    controller.abort();
    assert.deepEqual(await Promise.all(waits), ['CancelledError', 'CancelledError']);
    assert.deepEqual(reports, [
      'a wait threw when its signal aborted it: Error: broken abort hook',
    ]);
    wake(stuck, undefined);
  }));

test('a Promise.race of corio waits does not leak the loser past its task', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const reports: string[] = [];
    loop.setExceptionHandler((ctx) => reports.push(ctx.message));
    const task = createTask(() => Promise.race([sleep(1000, 'slow'), sleep(10, 'fast')]), {
      name: 'racer',
    });
    assert.equal(await task, 'fast');
    assert.equal(loop.statistics().timers, 0, 'the losing sleep was reaped when the task ended');
    assert.equal(reports.length, 1);
    assert.match(
      reports[0] as string,
      /^Task racer ended while corio waits it started were still pending; they were cancelled: sleep\(1000\)\. Await every corio call/,
    );
  }));

test('a corio wait nobody awaits is cancelled with its task and reported once, never an unhandled rejection (#11)', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown): void => {
    unhandled.push(error);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    for (const debug of [false, true]) {
      const reports: string[] = [];
      await run(
        async () => {
          // Only reports of waits left behind: debug mode's slow-callback
          // watchdog may also speak on a loaded machine.
          getRunningLoop().setExceptionHandler((ctx) => {
            if (ctx.message.includes('were still pending')) reports.push(ctx.message);
          });
          await createTask(
            async () => {
              void sleep(10); // forgot the await
              await assert.rejects(waitFor(sleep(1), '100' as never), { message: /`ms`/ });
            },
            { name: 'forgetful' },
          );
        },
        { clock: new VirtualClock(), debug },
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(reports.length, 1, reports.join('\n'));
      const report = reports[0] as string;
      assert.match(
        report,
        /^Task forgetful ended while corio waits it started were still pending; they were cancelled: sleep\(10\)/,
      );
      assert.match(report, /sleep\(1\)/);
      // Debug mode says where each wait was made: this file, not corio's frames.
      if (debug) assert.match(report, /called at\n.*test\/core\/sleep\.test\.ts:\d+/);
      else assert.match(report, /run\(main, \{ debug: true \}\) shows where/);
    }
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('sleep reports bad input and a cancelled caller as a rejection, never a synchronous throw', () =>
  vrun(async () => {
    let negative: Promise<void> | undefined;
    assert.doesNotThrow(() => {
      negative = sleep(-1);
    });
    await assert.rejects(negative as Promise<void>, { name: 'RangeError', message: /ms/ });
    await assert.rejects(sleep(Number.NaN), RangeError);
    await assert.rejects(sleep(5, 'x', 'fast' as never), TypeError);
    let inCancelled: Promise<void> | undefined;
    await cancelScope((scope) => {
      scope.cancel();
      assert.doesNotThrow(() => {
        inCancelled = sleep(5);
      });
    });
    assert.equal(await outcome(inCancelled as Promise<void>), 'CancelledError');
    assert.equal(await sleep(0, 'now'), 'now');
    assert.equal(getRunningLoop().time(), 0);
  }));

test('a sleep whose timer fired returns even if its task is cancelled before it resumes; the next checkpoint throws (#16)', () =>
  vrun(async () => {
    // Scenario: a sleeper and a canceller wake in the same loop turn; the
    // canceller runs first and cancels the sleeper, whose timer has fired. The
    // sleep has done its work (Trio's rule for a rescheduled task): it returns,
    // and the cancellation comes at the next checkpoint.
    const trace = new Trace();
    const sleeper = createTask(async () => {
      const value = await sleep(10, 'rested');
      trace.log(`sleep returned ${value}`);
      await checkpoint().catch((e: unknown) => {
        trace.log(`checkpoint: ${(e as Error).name}`);
      });
    });
    await checkpoint(); // the sleeper has set its timer first
    getRunningLoop().callLater(10, () => {
      sleeper.cancel();
    });
    await sleeper;
    assert.deepEqual(trace.lines, ['10 sleep returned rested', '10 checkpoint: CancelledError']);
  }));

test('sleeps and callLater timers of one duration share its list: they fire in the order set, and a cancelled one leaves at once', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const trace = new Trace();
    const handle = loop.callLater(10, () => {
      trace.log('callLater');
    });
    const cancelled = createTask(() => sleep(10), { name: 'cancelled' });
    const first = sleep(10, 'first');
    const dropped = loop.callLater(10, () => {
      trace.log('dropped');
    });
    await checkpoint();
    assert.equal(loop.statistics().timers, 4);
    cancelled.cancel();
    dropped.cancel();
    assert.equal(loop.statistics().timers, 2);
    await assert.rejects(Promise.resolve(cancelled), CancelledError);
    trace.log(`sleep ${await first}`);
    assert.deepEqual(trace.lines, ['10 callLater', '10 sleep first']);
    assert.ok(handle.cancelled(), 'a fired handle reads as cancelled');
    assert.equal(loop.statistics().timers, 0);
  }));

test('instruments are told of a sleep’s timer by its handle: set, then fired at its deadline', async () => {
  const events: string[] = [];
  const value = await run(
    async () => {
      const loop = getRunningLoop();
      const slept = await sleep(30, 'woke');
      // A sleep cancelled: its timer is set, never fired.
      await moveOnAfter(5, () => sleep(100));
      events.push(`at ${loop.time()}`);
      return slept;
    },
    {
      clock: new VirtualClock(),
      trace: {
        timerSet(timer) {
          events.push(`set ${timer.deadline} at ${timer.loop.time()}`);
        },
        timerFired(timer) {
          events.push(`fired ${timer.deadline} at ${timer.loop.time()}`);
        },
      },
    },
  );
  assert.equal(value, 'woke');
  assert.deepEqual(events, [
    'set 30 at 0',
    'fired 30 at 30',
    'set 35 at 30',
    'set 130 at 30',
    'fired 35 at 35',
    'at 35',
  ]);
});
