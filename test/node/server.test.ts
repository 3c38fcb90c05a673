// Servers on loopback: handlers as tasks of the server's nursery, reporting,
// closing, and the server's lifetime tied to the scope that started it.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { inspect } from 'node:util';
import { test } from 'node:test';
import {
  CancelScope,
  type ExceptionContext,
  cancelScope,
  createTask,
  currentTask,
  getRunningLoop,
  isCancellation,
  run,
  sleep,
  taskGroup,
} from 'corio';
import { Server, type ServerAddresses, openConnection, serveTcp, startServer } from 'corio/node';
import { outcome } from '../_helpers.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();
const LOCAL = { host: '127.0.0.1', port: 0 } as const;

test('each connection runs its handler as a task; the connection closes when it returns', () =>
  run(async () => {
    const names: string[] = [];
    await using server = await startServer(async (reader, writer) => {
      await reader.readline();
      names.push(currentTask()?.name ?? 'no task');
      writer.write('bye\n');
    }, LOCAL);
    const [{ port }] = server.addresses();
    for (let i = 0; i < 3; i++) {
      await using conn = await openConnection({ host: '127.0.0.1', port });
      await conn.writer.writeAll('hi\n');
      assert.equal(text(await conn.reader.read()), 'bye\n'); // read to EOF: closed
      assert.equal(conn.reader.atEof(), true);
    }
    assert.equal(names.length, 3);
    assert.ok(
      names.every((name) => /^handler 127\.0\.0\.1:\d+$/.test(name)),
      String(names),
    );
  }));

test('a failing handler is reported through the loop exception handler; the server keeps serving', () =>
  run(async () => {
    const reports: ExceptionContext[] = [];
    getRunningLoop().setExceptionHandler((context) => reports.push(context));
    await using server = await startServer(async (reader, writer) => {
      const line = text(await reader.readline()).trim();
      if (line === 'crash') throw new RangeError('the handler broke');
      writer.write(`ok ${line}\n`);
    }, LOCAL);
    const [{ port }] = server.addresses();
    {
      await using bad = await openConnection({ host: '127.0.0.1', port });
      await bad.writer.writeAll('crash\n');
      assert.equal((await bad.reader.read()).length, 0); // closed after the failure
    }
    await using good = await openConnection({ host: '127.0.0.1', port });
    await good.writer.writeAll('fine\n');
    assert.equal(text(await good.reader.readline()), 'ok fine\n');
    assert.equal(reports.length, 1);
    const [report] = reports as [ExceptionContext];
    assert.ok(report.error instanceof RangeError);
    assert.match(
      report.message,
      /^corio\/node: handler 127\.0\.0\.1:\d+ of Server<tcp 127\.0\.0\.1:\d+ serving.*> failed$/,
    );
    assert.equal(report.task?.name.startsWith('handler 127.0.0.1:'), true);
  }));

test("cancelling the server's scope closes the listener, cancels the handlers and waits for them", () =>
  run(async () => {
    const log: string[] = [];
    let port = 0;
    const scope = new CancelScope();
    await scope.run(async () => {
      const server = await startServer(async (reader) => {
        try {
          await reader.readline(); // a client that never sends
        } catch (error) {
          log.push(`handler ${isCancellation(error) ? 'cancelled' : String(error)}`);
          await cancelScope(() => sleep(20), { shield: true }); // cleanup that still waits
          log.push('handler cleaned up');
          throw error;
        }
      }, LOCAL);
      port = server.addresses()[0].port;
      const conns = await Promise.all(
        [1, 2].map(() => openConnection({ host: '127.0.0.1', port })),
      );
      await sleep(20);
      assert.equal(server.statistics().handlers, 2);
      scope.cancel();
      try {
        await server.serveForever();
      } finally {
        log.push(
          `serveForever ended, serving=${server.isServing()}, handlers=${server.statistics().handlers}`,
        );
        for (const conn of conns) conn.writer.abort();
      }
    });
    assert.deepEqual(log, [
      'handler cancelled',
      'handler cancelled',
      'handler cleaned up',
      'handler cleaned up',
      'serveForever ended, serving=false, handlers=0',
    ]);
    await assert.rejects(openConnection({ host: '127.0.0.1', port }), { code: 'ECONNREFUSED' });
  }));

test('a server started in a task that ends is closed with it (structured)', () =>
  run(async () => {
    let port = 0;
    const started = createTask(async () => {
      const server = await startServer(() => sleep(60_000), LOCAL);
      port = server.addresses()[0].port;
    });
    await started;
    await sleep(10);
    await assert.rejects(openConnection({ host: '127.0.0.1', port }), { code: 'ECONNREFUSED' });
  }));

test('close() stops accepting; waitClosed() waits for the handlers; closeClients/abortClients end them', () =>
  run(async () => {
    await using server = await startServer(async (reader) => {
      await reader.read(); // until the connection ends
    }, LOCAL);
    const [{ port }] = server.addresses();
    const a = await openConnection({ host: '127.0.0.1', port });
    const b = await openConnection({ host: '127.0.0.1', port });
    await sleep(20);
    server.close();
    server.close(); // idempotent
    assert.equal(server.isServing(), false);
    await assert.rejects(openConnection({ host: '127.0.0.1', port }), { code: 'ECONNREFUSED' });
    const waiting = createTask(() => server.waitClosed());
    await sleep(20);
    assert.equal(waiting.done(), false); // two handlers still reading
    server.closeClients();
    await waiting;
    assert.equal(server.statistics().connections, 0);
    assert.equal((await a.reader.read()).length, 0);
    assert.equal((await b.reader.read()).length, 0);

    await using server2 = await startServer(async (reader) => {
      await reader.read();
    }, LOCAL);
    const c = await openConnection({ host: '127.0.0.1', port: server2.addresses()[0].port });
    await sleep(20);
    server2.abortClients();
    server2.close();
    await server2.waitClosed();
    const error = await c.reader.read().catch((e: unknown) => e);
    assert.ok(
      (error as { code?: string }).code === 'ECONNRESET' || (error as Buffer).length === 0,
      String(error),
    );
  }));

test('serveTcp with tg.start(): returns the addresses once listening; cancelling ends it', () =>
  run(async () => {
    const served: string[] = [];
    await taskGroup(async (tg) => {
      const addresses = await tg.start<ServerAddresses>((status) =>
        serveTcp(
          async (reader, writer) => {
            const line = text(await reader.readline()).trim();
            served.push(line);
            writer.write(`${line.length}\n`);
          },
          LOCAL,
          status,
        ),
      );
      assert.equal(addresses.length, 1);
      assert.equal(addresses[0].address, '127.0.0.1');
      await using conn = await openConnection({ host: '127.0.0.1', port: addresses[0].port });
      await conn.writer.writeAll('seven!!\n');
      assert.equal(text(await conn.reader.readline()), '7\n');
      tg.cancel();
    });
    assert.deepEqual(served, ['seven!!']);
  }));

test('a client that connects and leaves at once does not disturb the server', () =>
  run(async () => {
    await using server = await startServer(async (reader, writer) => {
      writer.write(await reader.readline());
    }, LOCAL);
    const [{ port }] = server.addresses();
    for (let i = 0; i < 20; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('connect', () => socket.resetAndDestroy());
    }
    await sleep(50);
    await using conn = await openConnection({ host: '127.0.0.1', port });
    await conn.writer.writeAll('still here\n');
    assert.equal(text(await conn.reader.readline()), 'still here\n');
  }));

test('listen errors are thrown; Server prints its address and state', () =>
  run(async () => {
    await using server = await startServer(() => undefined, LOCAL);
    const [{ port }] = server.addresses();
    await assert.rejects(
      startServer(() => undefined, { host: '127.0.0.1', port }),
      {
        code: 'EADDRINUSE',
      },
    );
    assert.equal(inspect(server), `Server<tcp 127.0.0.1:${port} serving>`);
    assert.ok(server instanceof Server);
    server.close();
    await server.waitClosed();
    assert.equal(String(server), `Server<tcp 127.0.0.1:${port} closed>`);
    assert.deepEqual(server.statistics(), { connections: 0, handlers: 0, serving: false });
  }));

test('bad arguments are refused at once, naming the argument', () =>
  run(async () => {
    await assert.rejects(
      startServer('x' as never, LOCAL),
      /startServer\(\): `handler` must be a function/,
    );
    await assert.rejects(
      startServer(() => undefined, {}),
      /startServer\(\): `options` must give `port` or `path`/,
    );
    await assert.rejects(
      startServer(() => undefined, { port: 70_000 }),
      RangeError,
    );
    await assert.rejects(
      startServer(() => undefined, { port: 0, limit: 0 }),
      /`options\.limit`/,
    );
    await assert.rejects(
      startServer(() => undefined, { port: 0, path: '/tmp/x' }),
      /either `path` or `host` and `port`/,
    );
    await assert.rejects(
      openConnection({ port: -1 }),
      /openConnection\(\): `address.port` must be an integer from 0 to 65535, got -1/,
    );
    await assert.rejects(openConnection({ path: '' }), /`address.path` must be a non-empty string/);
    await assert.rejects(openConnection(null as never), /`address` must be/);
    await assert.rejects(openConnection({ port: 1 }, { tls: 'yes' as never }), /`options\.tls`/);
    assert.equal(await outcome(serveTcp(() => undefined, LOCAL, {} as never)), 'TypeError');
  }));
