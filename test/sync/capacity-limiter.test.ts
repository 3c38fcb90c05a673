import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { CapacityLimiter, createTask, currentTask, sleep, taskGroup } from 'corio';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('a limiter lends at most totalTokens tokens, FIFO, and knows its borrowers', () =>
  vrun(async () => {
    const limiter = new CapacityLimiter(2);
    const trace = new Trace();
    await taskGroup((tg) => {
      for (const name of ['a', 'b', 'c']) {
        tg.spawn(
          async () => {
            await limiter.run(async () => {
              trace.log(
                `${name} in, borrowers ${limiter
                  .statistics()
                  .borrowers.map((t) => (t as { name: string }).name)
                  .join(',')}`,
              );
              await sleep(10);
            });
          },
          { name },
        );
      }
    });
    assert.deepEqual(trace.lines, [
      '0 a in, borrowers a,b',
      '0 b in, borrowers a,b',
      '10 c in, borrowers c',
    ]);
  }));

test('one borrower cannot take two tokens or return one it does not hold', () =>
  vrun(async () => {
    const limiter = new CapacityLimiter(3);
    const guard = await limiter.acquire();
    await assert.rejects(limiter.acquire(), {
      name: 'InvalidStateError',
      message:
        'CapacityLimiter.acquire(): this borrower already holds a token; a limiter lends one token per borrower',
    });
    limiter.release();
    assert.throws(
      () => {
        limiter.release();
      },
      {
        name: 'InvalidStateError',
        message: 'CapacityLimiter.release(): this borrower holds no token',
      },
    );
    assert.equal(guard.released, false);
    assert.throws(() => {
      guard.release();
    }, /holds no token/);
    const borrowed = await limiter.acquireOnBehalfOf('job-1');
    assert.deepEqual(limiter.statistics().borrowers, ['job-1']);
    borrowed.release();
    assert.equal(limiter.borrowedTokens, 0);
    assert.ok(currentTask());
  }));

test('raising totalTokens wakes waiters at once; lowering it takes effect as tokens return', () =>
  vrun(async () => {
    const limiter = new CapacityLimiter(1);
    const trace = new Trace();
    const job = (name: string) =>
      createTask(() =>
        limiter.run(async () => {
          trace.log(`${name} in`);
          await sleep(10);
        }),
      );
    const jobs = ['a', 'b', 'c'].map(job);
    await waitAllTasksBlocked();
    limiter.totalTokens = 3;
    for (const j of jobs) await j;
    limiter.totalTokens = 1;
    assert.equal(limiter.availableTokens, 1);
    assert.deepEqual(trace.lines, ['0 a in', '0 b in', '0 c in']);
    assert.equal(inspect(limiter), 'CapacityLimiter<0/1>');
    assert.throws(() => {
      limiter.totalTokens = 0;
    }, RangeError);
  }));

test('a waiter cancelled as a token is handed to it passes the token on', () =>
  vrun(async () => {
    const limiter = new CapacityLimiter(1);
    const held = await limiter.acquireOnBehalfOf('holder');
    const first = createTask(() => limiter.acquire());
    const second = createTask(() => limiter.acquire());
    await waitAllTasksBlocked();
    held.release();
    first.cancel();
    assert.equal(await outcome(first), 'CancelledError');
    const guard = await second;
    assert.deepEqual(limiter.statistics().borrowers, [second]);
    guard.release();
    assert.deepEqual(limiter.statistics(), {
      borrowedTokens: 0,
      totalTokens: 1,
      borrowers: [],
      tasksWaiting: 0,
    });
  }));

test('acquire is a cancellation point with free tokens; Infinity tokens is allowed', () =>
  vrun(async () => {
    const limiter = new CapacityLimiter(Infinity);
    await assertCheckpoints(() => limiter.acquire());
    assert.equal(limiter.borrowedTokens, 0);
    assert.throws(() => new CapacityLimiter(0), {
      name: 'RangeError',
      message:
        'new CapacityLimiter(): `totalTokens` must be an integer >= 1 (Infinity for no limit), got 0',
    });
  }));
