import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { createTask, currentEffectiveDeadline, getRunningLoop, sleep, timeout } from 'corio';
import { RateLimiter, exponentialBackoff, retry } from 'corio/iter';
import { waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('retry waits with the backoff between attempts and returns the first success', () =>
  vrun(async () => {
    const trace = new Trace();
    const value = await retry(
      async (attempt) => {
        trace.log(`attempt ${attempt}`);
        await sleep(1);
        if (attempt < 3) throw new Error('flaky');
        return 'ok';
      },
      { attempts: 4, backoff: exponentialBackoff({ initial: 10, factor: 3, jitter: false }) },
    );
    assert.equal(value, 'ok');
    assert.deepEqual(trace.lines, ['0 attempt 1', '11 attempt 2', '42 attempt 3']);
  }));

test('retry throws the last error when the attempts are used up or retryIf refuses', () =>
  vrun(async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        (attempt) => {
          calls++;
          throw new Error(`fail ${attempt}`);
        },
        { attempts: 3, backoff: () => 0 },
      ),
      { message: 'fail 3' },
    );
    assert.equal(calls, 3);
    await assert.rejects(
      retry(
        () => {
          throw new TypeError('fatal');
        },
        { retryIf: (err) => !(err instanceof TypeError), backoff: () => 0 },
      ),
      TypeError,
    );
  }));

test('full jitter waits a random part of the backoff, capped at max', () => {
  const backoff = exponentialBackoff({ initial: 100, factor: 2, max: 300, random: () => 0.5 });
  assert.deepEqual([1, 2, 3, 4].map(backoff), [50, 100, 150, 150]);
  assert.deepEqual([1, 2, 3].map(exponentialBackoff({ jitter: false })), [100, 200, 400]);
});

test('retry never retries a cancellation, and gives up before a wait past the deadline', () =>
  vrun(async () => {
    const trace = new Trace();
    const err = await timeout(250, () =>
      retry(
        (attempt) => {
          trace.log(`attempt ${attempt}`);
          throw new Error(`fail ${attempt}`);
        },
        { attempts: 10, backoff: () => 100 },
      ),
    ).catch((e: unknown) => e);
    // Attempts at 0, 100, 200; the wait to 300 would pass the 250 deadline.
    assert.equal((err as Error).message, 'fail 3');
    assert.deepEqual(trace.lines, ['0 attempt 1', '100 attempt 2', '200 attempt 3']);
    const caller = createTask(() => retry(() => sleep(1000), { attempts: 5 }));
    await sleep(10);
    caller.cancel();
    assert.equal(await outcome(caller), 'CancelledError');
  }));

test('currentEffectiveDeadline is the earliest enclosing deadline up to a shield', () =>
  vrun(async () => {
    assert.equal(currentEffectiveDeadline(), Infinity);
    await timeout(500, () =>
      timeout(100, async () => {
        assert.equal(currentEffectiveDeadline(), 100);
        await sleep(1);
      }),
    );
  }));

test('a rate limiter allows limit acquisitions per interval, FIFO', () =>
  vrun(async () => {
    const limiter = new RateLimiter({ limit: 2, interval: 100 });
    const trace = new Trace();
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((name) =>
      createTask(async () => {
        await limiter.acquire();
        trace.log(name);
      }),
    );
    for (const t of tasks) await t;
    assert.deepEqual(trace.lines, ['0 a', '0 b', '100 c', '100 d', '200 e']);
    assert.equal(getRunningLoop().statistics().timers, 0);
    assert.equal(inspect(limiter), 'RateLimiter<2/100ms>');
  }));

test('a waiter cancelled while waiting or as a token is handed to it leaves nothing behind', () =>
  vrun(async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    await limiter.acquire();
    const waiter = createTask(() => limiter.acquire());
    await waitAllTasksBlocked();
    waiter.cancel();
    assert.equal(await outcome(waiter), 'CancelledError');
    assert.equal(limiter.statistics().tasksWaiting, 0);
    assert.equal(getRunningLoop().statistics().timers, 0, 'the timer left with the last waiter');
    await sleep(100);
    assert.equal(limiter.statistics().available, 1);
    await assert.rejects(
      timeout(0, () => limiter.acquire()),
      { name: 'TimeoutError' },
    );
    assert.throws(() => new RateLimiter({ limit: 0, interval: 10 }), {
      name: 'RangeError',
      message: 'new RateLimiter(): `options.limit` must be an integer >= 1, got 0',
    });
  }));
