// fetch() under the current scope, against a local HTTP server on loopback.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { CancelledError, TimeoutError, createTask, run, sleep, taskGroup, timeout } from 'corio';
import { currentCancelNode } from 'corio/lowlevel';
import { fetch } from 'corio/node';
import { assertCheckpoints } from 'corio/testing';
import { outcome } from '../_helpers.js';

// Requests still open on the server: a request is closed when its socket is.
let open = 0;
let base = '';
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  open++;
  res.on('close', () => {
    open--;
  });
  if (req.url === '/hello') res.end('hello');
  else if (req.url === '/endless') {
    res.writeHead(200);
    const more = (): void => {
      while (res.write(Buffer.alloc(16_384, 'z')));
    };
    res.on('drain', more);
    more();
  }
  // '/hang' never answers
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.close();
  server.closeAllConnections();
});

async function settled(): Promise<number> {
  for (let i = 0; i < 100 && open > 0; i++) await new Promise((r) => setTimeout(r, 10));
  return open;
}

test('fetch returns the platform Response, disposable', () =>
  run(async () => {
    await using res = await fetch(`${base}/hello`);
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.url, `${base}/hello`);
    assert.equal(await res.text(), 'hello');
    assert.equal(typeof res[Symbol.asyncDispose], 'function');
  }));

test('a cancelled fetch aborts its request before CancelledError is thrown; none is left open', () =>
  run(async () => {
    await taskGroup(async (tg) => {
      for (let i = 0; i < 5; i++) tg.spawn(() => fetch(`${base}/hang`));
      await sleep(100);
      assert.equal(open, 5);
      tg.cancel();
    });
    assert.equal(await settled(), 0);
  }));

test('timeout() around fetch: TimeoutError, and the request is aborted', () =>
  run(async () => {
    assert.equal(await outcome(timeout(100, () => fetch(`${base}/hang`))), 'TimeoutError');
    assert.equal(await settled(), 0);
  }));

test('disposing of a response with an unread body cancels it', () =>
  run(async () => {
    {
      await using res = await fetch(`${base}/endless`);
      const reader = res.body?.getReader();
      assert.equal((await reader?.read())?.done, false);
    }
    assert.equal(await settled(), 0);
    {
      await using _res = await fetch(`${base}/endless`);
    }
    assert.equal(await settled(), 0);
  }));

test('cancelling the task while it reads the body aborts the body', () =>
  run(async () => {
    const reading = createTask(async () => {
      const res = await fetch(`${base}/endless`);
      await res.arrayBuffer();
    });
    await sleep(50);
    reading.cancel();
    assert.equal(await outcome(reading), 'CancelledError');
    assert.equal(await settled(), 0);
  }));

test('many requests in one long-lived scope leave no listener on its signal (nodejs/node#52635)', () =>
  run(async () => {
    const signal = currentCancelNode()?.signal as AbortSignal;
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${base}/hello`);
      await res.text();
    }
    for (let i = 0; i < 50; i++) {
      await using _res = await fetch(`${base}/hello`); // never read: disposed
    }
    const body = await fetch(`${base}/hello`);
    for await (const _chunk of body.body as ReadableStream<Uint8Array>); // read as a stream
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  }));

test('init.signal aborts the request too; fetch is a cancellation point', () =>
  run(async () => {
    const controller = new AbortController();
    const request = fetch(`${base}/hang`, { signal: controller.signal });
    await sleep(50);
    controller.abort('user gave up');
    const error = await request.catch((e: unknown) => e);
    assert.ok(error instanceof CancelledError);
    assert.equal(error.source, 'signal');
    assert.equal(error.cause, 'user gave up');
    assert.equal(await settled(), 0);
    await assertCheckpoints(() => fetch(`${base}/hello`));
    assert.equal(await settled(), 0);
  }));

test('a network error is the platform TypeError; bad input is refused at once', () =>
  run(async () => {
    await assert.rejects(fetch('http://127.0.0.1:1/'), TypeError);
    await assert.rejects(
      fetch(42 as never),
      /fetch\(\): `input` must be a string, a URL or a Request/,
    );
    await assert.rejects(
      fetch(base, 'x' as never),
      /fetch\(\): `init` must be a RequestInit object, got "x"/,
    );
    assert.ok(
      !(await outcome(timeout(1000, () => fetch(`${base}/hello`)))).includes(TimeoutError.name),
    );
  }));

test("a Request's own signal aborts the request too", () =>
  run(async () => {
    const controller = new AbortController();
    const request = fetch(new Request(`${base}/hang`, { signal: controller.signal }));
    await sleep(50);
    controller.abort('no longer needed');
    assert.equal(await outcome(request), 'CancelledError');
    assert.equal(await settled(), 0);
  }));
