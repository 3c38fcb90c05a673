import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createTask, getRunningLoop, sleep } from 'corio';
import { fromEvent, pipe, range, take, tee, throttle, toArray } from 'corio/iter';
import { Trace, outcome, vrun } from '../_helpers.js';

const listeners = (e: EventEmitter) =>
  e.eventNames().reduce((n, name) => n + e.listenerCount(name), 0);

test('fromEvent yields emitted values and removes its listeners when the loop ends', () =>
  vrun(async () => {
    const emitter = new EventEmitter();
    const got: number[] = [];
    const consumer = createTask(async () => {
      for await (const n of fromEvent<number>(emitter, 'data')) {
        got.push(n);
        if (n === 3) break;
      }
    });
    await sleep(1);
    assert.equal(listeners(emitter), 2, "'data' and 'error'");
    for (const n of [1, 2, 3, 4]) emitter.emit('data', n);
    await consumer;
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(listeners(emitter), 0);
  }));

test('an error event is thrown from the iteration; a close event ends it', () =>
  vrun(async () => {
    const emitter = new EventEmitter();
    const failing = createTask(() => toArray(fromEvent(emitter, 'data')));
    await sleep(1);
    emitter.emit('data', 'x');
    emitter.emit('error', new RangeError('stream broke'));
    await assert.rejects(Promise.resolve(failing), RangeError);
    const closing = createTask(() => toArray(fromEvent(emitter, 'data', { close: 'end' })));
    await sleep(1);
    emitter.emit('data', 'y');
    emitter.emit('end');
    assert.deepEqual(await closing, ['y']);
    assert.equal(listeners(emitter), 0);
  }));

test('past its limit, fromEvent fails instead of buffering without bound', () =>
  vrun(async () => {
    const emitter = new EventEmitter();
    const slow = createTask(async () => {
      for await (const _ of fromEvent(emitter, 'data', { limit: 2 })) await sleep(100);
    });
    await sleep(1);
    for (let i = 0; i < 4; i++) emitter.emit('data', i);
    await assert.rejects(Promise.resolve(slow), {
      name: 'RangeError',
      message: "fromEvent(): more than 2 'data' events were waiting to be consumed",
    });
    assert.equal(listeners(emitter), 0);
  }));

test('fromEvent works with an EventTarget and stops at a cancellation', () =>
  vrun(async () => {
    const target = new EventTarget();
    const consumer = createTask(async () => {
      const types: string[] = [];
      for await (const event of fromEvent<Event>(target, 'ping')) types.push(event.type);
      return types;
    });
    await sleep(1);
    target.dispatchEvent(new Event('ping'));
    await sleep(1);
    consumer.cancel();
    assert.equal(await outcome(consumer), 'CancelledError');
    assert.throws(() => fromEvent({} as never, 'x'), {
      name: 'TypeError',
      message: 'fromEvent(): `target` must be an EventEmitter or an EventTarget, got an object',
    });
  }));

test('tee gives every branch every item and closes the source when all branches end', () =>
  vrun(async () => {
    const trace = new Trace();
    async function* source() {
      try {
        for (let i = 0; i < 5; i++) {
          await sleep(10);
          yield i;
        }
      } finally {
        trace.log('source closed');
      }
    }
    const [a, b] = tee(source());
    const [all, firstTwo] = await Promise.all([toArray(a), toArray(pipe(b, take(2)))]);
    assert.deepEqual(all, [0, 1, 2, 3, 4]);
    assert.deepEqual(firstTwo, [0, 1]);
    assert.deepEqual(trace.lines, ['50 source closed']);
    const [x, y] = tee(source());
    await toArray(pipe(x, take(1)));
    await toArray(pipe(y, take(1)));
    assert.deepEqual(trace.lines, ['50 source closed', '60 source closed']);
  }));

test('throttle spaces items to the limit and leaves no timer behind', () =>
  vrun(async () => {
    const trace = new Trace();
    for await (const n of pipe(range(0, 5), throttle({ limit: 2, interval: 100 })))
      trace.log(String(n));
    assert.deepEqual(trace.lines, ['0 0', '0 1', '100 2', '100 3', '200 4']);
    assert.equal(getRunningLoop().statistics().timers, 0);
    assert.throws(() => tee([1], 0), RangeError);
  }));
