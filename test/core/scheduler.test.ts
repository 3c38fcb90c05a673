// The scheduler hook (core/scheduler.ts): with a Scheduler set, task starts,
// resumptions and timers due together are held until it runs them; held work
// keeps virtual time still; without one, nothing changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTask, Event, getRunningLoop, InvalidStateError, run, sleep, taskGroup } from 'corio';
import { type ScheduledStep, type Scheduler, setScheduler } from 'corio/lowlevel';
import { VirtualClock } from 'corio/testing';

// Holds every step; `release` runs them in the order given (oldest first by default).
class Recorder implements Scheduler {
  held: ScheduledStep[] = [];
  log: string[] = [];
  #order: (steps: ScheduledStep[]) => ScheduledStep[];

  constructor(order: (steps: ScheduledStep[]) => ScheduledStep[] = (steps) => steps) {
    this.#order = order;
  }

  hold(step: ScheduledStep): void {
    const wait = step.wait?.description ?? '';
    this.log.push(
      `${step.kind} ${step.task?.name ?? '-'}${wait === '' ? '' : ` ${wait}`}${step.outcome === null || step.outcome === 'value' ? '' : ` (${step.outcome})`}`,
    );
    if (this.held.push(step) === 1) setImmediate(this.#release);
  }

  busy(): boolean {
    return this.held.length > 0;
  }

  readonly #release = (): void => {
    const steps = this.#order(this.held);
    this.held = [];
    for (const step of steps) step.run();
  };
}

const vrun = <T>(main: () => Promise<T>): Promise<T> => run(main, { clock: new VirtualClock() });

test('starts, resumptions and tied timers go through the scheduler; a lone timer fires', () =>
  vrun(async () => {
    const recorder = new Recorder();
    setScheduler(recorder);
    const order: string[] = [];
    await taskGroup((tg) => {
      tg.spawn(
        async () => {
          await sleep(10);
          order.push('a');
        },
        { name: 'a' },
      );
      tg.spawn(
        async () => {
          await sleep(10);
          order.push('b');
          await sleep(5);
        },
        { name: 'b' },
      );
    });
    assert.deepEqual(order, ['a', 'b']);
    assert.deepEqual(recorder.log, [
      'start a',
      'start b',
      'timer a sleep(10)',
      'timer b sleep(10)',
      'resume a sleep(10)',
      'resume b sleep(10)',
      // sleep(5) fell due alone: it fired at once, and only its resumption was held.
      'resume b sleep(5)',
      'resume main TaskGroup.join',
    ]);
  }));

test('the scheduler decides the order: newest first reverses starts and tied wake-ups', () =>
  vrun(async () => {
    setScheduler(new Recorder((steps) => steps.reverse()));
    const order: string[] = [];
    await taskGroup((tg) => {
      for (const name of ['a', 'b', 'c']) {
        tg.spawn(
          async () => {
            order.push(`start ${name}`);
            await sleep(10);
            order.push(`woke ${name}`);
          },
          { name },
        );
      }
    });
    // The timers were set c, b, a; reversed, they fire a, b, c; their wake-ups, reversed again.
    assert.deepEqual(order, ['start c', 'start b', 'start a', 'woke c', 'woke b', 'woke a']);
  }));

test('failed and cancelled waits are held too, with their outcome', () =>
  vrun(async () => {
    const recorder = new Recorder();
    setScheduler(recorder);
    const failing = createTask(
      async () => {
        await sleep(1);
        throw new RangeError('no');
      },
      { name: 'failing' },
    );
    await assert.rejects(Promise.resolve(failing), RangeError);
    const sleeper = createTask(() => sleep(100), { name: 'sleeper' });
    await sleep(1);
    sleeper.cancel();
    await assert.rejects(Promise.resolve(sleeper), { name: 'CancelledError' });
    assert.ok(recorder.log.includes('resume main await failing (error)'), recorder.log.join('\n'));
    assert.ok(
      recorder.log.includes('resume sleeper sleep(100) (cancelled)'),
      recorder.log.join('\n'),
    );
  }));

// Lets everything go at once but timers, which it keeps until told.
class HoldTimers implements Scheduler {
  timers: ScheduledStep[] = [];
  hold(step: ScheduledStep): void {
    if (step.kind === 'timer') this.timers.push(step);
    else
      queueMicrotask(() => {
        step.run();
      });
  }
  busy(): boolean {
    return this.timers.length > 0;
  }

  // Once `count` timers are held, takes them all and hands them to `use`, on a
  // host turn of its own (outside the loop's tasks); resolves when `use` has
  // run, or rejects with what it threw.
  async release(count: number, use: (steps: ScheduledStep[]) => void): Promise<void> {
    const done = new Event();
    const failures: unknown[] = [];
    const poll = (): void => {
      if (this.timers.length < count) {
        setImmediate(poll);
        return;
      }
      setImmediate(() => {
        try {
          use(this.timers.splice(0));
        } catch (error) {
          failures.push(error);
        }
        done.set();
      });
    };
    poll();
    await done.wait();
    if (failures.length > 0) throw failures[0];
  }
}

test('held timers keep virtual time still; a timer cancelled while held does not run', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const ran: string[] = [];
    const first = loop.callLater(10, () => ran.push('first'));
    loop.callLater(10, () => ran.push('second'));
    loop.callLater(20, () => ran.push(`alone at ${loop.time()}`));
    const scheduler = new HoldTimers();
    setScheduler(scheduler);
    await scheduler.release(2, (steps) => {
      ran.push(`held at ${loop.time()}`);
      first.cancel();
      for (const step of steps.reverse()) step.run();
    });
    await sleep(15);
    assert.deepEqual(ran, ['held at 10', 'second', 'alone at 20']);
  }));

test('setScheduler validates its argument and needs a running loop', async () => {
  await vrun(async () => {
    assert.throws(() => {
      setScheduler({} as Scheduler);
    }, TypeError);
    await sleep(1);
  });
  assert.throws(() => {
    setScheduler(null);
  }, InvalidStateError);
});

test('a held sleep’s timer step carries the sleep’s deadline and wait; a sleep cancelled while held stays cancelled', () =>
  vrun(async () => {
    const loop = getRunningLoop();
    const scheduler = new HoldTimers();
    setScheduler(scheduler);
    const a = createTask(() => sleep(10, 'a'), { name: 'a' });
    const b = createTask(() => sleep(10, 'b'), { name: 'b' });
    await scheduler.release(2, (steps) => {
      assert.deepEqual(
        steps.map((s) => [s.task?.name, s.wait?.description, s.timer?.deadline]),
        [
          ['a', 'sleep(10)', 10],
          ['b', 'sleep(10)', 10],
        ],
      );
      assert.equal(loop.statistics().timers, 0);
      a.cancel();
      for (const step of steps) step.run();
    });
    await assert.rejects(Promise.resolve(a), { name: 'CancelledError' });
    assert.equal(await b, 'b');
  }));
