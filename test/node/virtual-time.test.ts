// Real sockets under a VirtualClock: virtual time holds while bytes are in
// flight, and moves again once corio's sockets have been quiet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allTasks, getRunningLoop, sleep, taskGroup, timeout } from 'corio';
import { openConnection, startServer } from 'corio/node';
import { vrun } from '../_helpers.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

test('a timeout around a loopback round trip does not fire while the bytes travel', () =>
  vrun(async () => {
    await using server = await startServer(
      async (reader, writer) => {
        for await (const line of reader) writer.write(line);
      },
      { host: '127.0.0.1', port: 0 },
    );
    await using conn = await openConnection({
      host: '127.0.0.1',
      port: server.addresses()[0].port,
    });
    for (let i = 0; i < 50; i++) {
      conn.writer.write(`${i}\n`);
      const line = await timeout(10, () => conn.reader.readline());
      assert.equal(text(line), `${i}\n`);
    }
    assert.equal(getRunningLoop().time(), 0);
  }));

test('a read from a silent peer does not hold virtual time forever', () =>
  vrun(async () => {
    await using server = await startServer(
      async (reader) => {
        await reader.read(); // the client never writes
      },
      { host: '127.0.0.1', port: 0 },
    );
    await using conn = await openConnection({
      host: '127.0.0.1',
      port: server.addresses()[0].port,
    });
    const started = performance.now();
    await taskGroup(async (tg) => {
      tg.spawn(() => conn.reader.readline()); // parked on real I/O that never comes
      await sleep(5000);
      tg.cancel();
    });
    assert.equal(getRunningLoop().time(), 5000);
    assert.ok(performance.now() - started < 2000);
    // The helper that held time is gone once nothing is in flight.
    assert.deepEqual(
      [...allTasks()].map((t) => t.name).filter((name) => name.startsWith('corio/node')),
      [],
    );
  }));
