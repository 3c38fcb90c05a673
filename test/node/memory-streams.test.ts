// The in-memory stream pairs, and through them the StreamWriter's contract:
// backpressure, several drainers, half-close, close and abort, errors.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  BrokenResourceError,
  ClosedResourceError,
  InvalidStateError,
  createTask,
  getRunningLoop,
  sleep,
  taskGroup,
  timeout,
} from 'corio';
import { lockstepStreamPair, memoryStreamPair } from 'corio/node';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

test('destructures as [reader, writer] and has .reader and .writer', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair();
    const [reader, writer] = b;
    assert.equal(reader, b.reader);
    assert.equal(writer, b.writer);
    a.writer.write('ping\n');
    assert.equal(text(await reader.readline()), 'ping\n');
    assert.equal(inspect(a), 'Connection<memory>');
    assert.equal(a.writer.getExtraInfo('peername'), 'memory');
    assert.equal(a.writer.getExtraInfo('nothing', 42), 42);
  }));

test('drain() waits while the peer holds more than 2 × limit unread; many tasks may drain', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair({ limit: 10 });
    const trace = new Trace();
    a.writer.write('x'.repeat(21));
    assert.equal(a.writer.statistics().needsDrain, true);
    await taskGroup((tg) => {
      for (const name of ['first', 'second']) {
        tg.spawn(async () => {
          await a.writer.drain();
          trace.log(`${name} drained`);
        });
      }
      tg.spawn(async () => {
        await sleep(5);
        await b.reader.read(5); // 16 left: above the limit, still paused
        await sleep(5);
        await b.reader.read(6); // 10 left: resumed
      });
    });
    assert.deepEqual(trace.lines, ['10 first drained', '10 second drained']);
    assert.equal(a.writer.statistics().needsDrain, false);
  }));

test('lockstep: drain() returns only once the peer has read everything', () =>
  vrun(async () => {
    const [a, b] = lockstepStreamPair();
    const trace = new Trace();
    await taskGroup((tg) => {
      tg.spawn(async () => {
        await a.writer.writeAll('one\ntwo\n');
        trace.log('sent');
      });
      tg.spawn(async () => {
        await sleep(10);
        trace.log(`read ${text(await b.reader.readline()).trim()}`);
        await sleep(10);
        trace.log(`read ${text(await b.reader.readline()).trim()}`);
      });
    });
    assert.deepEqual(trace.lines, ['10 read one', '20 read two', '20 sent']);
  }));

test('lockstep: two peers that both write before reading deadlock, as they would on a slow network', () =>
  vrun(async () => {
    const [a, b] = lockstepStreamPair();
    const stuck = await outcome(
      timeout(1000, () =>
        taskGroup((tg) => {
          tg.spawn(() => a.writer.writeAll('hello\n'));
          tg.spawn(() => b.writer.writeAll('hello\n'));
        }),
      ),
    );
    assert.equal(stuck, 'TimeoutError');
  }));

test('writeEof half-closes: the peer reads EOF and can still answer', () =>
  vrun(async () => {
    const [client, server] = memoryStreamPair();
    client.writer.write('question');
    client.writer.writeEof();
    client.writer.writeEof(); // idempotent
    assert.throws(() => {
      client.writer.write('more');
    }, InvalidStateError);
    assert.equal(text(await server.reader.read()), 'question');
    assert.equal(server.reader.atEof(), true);
    await server.writer.writeAll('answer');
    server.writer.writeEof();
    assert.equal(text(await client.reader.read()), 'answer');
    assert.equal(client.writer.canWriteEof(), true);
  }));

test('close(): the peer reads the rest then EOF; its writes fail; waitClosed() returns', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair();
    a.writer.write('last words\n');
    a.writer.close();
    a.writer.close(); // idempotent
    assert.equal(a.writer.isClosing(), true);
    await a.writer.waitClosed();
    assert.throws(() => {
      a.writer.write('x');
    }, ClosedResourceError);
    assert.equal(text(await b.reader.readline()), 'last words\n');
    assert.equal((await b.reader.readline()).length, 0);
    assert.throws(() => {
      b.writer.write('anyone?');
    }, BrokenResourceError);
    await assert.rejects(b.writer.drain(), BrokenResourceError);
    await b.writer.waitClosed();
    assert.equal(inspect(a.writer), 'StreamWriter<memory closed>');
  }));

test('abort(): the peer gets ECONNRESET on reads and writes; our drainers get ClosedResourceError', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair({ limit: 4 });
    a.writer.write('x'.repeat(100));
    const draining = createTask(() => a.writer.drain());
    const ownRead = createTask(() => a.reader.readline());
    await waitAllTasksBlocked();
    a.writer.abort();
    assert.equal(await outcome(draining), 'ClosedResourceError');
    assert.equal((await ownRead).length, 0); // our own side: EOF
    // The peer: its buffered bytes are gone with the reset (asyncio).
    await assert.rejects(b.reader.read(1), { code: 'ECONNRESET' });
    assert.throws(
      () => {
        b.writer.write('x');
      },
      { code: 'ECONNRESET' },
    );
    await assert.rejects(b.writer.drain(), { code: 'ECONNRESET' });
    await assert.rejects(b.writer.waitClosed(), { code: 'ECONNRESET' });
  }));

test('await using closes the connection, also when the block throws', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair();
    try {
      await using conn = a;
      conn.writer.write('bye\n');
      throw new Error('boom');
    } catch (error) {
      assert.equal((error as Error).message, 'boom');
    }
    assert.equal(a.writer.isClosing(), true);
    assert.equal(text(await b.reader.read()), 'bye\n');
  }));

test('disposal closes even in a cancelled task (shielded)', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair();
    const task = createTask(async () => {
      await using conn = a;
      conn.writer.write('partial');
      await sleep(1000);
    });
    await sleep(10);
    task.cancel();
    assert.equal(await outcome(task), 'CancelledError');
    assert.equal(text(await b.reader.read()), 'partial');
  }));

test('writelines writes every item in order; bad items are refused before any is written', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair();
    a.writer.writelines(['a', Buffer.from('b'), new Uint8Array([99]), '']);
    assert.throws(() => {
      a.writer.writelines(['d', 5 as never]);
    }, TypeError);
    assert.throws(() => {
      a.writer.writelines('abc' as never);
    }, TypeError);
    a.writer.writeEof();
    assert.equal(text(await b.reader.read()), 'abc');
  }));

test('drain, writeAll and waitClosed are cancellation points; a cancelled drain leaves the bytes queued', () =>
  vrun(async () => {
    const [a, b] = memoryStreamPair({ limit: 2 });
    await assertCheckpoints(() => a.writer.drain());
    await assertCheckpoints(() => a.writer.writeAll('x'));
    await assertCheckpoints(() => a.writer.waitClosed());
    a.writer.write('12345');
    const result = await outcome(timeout(10, () => a.writer.drain()));
    assert.equal(result, 'TimeoutError');
    assert.equal(a.writer.statistics().tasksWaiting, 0);
    assert.equal(text(await b.reader.read(100)), '12345');
    assert.equal(getRunningLoop().time(), 10);
  }));

test('bad arguments are refused at once, naming the argument', () =>
  vrun(async () => {
    assert.throws(() => memoryStreamPair({ limit: -1 }), /memoryStreamPair\(\): `options\.limit`/);
    assert.throws(() => lockstepStreamPair(7 as never), /`options` must be an options object/);
    const [a] = memoryStreamPair();
    assert.throws(() => {
      a.writer.write(42 as never);
    }, /StreamWriter\.write\(\): `data` must be/);
    await assert.rejects(
      a.writer.drain({ signal: {} as never }),
      /`signal` must be an AbortSignal/,
    );
    assert.throws(() => {
      a.writer.getExtraInfo(1 as never);
    }, /`name` must be a string/);
  }));
