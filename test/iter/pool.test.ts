import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { createTask, sleep, taskGroup } from 'corio';
import { Pool } from 'corio/iter';
import { waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

function makePool(
  trace: Trace,
  options: Partial<ConstructorParameters<typeof Pool<{ id: number }>>[0]> = {},
) {
  let made = 0;
  return new Pool<{ id: number }>({
    create: async () => {
      await sleep(10);
      const conn = { id: ++made };
      trace.log(`create ${conn.id}`);
      return conn;
    },
    destroy: (conn) => {
      trace.log(`destroy ${conn.id}`);
    },
    max: 2,
    ...options,
  });
}

test('a pool creates up to max, reuses returned resources, and hands them to waiters FIFO', () =>
  vrun(async () => {
    const trace = new Trace();
    const pool = makePool(trace);
    await taskGroup((tg) => {
      for (const name of ['a', 'b', 'c', 'd']) {
        tg.spawn(() =>
          pool.use(async (conn) => {
            trace.log(`${name} uses ${conn.id}`);
            await sleep(5);
          }),
        );
      }
    });
    assert.deepEqual(trace.lines, [
      '10 create 1',
      '10 create 2',
      '10 a uses 1',
      '10 b uses 2',
      '15 c uses 1',
      '15 d uses 2',
    ]);
    assert.deepEqual(pool.statistics(), { size: 2, idle: 2, inUse: 0, max: 2, tasksWaiting: 0 });
    await pool.drain();
    assert.equal(pool.statistics().size, 0);
  }));

test('a resource whose user throws is destroyed, not reused', () =>
  vrun(async () => {
    const trace = new Trace();
    const pool = makePool(trace, { max: 1 });
    await assert.rejects(
      pool.use(() => {
        throw new Error('query failed');
      }),
      /query failed/,
    );
    await pool.use((conn) => {
      trace.log(`next user gets ${conn.id}`);
    });
    assert.deepEqual(trace.lines, [
      '10 create 1',
      '10 destroy 1',
      '20 create 2',
      '20 next user gets 2',
    ]);
  }));

test('validate rejects a stale idle resource; idle ones beyond min are evicted', () =>
  vrun(async () => {
    const trace = new Trace();
    let healthy = true;
    const pool = makePool(trace, { validate: () => healthy, idleTimeout: 100, min: 1, max: 3 });
    await Promise.all([pool.use(() => sleep(1)), pool.use(() => sleep(1))]);
    healthy = false;
    await pool.use(() => {});
    healthy = true;
    await sleep(200);
    assert.deepEqual(trace.lines, [
      '10 create 1',
      '10 create 2',
      '11 destroy 2',
      '11 destroy 1',
      '21 create 3',
    ]);
    assert.deepEqual(pool.statistics(), { size: 1, idle: 1, inUse: 0, max: 3, tasksWaiting: 0 });
    await pool.drain();
  }));

test('eviction destroys idle resources after idleTimeout, keeping min', () =>
  vrun(async () => {
    const trace = new Trace();
    const pool = makePool(trace, { idleTimeout: 100, max: 2 });
    await Promise.all([pool.use(() => sleep(1)), pool.use(() => sleep(50))]);
    await sleep(200);
    assert.deepEqual(trace.lines, ['10 create 1', '10 create 2', '111 destroy 1', '160 destroy 2']);
    assert.equal(pool.statistics().size, 0);
  }));

test('acquireTimeout bounds the wait; a cancelled waiter leaves nothing behind', () =>
  vrun(async () => {
    const trace = new Trace();
    const pool = makePool(trace, { max: 1, acquireTimeout: 50 });
    const lease = await pool.acquire();
    await assert.rejects(pool.acquire(), { name: 'TimeoutError' });
    const waiter = createTask(() => pool.acquire());
    await waitAllTasksBlocked();
    waiter.cancel();
    assert.equal(await outcome(waiter), 'CancelledError');
    assert.equal(pool.statistics().tasksWaiting, 0);
    lease.release();
    assert.equal(inspect(pool), 'Pool<0/1 in use idle=1>');
  }));

test('drain waits for every lease, then destroys everything and refuses new acquires', () =>
  vrun(async () => {
    const trace = new Trace();
    const pool = makePool(trace, { max: 1 });
    const user = createTask(() => pool.use(() => sleep(30)));
    const waiter = createTask(() => pool.acquire());
    await sleep(15);
    await pool.drain();
    trace.log('drained');
    await user;
    await assert.rejects(Promise.resolve(waiter), {
      name: 'InvalidStateError',
      message: 'Pool.acquire(): the pool is draining',
    });
    await assert.rejects(pool.acquire(), { name: 'InvalidStateError' });
    assert.deepEqual(trace.lines, ['10 create 1', '40 destroy 1', '40 drained']);
    assert.throws(() => new Pool({ create: () => 1, max: 0 }), {
      name: 'RangeError',
      message: 'new Pool(): `options.max` must be an integer >= 1, got 0',
    });
    assert.throws(() => new Pool({ create: () => 1, max: 1, min: 2 }), RangeError);
  }));

test('an acquire cancelled while validate runs gives the resource back; a failing validate frees its slot (#11)', () =>
  vrun(async () => {
    const reports: string[] = [];
    let made = 0;
    let failValidate = false;
    const pool = new Pool({
      create: () => ({ id: ++made }),
      validate: async () => {
        await sleep(10);
        if (failValidate) throw new RangeError('validate broke');
        return true;
      },
      destroy: (r: { id: number }) => {
        reports.push(`destroy ${r.id}`);
      },
      max: 1,
    });
    (await pool.acquire()).release(); // one idle resource
    const acquirer = createTask(() => pool.acquire());
    await sleep(5);
    acquirer.cancel(); // inside validate
    assert.equal(await outcome(acquirer), 'CancelledError');
    assert.deepEqual(pool.statistics(), { size: 1, idle: 1, inUse: 0, max: 1, tasksWaiting: 0 });
    const lease = await pool.acquire();
    assert.equal(lease.value.id, 1);
    lease.release();
    failValidate = true;
    await assert.rejects(pool.acquire(), { message: 'validate broke' });
    assert.deepEqual(reports, ['destroy 1']);
    assert.deepEqual(pool.statistics(), { size: 0, idle: 0, inUse: 0, max: 1, tasksWaiting: 0 });
    failValidate = false;
    assert.equal((await pool.acquire()).value.id, 2);
  }));

test('a slot freed for a waiter is reserved for it: no acquire() barges in, size never exceeds max (#11)', () =>
  vrun(async () => {
    let n = 0;
    const pool = new Pool({ max: 1, create: () => ++n });
    const first = await pool.acquire();
    const waiter = createTask(() => pool.acquire());
    await waitAllTasksBlocked();
    void first.discard(); // frees the slot, reserved for the waiter
    const barger = createTask(() => pool.acquire());
    const woken = await waiter;
    assert.deepEqual(pool.statistics(), { size: 1, idle: 0, inUse: 1, max: 1, tasksWaiting: 1 });
    woken.release();
    const bargerLease = await barger;
    assert.equal(bargerLease.value, woken.value);
    bargerLease.release();
    // A waiter cancelled as the slot is reserved for it passes the slot on.
    const holder = await pool.acquire();
    const w1 = createTask(() => pool.acquire());
    const w2 = createTask(() => pool.acquire());
    await waitAllTasksBlocked();
    void holder.discard();
    w1.cancel();
    assert.equal(await outcome(w1), 'CancelledError');
    (await w2).release();
    assert.deepEqual(pool.statistics(), { size: 1, idle: 1, inUse: 0, max: 1, tasksWaiting: 0 });
  }));
