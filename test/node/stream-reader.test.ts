// StreamReader on its own: asyncio's read semantics (CPython's test_streams.py is
// the model), the limit, one reader at a time, backpressure marks, and that a
// cancelled read loses nothing, wherever it is cancelled.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  CancelScope,
  CancelledError,
  InvalidStateError,
  createTask,
  sleep,
  taskGroup,
} from 'corio';
import {
  BusyResourceError,
  IncompleteReadError,
  LimitOverrunError,
  StreamReader,
  memoryStreamPair,
} from 'corio/node';
import { assertCheckpoints, waitAllTasksBlocked } from 'corio/testing';
import { Trace, outcome, vrun } from '../_helpers.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

function fed(data: string, eof = true, limit?: number): StreamReader {
  const reader = new StreamReader(limit === undefined ? undefined : { limit });
  if (data !== '') reader.feedData(data);
  if (eof) reader.feedEof();
  return reader;
}

test('read(n) returns what is buffered, up to n; read() reads to EOF; read(0) is empty', () =>
  vrun(async () => {
    const reader = fed('abcdefgh');
    assert.equal(text(await reader.read(3)), 'abc');
    assert.equal(text(await reader.read(100)), 'defgh');
    assert.equal((await reader.read(5)).length, 0);
    assert.equal((await reader.read()).length, 0);
    const all = fed('line one\nline two\n');
    assert.equal(text(await all.read(0)), '');
    assert.equal(text(await all.read()), 'line one\nline two\n');
    assert.equal(all.atEof(), true);
  }));

test('a read waits for bytes, and read() waits for EOF', () =>
  vrun(async () => {
    const reader = new StreamReader();
    const trace = new Trace();
    await taskGroup((tg) => {
      tg.spawn(async () => {
        trace.log(`read ${text(await reader.read(10))}`);
        trace.log(`rest ${text(await reader.read())}`);
      });
      tg.spawn(async () => {
        await sleep(10);
        reader.feedData('ab');
        await sleep(10);
        reader.feedData('cd');
        await sleep(10);
        reader.feedData('ef');
        reader.feedEof();
      });
    });
    assert.deepEqual(trace.lines, ['10 read ab', '30 rest cdef']);
  }));

test('readline: lines with their newline; the last unterminated line at EOF, then empty', () =>
  vrun(async () => {
    const reader = fed('one\ntwo\nthree');
    const lines: string[] = [];
    for (;;) {
      const line = await reader.readline();
      if (line.length === 0) break;
      lines.push(text(line));
    }
    assert.deepEqual(lines, ['one\n', 'two\n', 'three']);
    assert.equal(reader.atEof(), true);
  }));

test('readUntil: a multi-byte separator, also split across chunks; IncompleteReadError at EOF', () =>
  vrun(async () => {
    const reader = new StreamReader();
    const trace = new Trace();
    await taskGroup((tg) => {
      tg.spawn(async () => {
        trace.log(text(await reader.readUntil('\r\n\r\n')));
        try {
          await reader.readUntil('\r\n\r\n');
        } catch (error) {
          assert.ok(error instanceof IncompleteReadError);
          trace.log(`incomplete ${JSON.stringify(text(error.partial))} ${String(error.expected)}`);
        }
        assert.equal(reader.atEof(), true);
      });
      tg.spawn(async () => {
        for (const part of ['GET / HTTP/1.1\r', '\n\r', '\n', 'body\r\n']) {
          await sleep(1);
          reader.feedData(part);
        }
        reader.feedEof();
      });
    });
    assert.deepEqual(trace.lines, ['3 GET / HTTP/1.1\r\n\r\n', '4 incomplete "body\\r\\n" null']);
  }));

test('readExactly: waits for n bytes, beyond the limit too; IncompleteReadError with partial', () =>
  vrun(async () => {
    const reader = new StreamReader({ limit: 4 });
    await taskGroup((tg) => {
      tg.spawn(async () => {
        assert.equal(text(await reader.readExactly(10)), '0123456789');
        const error = await reader.readExactly(5).catch((e: unknown) => e);
        assert.ok(error instanceof IncompleteReadError);
        assert.equal(text(error.partial), 'ab');
        assert.equal(error.expected, 5);
        assert.equal(error.message, '2 bytes read on a total of 5 expected bytes');
        assert.equal((await reader.readExactly(0)).length, 0);
      });
      tg.spawn(async () => {
        for (const part of ['012', '3456', '789ab']) {
          await sleep(1);
          reader.feedData(part);
        }
        reader.feedEof();
      });
    });
  }));

test('readUntil over the limit: LimitOverrunError, and the bytes stay (asyncio)', () =>
  vrun(async () => {
    const found = fed('abcdefghij;rest', true, 5);
    const error = await found.readUntil(';').catch((e: unknown) => e);
    assert.ok(error instanceof LimitOverrunError);
    assert.equal(error.consumed, 10);
    assert.equal(text(await found.read()), 'abcdefghij;rest');

    const missing = fed('abcdefghij', false, 5);
    const error2 = await missing.readUntil(';').catch((e: unknown) => e);
    assert.ok(error2 instanceof LimitOverrunError);
    assert.equal(error2.consumed, 10);
    assert.equal(missing.statistics().buffered, 10);
  }));

test('readline over the limit: LimitOverrunError, and the line is dropped (asyncio)', () =>
  vrun(async () => {
    // With its newline in the buffer: dropped through the newline.
    const reader = fed('way too long\nok\n', true, 4);
    assert.equal(await outcome(reader.readline()), 'LimitOverrunError');
    assert.equal(text(await reader.readline()), 'ok\n');
    // Without one yet: the whole buffer is dropped, and reading goes on.
    const waiting = new StreamReader({ limit: 4 });
    await taskGroup((tg) => {
      tg.spawn(async () => {
        assert.equal(await outcome(waiting.readline()), 'LimitOverrunError');
        assert.equal(waiting.statistics().buffered, 0);
        assert.equal(text(await waiting.readline()), 'line\n');
      });
      tg.spawn(async () => {
        await sleep(1);
        waiting.feedData('abc');
        await sleep(1);
        waiting.feedData('defgh');
        await sleep(1);
        waiting.feedData('line\n');
      });
    });
  }));

test('a peer that never sends a newline is cut off at the limit: the buffer stays bounded', () =>
  vrun(async () => {
    const [client, server] = memoryStreamPair({ limit: 1024 });
    let largest = 0;
    await taskGroup((tg) => {
      tg.spawn(async () => {
        for (let i = 0; i < 1000; i++) {
          client.writer.write('x'.repeat(100));
          await client.writer.drain();
        }
        client.writer.close();
      });
      tg.spawn(async () => {
        let overruns = 0;
        for (;;) {
          try {
            largest = Math.max(largest, server.reader.statistics().buffered);
            const line = await server.reader.readline();
            if (line.length === 0) break;
          } catch (error) {
            if (!(error instanceof LimitOverrunError)) throw error;
            overruns++;
            largest = Math.max(largest, server.reader.statistics().buffered);
          }
        }
        assert.ok(overruns >= 90, `${overruns} overruns`);
      });
    });
    assert.ok(largest <= 1024 + 100, `buffer reached ${largest} bytes`);
  }));

test('two tasks reading one reader: BusyResourceError for the second', () =>
  vrun(async () => {
    const reader = new StreamReader();
    const first = createTask(() => reader.readline());
    await waitAllTasksBlocked();
    for (const read of [
      () => reader.read(1),
      () => reader.readline(),
      () => reader.readUntil('x'),
      () => reader.readExactly(1),
    ]) {
      const error = await read().catch((e: unknown) => e);
      assert.ok(error instanceof BusyResourceError, String(error));
      assert.match(error.message, /another task is already waiting/);
    }
    reader.feedData('ok\n');
    assert.equal(text(await first), 'ok\n');
    // Once the first read is done, or cancelled, the reader is free again.
    const second = createTask(() => reader.readline());
    await waitAllTasksBlocked();
    second.cancel();
    assert.equal(await outcome(second), 'CancelledError');
    reader.feedData('again\n');
    assert.equal(text(await reader.readline()), 'again\n');
  }));

test('a failed reader throws its error, even with bytes buffered (asyncio); so does a parked read', () =>
  vrun(async () => {
    const reader = new StreamReader();
    const parked = createTask(() => reader.readline());
    await waitAllTasksBlocked();
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    reader.feedData('partial');
    reader.setException(reset);
    await assert.rejects(Promise.resolve(parked), reset);
    await assert.rejects(reader.read(1), reset);
    assert.equal(reader.exception(), reset);
  }));

test('for await yields lines with their ends; lines() decodes and strips; leaving keeps the rest', () =>
  vrun(async () => {
    const reader = fed('a\r\nb\nc\nd');
    const seen: string[] = [];
    for await (const line of reader) {
      seen.push(text(line));
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ['a\r\n', 'b\n']);
    const rest: string[] = [];
    for await (const line of reader.lines({ keepEnds: true })) rest.push(line);
    assert.deepEqual(rest, ['c\n', 'd']);
    const plain: string[] = [];
    for await (const line of fed('héllo\r\nwörld\n\nend').lines()) plain.push(line);
    assert.deepEqual(plain, ['héllo', 'wörld', '', 'end']);
  }));

test('chunks() yields up to size bytes at a time until EOF', () =>
  vrun(async () => {
    const reader = fed('0123456789');
    const chunks: string[] = [];
    for await (const chunk of reader.chunks({ size: 4 })) chunks.push(text(chunk));
    assert.deepEqual(chunks, ['0123', '4567', '89']);
  }));

test('every read is a cancellation point, even when it need not wait', () =>
  vrun(async () => {
    const reader = fed('lots\nof\nbytes\n');
    await assertCheckpoints(() => reader.read(1));
    await assertCheckpoints(() => reader.read(0));
    await assertCheckpoints(() => reader.readline());
    await assertCheckpoints(() => reader.readUntil('\n'));
    await assertCheckpoints(() => reader.readExactly(2));
    await assertCheckpoints(() => reader.lines().next());
    assert.equal(reader.statistics().buffered, 14);
  }));

test('a read aborted by its signal throws CancelledError and keeps the bytes', () =>
  vrun(async () => {
    const reader = new StreamReader();
    const controller = new AbortController();
    const read = reader.readExactly(4, { signal: controller.signal });
    reader.feedData('ab');
    controller.abort('stop');
    const error = await read.catch((e: unknown) => e);
    assert.ok(error instanceof CancelledError);
    assert.equal(error.source, 'signal');
    reader.feedData('cd');
    assert.equal(text(await reader.readExactly(4)), 'abcd');
  }));

// The protocol the cancellation tests read: one of each read kind, in turn.
const MESSAGES = ['hello\n', 'abc', 'key=value;', 'tail!', 'second line\n', 'xyz', 'k2=v2;'];
const READS = [
  (r: StreamReader) => r.readline(),
  (r: StreamReader) => r.readExactly(3),
  (r: StreamReader) => r.readUntil(';'),
  (r: StreamReader) => r.readExactly(5),
];

async function readProtocol(
  reader: StreamReader,
  cancelAt: (step: number) => boolean,
): Promise<string[]> {
  const got: string[] = [];
  let step = 0;
  for (let i = 0; got.length < MESSAGES.length; ) {
    const read = READS[i % READS.length] as (r: StreamReader) => Promise<Buffer>;
    const scope = new CancelScope();
    const value = await scope.run(async () => {
      const pending = read(reader);
      if (cancelAt(step++)) {
        // Cancelled while parked, or at the moment it was woken: either way the
        // retry below must find every byte.
        await sleep(0.5);
        scope.cancel();
      }
      return pending;
    });
    if (value === undefined) continue; // cancelled: the same read again
    got.push(text(value));
    i++;
  }
  return got;
}

test('cancelling at every read point, one at a time, loses no byte (in memory)', async () => {
  const data = MESSAGES.join('');
  for (let cancelAt = 0; cancelAt < 40; cancelAt++) {
    const got = await vrun(() =>
      taskGroup(async (tg) => {
        const reader = new StreamReader();
        tg.spawn(async () => {
          // Two bytes a millisecond: most reads wait, and wake mid-message.
          for (let i = 0; i < data.length; i += 2) {
            await sleep(1);
            reader.feedData(data.slice(i, i + 2));
          }
        });
        return readProtocol(reader, (step) => step === cancelAt);
      }),
    );
    assert.deepEqual(got, MESSAGES, `cancelled at read ${cancelAt}`);
  }
});

test('cancelling every read at the moment its bytes arrive loses no byte', () =>
  vrun(async () => {
    const reader = new StreamReader();
    const data = MESSAGES.join('');
    let scope: CancelScope | null = null;
    let cancelled = 0;
    const got: string[] = [];
    await taskGroup((tg) => {
      tg.spawn(async () => {
        for (let i = 0; i < data.length; i++) {
          await sleep(1);
          reader.feedData(data[i] as string);
          // Same turn: the read was just woken and has not resumed yet.
          if (i % 3 === 0 && scope !== null) {
            scope.cancel();
            cancelled++;
          }
        }
      });
      tg.spawn(async () => {
        for (let i = 0; got.length < MESSAGES.length; ) {
          const read = READS[i % READS.length] as (r: StreamReader) => Promise<Buffer>;
          const current = new CancelScope();
          scope = current;
          const value = await current.run(() => read(reader));
          scope = null;
          if (value === undefined) continue;
          got.push(text(value));
          i++;
        }
      });
    });
    assert.deepEqual(got, MESSAGES);
    assert.ok(cancelled > 5, `${cancelled} reads cancelled`);
  }));

/** A transport's receiving side that records what the reader asks of it. */
class Flow {
  readonly io = null;
  paused = false;
  readonly log: string[] = [];
  pauseReading(): void {
    this.paused = true;
    this.log.push('pause');
  }
  resumeReading(): void {
    this.paused = false;
    this.log.push('resume');
  }
}

test('the transport is paused past 2 × limit and resumed at limit, or when a read needs more', () =>
  vrun(async () => {
    const reader = new StreamReader({ limit: 10 });
    const flow = new Flow();
    reader._attach(flow);
    reader.feedData('x'.repeat(15));
    assert.equal(flow.paused, false);
    reader.feedData('x'.repeat(6));
    assert.deepEqual(flow.log, ['pause']);
    assert.equal(reader.statistics().paused, true);
    await reader.read(5); // 16 left: still above the limit
    assert.deepEqual(flow.log, ['pause']);
    await reader.read(6); // 10 left: resume
    assert.deepEqual(flow.log, ['pause', 'resume']);
    reader.feedData('y'.repeat(11));
    assert.deepEqual(flow.log, ['pause', 'resume', 'pause']);
    // A read that needs more than is buffered resumes the transport at once.
    const big = createTask(() => reader.readExactly(30));
    await waitAllTasksBlocked();
    assert.deepEqual(flow.log, ['pause', 'resume', 'pause', 'resume']);
    reader.feedData('z'.repeat(9));
    assert.equal((await big).length, 30);
    // A chunk that wakes a waiting read still pauses what it leaves past 2 × limit.
    const small = createTask(() => reader.read(5));
    await waitAllTasksBlocked();
    reader.feedData('w'.repeat(30));
    assert.deepEqual(flow.log.slice(6), ['pause']);
    assert.equal((await small).length, 5);
    assert.equal(reader.statistics().paused, true);
  }));

test('bad arguments are refused at once, naming the argument', () =>
  vrun(async () => {
    assert.throws(() => new StreamReader({ limit: 0 }), /`options\.limit` must be an integer >= 1/);
    const reader = new StreamReader();
    await assert.rejects(reader.read(1.5), /StreamReader\.read\(\): `n` must be an integer/);
    await assert.rejects(reader.readExactly(-1), RangeError);
    await assert.rejects(reader.readUntil(''), /`separator` must be at least one byte/);
    await assert.rejects(reader.readUntil(5 as never), TypeError);
    await assert.rejects(
      reader.readline({ signal: 'x' as never }),
      /`signal` must be an AbortSignal/,
    );
    assert.throws(() => {
      reader.feedData(42 as never);
    }, /`data` must be a Uint8Array or a string/);
    reader.feedEof();
    assert.throws(() => {
      reader.feedData('late');
    }, InvalidStateError);
  }));

test('prints as StreamReader<facts>; statistics() is a frozen snapshot', () =>
  vrun(async () => {
    const reader = new StreamReader({ limit: 100 });
    reader.feedData('abc');
    assert.equal(inspect(reader), 'StreamReader<buffered=3 limit=100>');
    const waiting = createTask(() => reader.readExactly(10));
    await waitAllTasksBlocked();
    assert.equal(String(reader), 'StreamReader<readExactly buffered=3 limit=100>');
    assert.deepEqual(reader.statistics(), {
      buffered: 3,
      paused: false,
      eof: false,
      limit: 100,
      tasksWaiting: 1,
    });
    assert.ok(Object.isFrozen(reader.statistics()));
    reader.feedEof();
    assert.equal(await outcome(waiting), 'IncompleteReadError');
    assert.equal(String(reader), 'StreamReader<eof limit=100>');
  }));
