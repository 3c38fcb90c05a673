/**
 * `fetch()`: the platform's `fetch`, run under the current task or scope. Each
 * request gets a short-lived `AbortController` of its own, aborted when the
 * calling code is cancelled (or its `signal` aborts) and unlinked from those as
 * soon as the response body is read, cancelled or disposed: a long-lived scope
 * that makes many requests piles up no abort listeners (nodejs/node#52635). The
 * response is `AsyncDisposable`: `await using res = await fetch(url)` cancels a
 * body nobody read.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { once } from 'node:events';
 * import { run, timeout, TimeoutError } from 'corio';
 * import { fetch } from 'corio/node';
 *
 * const server = createServer((req, res) => {
 *   if (req.url === '/hello') res.end('hello from the server');
 *   // '/never' never answers
 * }).listen(0, '127.0.0.1');
 * await once(server, 'listening');
 * const { port } = server.address() as { port: number };
 *
 * await run(async () => {
 *   await using res = await fetch(`http://127.0.0.1:${port}/hello`);
 *   console.log(res.status, await res.text());
 *   try {
 *     await timeout(200, () => fetch(`http://127.0.0.1:${port}/never`));
 *   } catch (err) {
 *     if (err instanceof TimeoutError) console.log('gave up; the request was aborted');
 *   }
 * });
 * server.close();
 * server.closeAllConnections();
 * // => 200 hello from the server
 * // => gave up; the request was aborted
 * ```
 * @module
 */
import { currentCancelNode, currentLoop, rejected, throwIfCancelled } from '../core/lowlevel.js';
import { checkObject, checkSignal, describe } from '../_internal/validate.js';
import { hostIoOf, hostOperation } from './host-wait.js';

/** A `Response` that `await using` disposes of: an unread body is cancelled. */
export type DisposableResponse = Response & AsyncDisposable;

// The methods that read a body to its end.
const READERS = ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text'] as const;

// One request's link to the signals that may abort it: one listener on each,
// removed at once when the request is over.
class Link {
  readonly controller = new AbortController();
  readonly #parents: AbortSignal[] = [];
  #linked = true;

  constructor(parents: readonly (AbortSignal | undefined)[]) {
    for (const parent of parents) {
      if (parent === undefined) continue;
      if (parent.aborted) {
        this.controller.abort(parent.reason);
        break;
      }
      parent.addEventListener('abort', this);
      this.#parents.push(parent);
    }
  }

  // The parents' 'abort' listener: the Link is its own EventListener object.
  handleEvent(event: Event): void {
    this.controller.abort((event.target as AbortSignal).reason);
    this.unlink();
  }

  unlink(): void {
    if (!this.#linked) return;
    this.#linked = false;
    for (const parent of this.#parents) parent.removeEventListener('abort', this);
    this.#parents.length = 0;
  }
}

// Keeps the link while the body is being read, unlinks once it is done, and makes
// the response disposable. The Response itself stays (instanceof Response, its
// headers and url); only its body readers and `body` are wrapped.
function track(response: Response, link: Link): DisposableResponse {
  const source = response.body;
  let finished = source === null;
  const done = (): void => {
    finished = true;
    link.unlink();
  };
  if (source === null) done();
  else {
    for (const name of READERS) {
      // `bytes()` is new (Node 22); where it is missing there is nothing to wrap.
      const read = (Response.prototype as unknown as Record<string, unknown>)[name];
      if (typeof read !== 'function') continue;
      Object.defineProperty(response, name, {
        configurable: true,
        value(this: Response) {
          return (read as (this: Response) => Promise<unknown>).call(this).finally(done);
        },
      });
    }
    let wrapped: ReadableStream<Uint8Array> | null = null;
    Object.defineProperty(response, 'body', {
      configurable: true,
      get() {
        return (wrapped ??= watch(source, done));
      },
    });
  }
  Object.defineProperty(response, Symbol.asyncDispose, {
    configurable: true,
    value: (): Promise<void> => {
      // An unread or half-read body: abort it (undici then closes the connection).
      if (!finished) {
        link.controller.abort(new DOMException('the response was disposed', 'AbortError'));
        done();
      }
      return Promise.resolve();
    },
  });
  return response as DisposableResponse;
}

// A stream that passes `source` through and calls `done` when it ends, fails or
// is cancelled.
function watch(source: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const step = await reader.read();
        if (step.done) {
          controller.close();
          done();
        } else controller.enqueue(step.value);
      } catch (error) {
        done();
        throw error;
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
}

/**
 * The platform's `fetch` (undici in Node), as a corio wait under the current
 * task or scope: cancelling them aborts the request. `init.signal`, if given,
 * aborts it too. No method takes a timeout: wrap the call in `timeout()`.
 *
 * **Cancellation:** a cancellation point. A cancelled `fetch()` aborts its
 * request and waits for it to settle before it throws `CancelledError`, so no
 * request is left open (the server may have seen it). A response that arrives as
 * the task is cancelled is disposed of. Reading the body (`await res.text()`) is
 * not a corio wait, but cancelling the task aborts it too, as long as the body is
 * unread.
 *
 * @throws {TypeError} for a network error, as the platform's `fetch`.
 */
export function fetch(
  input: string | URL | Request,
  init?: RequestInit,
): Promise<DisposableResponse> {
  try {
    if (typeof input !== 'string' && !(input instanceof URL) && !(input instanceof Request)) {
      throw new TypeError(
        `fetch(): \`input\` must be a string, a URL or a Request, got ${describe(input)}`,
      );
    }
    // The platform's RequestInit: its keys are the platform's to check.
    if (init !== undefined) checkObject('fetch()', 'init', init, 'a RequestInit object');
    // As the platform's fetch: init.signal replaces a Request's own signal.
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    checkSignal('fetch()', signal);
    throwIfCancelled(signal);
    const link = new Link([currentCancelNode()?.signal, signal]);
    const url = input instanceof Request ? input.url : String(input);
    return hostOperation<DisposableResponse>(
      `fetch(${url})`,
      {
        io: hostIoOf(currentLoop()),
        signal,
        settle: true,
        cancel: (reason) => {
          link.controller.abort(reason);
        },
        unclaimed: (response) => {
          void response[Symbol.asyncDispose]();
        },
      },
      (settle) => {
        globalThis.fetch(input, { ...init, signal: link.controller.signal }).then(
          (response) => {
            settle.resolve(track(response, link));
          },
          (error: unknown) => {
            link.unlink();
            settle.reject(error);
          },
        );
      },
    );
  } catch (error) {
    return rejected(error);
  }
}
