// Real sockets on loopback (127.0.0.1, ::1) and Unix sockets in a temp dir, with
// hostile and faulty peers: corio/node's streams as they meet the network.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  CancelScope,
  Event,
  TimeoutError,
  getRunningLoop,
  moveOnAfter,
  run,
  sleep,
  taskGroup,
  timeout,
} from 'corio';
import {
  type Connection,
  LimitOverrunError,
  type StreamReader,
  type StreamWriter,
  openConnection,
  startServer,
} from 'corio/node';
import { outcome } from '../_helpers.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();
const dir = mkdtempSync(join(tmpdir(), 'corio-sockets-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const echo = async (reader: StreamReader, writer: StreamWriter): Promise<void> => {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain();
  }
};

async function roundTrip(conn: Connection, line: string): Promise<string> {
  const [reader, writer] = conn;
  await writer.writeAll(`${line}\n`);
  return text(await reader.readline()).trimEnd();
}

test('TCP over IPv4 and IPv6 loopback, and a name resolved by happy eyeballs', () =>
  run(async () => {
    for (const host of ['127.0.0.1', '::1']) {
      await using server = await startServer(echo, { host, port: 0 });
      const [address] = server.addresses();
      assert.equal(address.family, host === '::1' ? 'IPv6' : 'IPv4');
      await using conn = await openConnection({ host, port: address.port });
      assert.equal(await roundTrip(conn, `hello over ${host}`), `hello over ${host}`);
      const peer = conn.writer.getExtraInfo('peername');
      assert.deepEqual(peer, { address: host, family: address.family, port: address.port });
      assert.equal(typeof conn.writer.getExtraInfo('socket')?.setNoDelay, 'function');
      assert.match(String(conn.writer), new RegExp(`^StreamWriter<tcp`));
    }
    // 'localhost' may resolve to ::1 first; the IPv4-only server is found anyway.
    await using server = await startServer(echo, { host: '127.0.0.1', port: 0 });
    const [{ port }] = server.addresses();
    await using conn = await openConnection({ host: 'localhost', port });
    assert.equal(await roundTrip(conn, 'by name'), 'by name');
    await using plain = await openConnection({ port }, { autoSelectFamily: false, noDelay: false });
    assert.equal(await roundTrip(plain, 'no eyeballs'), 'no eyeballs');
  }));

test('Unix sockets in a temp dir', () =>
  run(async () => {
    const path = join(dir, 'echo.sock');
    await using server = await startServer(echo, { path });
    assert.deepEqual(server.addresses(), [{ address: path, family: 'unix', port: 0 }]);
    await using conn = await openConnection({ path });
    assert.equal(await roundTrip(conn, 'local'), 'local');
    assert.equal(conn.writer.getExtraInfo('peername'), path);
  }));

// A self-signed certificate for localhost, made by openssl when the machine has it.
function certificate(): { key: Buffer; cert: Buffer } | null {
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    return null;
  }
}

test('TLS: a server with a certificate, a client that checks it', async (t) => {
  const pem = certificate();
  if (pem === null) {
    t.skip('openssl is not available to make a certificate');
    return;
  }
  await run(async () => {
    await using server = await startServer(echo, { host: '127.0.0.1', port: 0, tls: pem });
    const [{ port }] = server.addresses();
    await using conn = await openConnection({ host: 'localhost', port }, { tls: { ca: pem.cert } });
    assert.equal(await roundTrip(conn, 'secret'), 'secret');
    assert.equal(conn.writer.getExtraInfo('peercert')?.subject.CN, 'localhost');
    assert.equal(typeof conn.writer.getExtraInfo('cipher')?.name, 'string');
    assert.equal(conn.writer.canWriteEof(), false);
    assert.throws(() => {
      conn.writer.writeEof();
    }, /a tls stream cannot be half-closed/);
    // A client that does not trust the certificate fails to connect.
    const error = await openConnection({ host: 'localhost', port }, { tls: true }).catch(
      (e: unknown) => e,
    );
    assert.match(
      String((error as { code?: string }).code),
      /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/,
    );
  });
});

test('a refused connection is the socket error; a cancelled connect leaves nothing open', () =>
  run(async () => {
    // A port nobody listens on: take one, then free it.
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    await assert.rejects(openConnection({ host: '127.0.0.1', port }), { code: 'ECONNREFUSED' });

    let accepted = 0;
    await using server = await startServer(
      () => {
        accepted++;
      },
      { host: '127.0.0.1', port: 0 },
    );
    const scope = new CancelScope();
    const result = await scope.run(() => {
      const connecting = openConnection({ host: '127.0.0.1', port: server.addresses()[0].port });
      scope.cancel();
      return connecting;
    });
    assert.equal(result, undefined);
    assert.equal(scope.cancelledCaught, true);
    await sleep(50);
    assert.equal(server.statistics().connections, 0);
    assert.ok(accepted <= 1);
  }));

test('half-close both ways: each side reads EOF and can still write', () =>
  run(async () => {
    const log: string[] = [];
    await using server = await startServer(
      async (reader, writer) => {
        // The client half-closes first: read to EOF, answer, then half-close.
        const request = text(await reader.read());
        log.push(`server read ${JSON.stringify(request)} eof=${reader.atEof()}`);
        writer.write(`got ${request.length} bytes`);
        writer.writeEof();
        // The client keeps writing? No: it half-closed. Wait for it to close.
        await writer.waitClosed();
      },
      { host: '127.0.0.1', port: 0 },
    );
    await using conn = await openConnection({
      host: '127.0.0.1',
      port: server.addresses()[0].port,
    });
    const [reader, writer] = conn;
    writer.write('a request');
    writer.writeEof();
    log.push(`client read ${JSON.stringify(text(await reader.read()))} eof=${reader.atEof()}`);
    writer.close();
    await writer.waitClosed();
    assert.deepEqual(log, [
      'server read "a request" eof=true',
      'client read "got 9 bytes" eof=true',
    ]);

    // The other way: the server half-closes first, and the client still sends.
    const log2: string[] = [];
    const handled = new Event();
    await using server2 = await startServer(
      async (r, w) => {
        w.write('banner\n');
        w.writeEof();
        log2.push(`server got ${text(await r.readline()).trim()} after its EOF`);
        handled.set();
      },
      { host: '127.0.0.1', port: 0 },
    );
    await using conn2 = await openConnection({
      host: '127.0.0.1',
      port: server2.addresses()[0].port,
    });
    assert.equal(text(await conn2.reader.read()), 'banner\n');
    assert.equal(conn2.reader.atEof(), true);
    await conn2.writer.writeAll('thanks\n');
    await handled.wait();
    assert.deepEqual(log2, ['server got thanks after its EOF']);
  }));

test('a peer that never sends a newline is cut off at the limit with bounded memory', () =>
  run(async () => {
    const limit = 4096;
    let largest = 0;
    let overran = false;
    await using server = await startServer(
      async (reader) => {
        try {
          for (;;) {
            largest = Math.max(largest, reader.statistics().buffered);
            await reader.readline();
          }
        } catch (error) {
          if (!(error instanceof LimitOverrunError)) throw error;
          overran = true; // the handler returns: the connection is closed
        }
      },
      { host: '127.0.0.1', port: 0, limit },
    );
    // A raw client that streams 4 MB of 'x' and never a newline.
    const sent = await new Promise<number>((resolve) => {
      const socket = connect(server.addresses()[0].port, '127.0.0.1');
      let total = 0;
      const chunk = Buffer.alloc(65_536, 'x');
      const pump = (): void => {
        while (total < 4 << 20) {
          total += chunk.length;
          if (!socket.write(chunk)) return;
        }
        socket.end();
      };
      socket.on('connect', pump);
      socket.on('drain', pump);
      socket.on('error', () => {
        resolve(total);
      });
      socket.on('close', () => {
        resolve(total);
      });
    });
    assert.equal(overran, true);
    assert.ok(largest <= 2 * limit + 65_536, `the reader held ${largest} bytes`);
    assert.ok(sent < 4 << 20 || overran, `${sent} bytes sent`);
  }));

test('a slow-loris peer is ended by a timeout() around the read', () =>
  run(async () => {
    const started = getRunningLoop().time();
    let ended = '';
    await using server = await startServer(
      async (reader) => {
        try {
          await timeout(200, () => reader.readline());
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          ended = `timed out after ${reader.statistics().buffered} bytes`;
        }
      },
      { host: '127.0.0.1', port: 0 },
    );
    const socket = connect(server.addresses()[0].port, '127.0.0.1');
    const drip = setInterval(() => socket.write('x'), 20);
    await new Promise((resolve) => socket.once('close', resolve).once('end', resolve));
    clearInterval(drip);
    socket.destroy();
    const elapsed = getRunningLoop().time() - started;
    assert.match(ended, /^timed out after \d+ bytes$/);
    assert.ok(elapsed >= 190 && elapsed < 2000, `${elapsed} ms`);
  }));

test('128 MiB echoed to a client that does not read: every buffer stays near 2 × limit', () =>
  run(async () => {
    const limit = 16_384;
    let serverReader: StreamReader | null = null;
    let serverWriter: StreamWriter | null = null;
    await using server = await startServer(
      async (reader, writer) => {
        serverReader = reader;
        serverWriter = writer;
        for await (const chunk of reader.chunks()) {
          writer.write(chunk);
          await writer.drain();
        }
      },
      { host: '127.0.0.1', port: 0, limit },
    );
    await using conn = await openConnection(
      { host: '127.0.0.1', port: server.addresses()[0].port },
      { limit },
    );
    const rss = process.memoryUsage().rss;
    let sent = 0;
    const piece = Buffer.alloc(65_536, 'e');
    // More than the kernel can hold between the two ends (Linux autotunes each
    // receive buffer up to net.ipv4.tcp_rmem's 32 MiB and each send buffer up
    // to tcp_wmem's 4 MiB: 72 MiB at most). 10 MiB was once absorbed whole, so
    // that the sender never blocked.
    const cap = 128 << 20;
    await moveOnAfter(1500, async () => {
      while (sent < cap) {
        // Counted first: a writeAll cut short by the deadline has queued its bytes.
        sent += piece.length;
        await conn.writer.writeAll(piece);
      }
    });
    // Everyone is blocked now: the client's drain, the server's drain, and the
    // client's reader, which does not read, paused.
    const r = (serverReader as StreamReader | null)?.statistics();
    const w = (serverWriter as StreamWriter | null)?.statistics();
    const c = conn.reader.statistics();
    const peak = Math.max(r?.buffered ?? 0, c.buffered);
    assert.ok(sent < cap, `all ${sent} bytes were sent to a client that reads nothing`);
    assert.equal(c.paused, true);
    assert.ok(peak <= 2 * limit + 65_536, `a reader held ${peak} bytes`);
    assert.ok((w?.bufferedWrite ?? 0) <= 2 * 65_536, `the server queued ${w?.bufferedWrite} bytes`);
    const grown = process.memoryUsage().rss - rss;
    assert.ok(grown < 32 << 20, `rss grew by ${grown >> 20} MiB`);
    // Now the client reads: everything sent comes back.
    let back = 0;
    await timeout(10_000, async () => {
      for await (const chunk of conn.reader.chunks()) {
        back += chunk.length;
        if (back >= sent) return;
      }
    });
    assert.equal(back, sent);
  }));

test('an RST while the writer drains is an error, not a hang', () =>
  run(async () => {
    let victim: Socket | null = null;
    const raw = createServer((socket) => {
      victim = socket;
      socket.pause(); // reads nothing: the client's buffer fills
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => raw.once('listening', resolve));
    try {
      const { port } = raw.address() as { port: number };
      await using conn = await openConnection({ host: '127.0.0.1', port });
      const piece = Buffer.alloc(65_536, 'r');
      const error = await timeout(5000, async () => {
        try {
          for (;;) {
            conn.writer.write(piece);
            if (conn.writer.statistics().needsDrain) {
              // Blocked in drain; the peer resets the connection meanwhile.
              setTimeout(() => victim?.resetAndDestroy(), 50);
              await conn.writer.drain();
            }
          }
        } catch (e) {
          return e;
        }
      });
      assert.match(String((error as { code?: string }).code), /ECONNRESET|EPIPE/);
      await assert.rejects(conn.writer.drain(), { code: (error as { code: string }).code });
      assert.throws(
        () => {
          conn.writer.write('more');
        },
        { code: (error as { code: string }).code },
      );
    } finally {
      raw.close();
    }
  }));

test('cancelling reads at random points on a real socket loses no byte', () =>
  run(async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'.'.repeat(i % 50)}\n`);
    await using server = await startServer(
      async (_reader, writer) => {
        for (const [i, line] of lines.entries()) {
          writer.write(line);
          if (i % 7 === 0) {
            await writer.drain();
            await sleep(Math.random() < 0.1 ? 1 : 0);
          }
        }
      },
      { host: '127.0.0.1', port: 0, limit: 256 },
    );
    await using conn = await openConnection(
      { host: '127.0.0.1', port: server.addresses()[0].port },
      { limit: 256 },
    );
    const got: string[] = [];
    let cancelled = 0;
    while (got.length < lines.length) {
      const i = got.length;
      const read =
        i % 3 === 0
          ? () => conn.reader.readline()
          : i % 3 === 1
            ? () => conn.reader.readExactly(Buffer.byteLength(lines[i] as string))
            : () => conn.reader.readUntil('\n');
      const value = await moveOnAfter(Math.random() < 0.5 ? 0.1 : 2, read);
      if (value === undefined) cancelled++;
      else got.push(text(value));
    }
    assert.deepEqual(got, lines);
    assert.ok(cancelled > 0, 'some reads were cancelled');
  }));

test('two tasks reading one socket: the second gets BusyResourceError', () =>
  run(async () => {
    await using server = await startServer(
      async (reader) => {
        await reader.read();
      },
      { host: '127.0.0.1', port: 0 },
    );
    await using conn = await openConnection({
      host: '127.0.0.1',
      port: server.addresses()[0].port,
    });
    await taskGroup(async (tg) => {
      tg.spawn(() => conn.reader.readline());
      await sleep(10);
      assert.equal(await outcome(conn.reader.readline()), 'BusyResourceError');
      tg.cancel();
    });
  }));
