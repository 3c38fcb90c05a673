import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  checkpoint,
  BrokenResourceError,
  ClosedResourceError,
  EndOfChannel,
  WouldBlock,
  createTask,
  openChannel,
  sleep,
  taskGroup,
} from 'corio';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

test('capacity 0 is a rendezvous: each send waits for a receiver', () =>
  vrun(async () => {
    const [send, receive] = openChannel<string>(0);
    const trace = new Trace();
    await taskGroup((tg) => {
      tg.spawn(async () => {
        for (const v of ['a', 'b']) {
          await send.send(v);
          trace.log(`sent ${v}`);
        }
        send.close();
      });
      tg.spawn(async () => {
        await sleep(10);
        for await (const v of receive) {
          trace.log(`received ${v}`);
          await sleep(10);
        }
        trace.log('end of channel');
      });
    });
    // The receiver, which takes the waiting sender's value without waiting, goes
    // on first; the sender it woke resumes next.
    assert.deepEqual(trace.lines, [
      '10 received a',
      '10 sent a',
      '20 received b',
      '20 sent b',
      '30 end of channel',
    ]);
  }));

test('a buffered channel lets sends run ahead up to its capacity', () =>
  vrun(async () => {
    const [send, receive] = openChannel<number>(2);
    send.sendNowait(1);
    await send.send(2);
    assert.throws(
      () => {
        send.sendNowait(3);
      },
      (err: unknown) => err instanceof WouldBlock && err.value === 3,
    );
    const sender = createTask(() => send.send(3));
    await waitAllTasksBlocked();
    assert.deepEqual(send.statistics(), {
      currentBufferUsed: 2,
      maxBufferSize: 2,
      openSendChannels: 1,
      openReceiveChannels: 1,
      tasksWaitingSend: 1,
      tasksWaitingReceive: 0,
      tasksWaiting: 1,
    });
    assert.equal(await receive.receive(), 1);
    await sender;
    assert.deepEqual([receive.receiveNowait(), receive.receiveNowait()], [2, 3]);
    assert.throws(() => receive.receiveNowait(), WouldBlock);
    assert.equal(inspect(receive), 'ReceiveChannel<open buffer=0/2>');
  }));

test('clones: the channel ends for receivers when every send clone is closed', () =>
  vrun(async () => {
    const [send, receive] = openChannel<number>(Infinity);
    const other = send.clone();
    send.close();
    other.sendNowait(1);
    const receiver = createTask(async () => {
      const got: number[] = [];
      for await (const v of receive) got.push(v);
      return got;
    });
    await waitAllTasksBlocked();
    other.close();
    assert.deepEqual(await receiver, [1]);
    await assert.rejects(receive.receive(), EndOfChannel);
    assert.throws(() => send.clone(), ClosedResourceError);
  }));

test('sending when every receive end is closed fails with the value on the error', () =>
  vrun(async () => {
    const [send, receive] = openChannel<string>(0);
    const blocked = createTask(() => send.send('waiting'));
    await waitAllTasksBlocked();
    receive.close();
    const err = await Promise.resolve(blocked).catch((e: unknown) => e);
    assert.ok(err instanceof BrokenResourceError);
    assert.equal(err.value, 'waiting');
    await assert.rejects(
      send.send('later'),
      (e: unknown) => e instanceof BrokenResourceError && e.value === 'later',
    );
  }));

test('using a closed end throws ClosedResourceError; closing an end fails its own waiters', () =>
  vrun(async () => {
    const [send, receive] = openChannel<number>(0);
    const waiting = createTask(() => receive.receive());
    const otherReceive = receive.clone();
    await waitAllTasksBlocked();
    receive.close();
    await assert.rejects(Promise.resolve(waiting), {
      name: 'ClosedResourceError',
      message: 'ReceiveChannel.receive(): the receive end was closed while waiting',
    });
    await assert.rejects(receive.receive(), ClosedResourceError);
    const blockedSend = createTask(() => send.send(7));
    await waitAllTasksBlocked();
    send.close();
    const err = await Promise.resolve(blockedSend).catch((e: unknown) => e);
    assert.ok(err instanceof ClosedResourceError);
    assert.equal(err.value, 7);
    await assert.rejects(
      send.send(8),
      (e: unknown) => e instanceof ClosedResourceError && e.value === 8,
    );
    assert.equal(otherReceive.isClosed(), false);
  }));

test('a receiver handed a value keeps it even if cancelled then, and the buffer never exceeds its capacity (#11)', () =>
  vrun(async () => {
    // Scenario: R waits; a send hands it 'a'; R is cancelled before it resumes;
    // a sender fills the buffer meanwhile. Giving 'a' back made the buffer 2/1
    // (and 1/0 on an unbuffered channel, whose send had completed).
    for (const capacity of [0, 1]) {
      const [send, receive] = openChannel<string>(capacity);
      const trace = new Trace();
      const receiver = createTask(async () => {
        const value = await receive.receive();
        trace.log(`received ${value}`);
        await checkpoint().catch((e: unknown) => {
          trace.log(`next checkpoint: ${(e as Error).name}`);
        });
      });
      await waitAllTasksBlocked();
      const sent = send.send('a');
      receiver.cancel();
      if (capacity > 0) send.sendNowait('b');
      await sent;
      await receiver;
      assert.deepEqual(trace.lines, ['0 received a', '0 next checkpoint: CancelledError']);
      assert.equal(receive.statistics().currentBufferUsed, capacity);
    }
  }));

test('a sender whose value was taken completes its send even if cancelled then', () =>
  vrun(async () => {
    const [send, receive] = openChannel<string>(0);
    const trace = new Trace();
    const sender = createTask(async () => {
      await send.send('v');
      trace.log('send returned');
      await sleep(1).catch((e: unknown) => {
        trace.log(`next checkpoint: ${(e as Error).name}`);
      });
    });
    await waitAllTasksBlocked();
    assert.equal(receive.receiveNowait(), 'v');
    sender.cancel();
    await outcome(sender);
    assert.deepEqual(trace.lines, ['0 send returned', '0 next checkpoint: CancelledError']);
  }));

test('send and receive are cancellation points on their fast paths; ends close with using', () =>
  vrun(async () => {
    const [send, receive] = openChannel<number>(1);
    await assertCheckpoints(() => send.send(1));
    assert.equal(send.statistics().currentBufferUsed, 0, 'a cancelled send sent nothing');
    send.sendNowait(1);
    await assertCheckpoints(() => receive.receive());
    assert.equal(receive.statistics().currentBufferUsed, 1, 'a cancelled receive took nothing');
    {
      using _s = send;
      await using _r = receive;
    }
    assert.equal(send.isClosed() && receive.isClosed(), true);
    assert.throws(() => openChannel(-1), {
      name: 'RangeError',
      message: 'openChannel(): `capacity` must be an integer >= 0 (Infinity for no limit), got -1',
    });
  }));
