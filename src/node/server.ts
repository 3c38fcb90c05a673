/**
 * Servers (asyncio's `start_server`, Trio's `serve_tcp`). `startServer(handler,
 * options)` listens and returns a `Server`; each connection runs
 * `handler(reader, writer)` as a task of the server's own nursery, and its
 * connection is closed when the handler returns. A handler that fails is
 * reported through the loop's exception handler and the server keeps serving.
 * The server belongs to the task or scope that started it: when that is
 * cancelled, the listener closes and the handlers are cancelled.
 *
 * @example
 * ```ts
 * import { run, taskGroup } from 'corio';
 * import { openConnection, serveTcp, type ServerAddresses } from 'corio/node';
 *
 * await run(() => taskGroup(async (tg) => {
 *   // Trio's pattern: start() returns once the server listens.
 *   const [{ port }] = await tg.start<ServerAddresses>((status) =>
 *     serveTcp(async (reader, writer) => {
 *       for await (const line of reader.lines()) writer.write(`${line.toUpperCase()}\n`);
 *     }, { host: '127.0.0.1', port: 0 }, status),
 *   );
 *   await using conn = await openConnection({ host: '127.0.0.1', port });
 *   const [reader, writer] = conn;
 *   await writer.writeAll('shout\n');
 *   console.log(String(await reader.readline()).trim());
 *   tg.cancel(); // closes the listener, cancels the handlers, waits for them
 * }));
 * // => SHOUT
 * ```
 * @module
 */
import {
  createServer as netCreateServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { createServer as tlsCreateServer, type TlsOptions } from 'node:tls';
import {
  type EventLoop,
  InvalidStateError,
  isCancellation,
  type SignalOptions,
  type TaskStatus,
} from '../index.js';
import {
  currentCancelNode,
  enterWait,
  currentLoop,
  Nursery,
  ParkingLot,
  parkThen,
  RESOLVED,
  rejected,
  resumed,
  type Suspension,
  taskOutcome,
  throwIfCancelled,
} from '../core/lowlevel.js';
import type { Task } from '../index.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkBoolean,
  checkCount,
  checkFunction,
  checkMadeBy,
  checkObject,
  checkOptions,
  checkSignal,
  optionNames,
} from '../_internal/validate.js';
import { checkAddress } from './connection.js';
import { type HostIo, hostIoOf, hostOperation } from './host-wait.js';
import type { StreamReader } from './stream-reader.js';
import type { StreamWriter } from './stream-writer.js';
import { type SocketKind, SocketTransport } from './transport.js';

/** Serves one connection; the connection is closed when it returns or throws. */
export type ConnectionHandler = (reader: StreamReader, writer: StreamWriter) => unknown;

/** The addresses a server listens on: never empty. */
export type ServerAddresses = readonly [AddressInfo, ...AddressInfo[]];

export interface ServerOptions {
  /** The address to listen on; default every interface (Node's `::`, dual-stack). */
  readonly host?: string;
  /** The TCP port; 0 picks a free one (see `addresses()`). */
  readonly port?: number;
  /** A Unix socket path, instead of `host` and `port`. */
  readonly path?: string;
  /** Serve TLS: the options of `tls.createServer` (`key`, `cert`, …). */
  readonly tls?: TlsOptions;
  /** Each reader's line and separator limit, in bytes; default 65,536. */
  readonly limit?: number;
  /** The listen backlog; Node's default when unset. */
  readonly backlog?: number;
  /** Listen on IPv6 only (no IPv4-mapped addresses); default false. */
  readonly ipv6Only?: boolean;
  /** Disable Nagle's algorithm on accepted sockets; default true, as asyncio does. */
  readonly noDelay?: boolean;
  /** TCP keep-alive on accepted sockets; default false. */
  readonly keepAlive?: boolean;
  /** Stop starting (with `CancelledError`) when this signal aborts. */
  readonly signal?: AbortSignal;
}

export interface ServerStatistics {
  /** Connections open now. */
  readonly connections: number;
  /** Handler tasks still running. */
  readonly handlers: number;
  /** True until `close()`. */
  readonly serving: boolean;
}

// What only startServer() passes the constructor.
const MADE = Symbol('made by startServer()');

const SERVER_OPTIONS = optionNames<ServerOptions>({
  host: true,
  port: true,
  path: true,
  tls: true,
  limit: true,
  backlog: true,
  ipv6Only: true,
  noDelay: true,
  keepAlive: true,
  signal: true,
});

const afterWait = (s: Suspension): void => {
  resumed(s);
};

export class Server implements AsyncDisposable {
  readonly #server: NetServer;
  readonly #handler: ConnectionHandler;
  readonly #kind: SocketKind;
  readonly #limit: number | undefined;
  readonly #path: string | null;
  readonly #loop: EventLoop;
  readonly #io: HostIo | null;
  readonly #nursery: Nursery;
  readonly #addresses: ServerAddresses;
  readonly #connections = new Set<SocketTransport>();
  #serving = true;
  // Node's 'close': the listener and every connection it accepted are closed.
  #listenerClosed = false;
  #closers: ParkingLot | null = null;

  private constructor(
    made: symbol,
    server: NetServer,
    handler: ConnectionHandler,
    kind: SocketKind,
    limit: number | undefined,
    path: string | null,
    loop: EventLoop,
  ) {
    checkMadeBy('new Server()', made === MADE, 'startServer()');
    this.#server = server;
    this.#handler = handler;
    this.#kind = kind;
    this.#limit = limit;
    this.#path = path;
    this.#loop = loop;
    this.#io = hostIoOf(loop);
    // The handlers' nursery, under the starting code's scope: cancelling that
    // scope (or the task ending) cancels the handlers, and closes the listener.
    this.#nursery = new Nursery();
    const node = this.#nursery.enter(currentCancelNode, undefined);
    node?.signal.addEventListener(
      'abort',
      () => {
        this.close();
      },
      { once: true },
    );
    const address = server.address();
    this.#addresses = [
      typeof address === 'object' && address !== null
        ? { ...address }
        : { address: path ?? String(address), family: 'unix', port: 0 },
    ];
    server.on(kind === 'tls' ? 'secureConnection' : 'connection', this.#accept);
    server.on('close', () => {
      this.#listenerClosed = true;
      this.#maybeClosed();
    });
    server.on('error', (error: Error) => {
      this.#loop.callExceptionHandler({
        message: `corio/node: ${String(this)}: ${error.message}`,
        error,
      });
    });
  }

  /** @internal */
  static _start(
    server: NetServer,
    handler: ConnectionHandler,
    kind: SocketKind,
    limit: number | undefined,
    path: string | null,
    loop: EventLoop,
  ): Server {
    return new Server(MADE, server, handler, kind, limit, path, loop);
  }

  /**
   * The addresses the server listens on (asyncio's `sockets`, as addresses): one
   * for a Node server, with the real port when it was started with port 0. A
   * Unix socket server gives `{ address: path, family: 'unix', port: 0 }`. Still
   * answers after `close()`.
   */
  addresses(): ServerAddresses {
    return this.#addresses;
  }

  /** True until `close()` (asyncio's `is_serving`). */
  isServing(): boolean {
    return this.#serving;
  }

  /**
   * Stops accepting connections (asyncio's `close`); the open connections and
   * their handlers go on. Idempotent.
   */
  close(): void {
    if (!this.#serving) return;
    this.#serving = false;
    this.#server.close();
    this.#maybeClosed();
  }

  /** Closes every open connection gracefully (asyncio 3.13's `close_clients`). */
  closeClients(): void {
    for (const transport of [...this.#connections]) transport.writer.close();
  }

  /** Resets every open connection at once (asyncio 3.13's `abort_clients`). */
  abortClients(): void {
    for (const transport of [...this.#connections]) transport.writer.abort();
  }

  /**
   * Waits until the server is closed (`close()` was called) and every handler
   * has returned and its connection is closed (asyncio 3.12's `wait_closed`).
   *
   * **Cancellation:** cancel-safe: only the waiting stops.
   */
  waitClosed(options?: SignalOptions): Promise<void> {
    try {
      enterWait('Server.waitClosed()', options);
      if (this.#done()) return RESOLVED;
      return this.#park(
        (this.#closers ??= new ParkingLot()).enqueue('Server.waitClosed', options?.signal),
      );
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Serves until the server is closed, then waits for its handlers, as
   * `waitClosed()` (asyncio's `serve_forever`).
   *
   * **Cancellation:** cancelling it (also before it is called) ends the server:
   * the listener closes, the handlers are cancelled, and it waits for them (not
   * cancellable) before it throws `CancelledError`.
   */
  async serveForever(): Promise<void> {
    try {
      throwIfCancelled();
      await this.waitClosed();
    } catch (error) {
      if (!isCancellation(error)) throw error;
      await this.#shutdown('the server was cancelled');
      throw error;
    }
  }

  /**
   * `await using server`: closes the listener, cancels the handlers and waits
   * for them (their connections are closed as each handler ends).
   *
   * **Cancellation:** not a cancellation point: it always waits for the handlers.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#shutdown('the server is closing');
  }

  statistics(): ServerStatistics {
    return Object.freeze({
      connections: this.#connections.size,
      handlers: this.#nursery.size,
      serving: this.#serving,
    });
  }

  [inspectSymbol](): string {
    const [first] = this.#addresses;
    const where =
      this.#path ??
      `${first.family === 'IPv6' ? `[${first.address}]` : first.address}:${first.port}`;
    return show('Server', [this.#kind, where, this.#serving ? 'serving' : 'closed'], {
      connections: this.#connections.size,
      handlers: this.#nursery.size,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }

  async #shutdown(reason: string): Promise<void> {
    this.close();
    if (!this.#nursery.closed) {
      this.#nursery.cancel(reason);
      await this.#nursery.join('Server handlers');
    }
    this.#maybeClosed();
  }

  readonly #accept = (socket: Socket): void => {
    if (!this.#serving || this.#nursery.closed || this.#loop.isClosed()) {
      socket.destroy();
      return;
    }
    const transport = new SocketTransport(socket, this.#kind, this.#io, this.#limit, this.#path);
    this.#connections.add(transport);
    socket.once('close', () => {
      this.#connections.delete(transport);
    });
    const peer = transport.extraInfo('peername');
    const name =
      typeof peer === 'object' && peer !== null
        ? `handler ${(peer as AddressInfo).address}:${(peer as AddressInfo).port}`
        : `handler ${this.#path ?? 'connection'}`;
    this.#nursery.spawn(() => this.#handler(transport.reader, transport.writer), {
      name,
      onEnd: (task) => {
        this.#ended(task, transport);
      },
    });
    this.#io?.activity();
  };

  // A handler ended, however: its connection is closed. Here rather than in a
  // finally around the handler, so that a handler task cancelled before it
  // started (the server was cancelled as the connection came) closes it too.
  #ended(task: Task, transport: SocketTransport): void {
    transport.writer.close();
    const outcome = taskOutcome(task);
    if (outcome.state === 'error') {
      this.#loop.callExceptionHandler({
        message: `corio/node: ${task.name} of ${String(this)} failed`,
        error: outcome.error,
        task,
      });
    }
    this.#maybeClosed();
  }

  #done(): boolean {
    return !this.#serving && this.#listenerClosed && this.#nursery.size === 0;
  }

  #maybeClosed(): void {
    if (!this.#done()) return;
    if (!this.#nursery.closed) this.#nursery.exit();
    this.#closers?.wakeAll(undefined);
  }

  #park(s: Suspension): Promise<void> {
    return parkThen(s, afterWait);
  }
}

/**
 * Starts a server (asyncio's `start_server` and `start_unix_server`): listens on
 * `port` (0 for a free one) or `path`, then returns the `Server`. Each
 * connection's `handler(reader, writer)` runs as a task of the server; a handler
 * that throws is reported through the loop's exception handler
 * (`getRunningLoop().setExceptionHandler`) and the other connections go on.
 *
 * **Cancellation:** cancel-safe: a cancelled start closes its listener.
 *
 * @throws the listen error (`EADDRINUSE`, `EACCES`).
 */
export async function startServer(
  handler: ConnectionHandler,
  options: ServerOptions,
): Promise<Server> {
  const fn = 'startServer()';
  checkFunction(fn, 'handler', handler);
  if ((options as unknown) === undefined) {
    throw new TypeError(
      `${fn}: \`options\` must be an options object with \`port\` or \`path\`, got undefined`,
    );
  }
  checkOptions(fn, 'options', options, SERVER_OPTIONS);
  const what = checkAddress(fn, 'options', options);
  const { host, port, path } = options;
  if (options.limit !== undefined) checkCount(fn, 'options.limit', options.limit, 1);
  if (options.backlog !== undefined) checkCount(fn, 'options.backlog', options.backlog);
  if (options.tls !== undefined) {
    checkObject(fn, 'options.tls', options.tls, 'the options of tls.createServer()');
  }
  checkBoolean(fn, 'options.ipv6Only', options.ipv6Only);
  checkBoolean(fn, 'options.noDelay', options.noDelay);
  checkBoolean(fn, 'options.keepAlive', options.keepAlive);
  checkSignal(fn, options.signal);
  throwIfCancelled(options.signal);

  const loop = currentLoop();
  const kind: SocketKind = options.tls !== undefined ? 'tls' : path === undefined ? 'tcp' : 'unix';
  const socketOptions = {
    allowHalfOpen: true,
    noDelay: options.noDelay ?? true,
    keepAlive: options.keepAlive ?? false,
  };
  const server =
    kind === 'tls'
      ? tlsCreateServer({ ...socketOptions, ...options.tls })
      : netCreateServer(socketOptions);
  await hostOperation<undefined>(
    `startServer(${what})`,
    {
      io: hostIoOf(loop),
      signal: options.signal,
      cancel: () => server.close(),
      // Listening, but the starting task was cancelled before it resumed.
      unclaimed: () => server.close(),
    },
    (settle) => {
      const onError = (error: Error): void => {
        server.off('listening', onListening);
        settle.reject(error);
      };
      const onListening = (): void => {
        server.off('error', onError);
        settle.resolve(undefined);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({
        ...(path === undefined ? { host, port, ipv6Only: options.ipv6Only ?? false } : { path }),
        ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
      });
    },
  );
  // Made here, in the starting code's context: its nursery belongs to that scope.
  return Server._start(server, handler, kind, options.limit, path ?? null, loop);
}

/**
 * Trio's `serve_tcp`: starts a server, reports its addresses through
 * `status.started()` (so `await tg.start<ServerAddresses>((status) =>
 * serveTcp(…, status))` returns them once it listens), and serves until
 * cancelled. (The type argument is needed: TypeScript does not infer it from
 * the call inside.)
 *
 * **Cancellation:** cancelling it closes the listener, cancels the handlers and
 * waits for them, then throws `CancelledError`.
 */
export async function serveTcp(
  handler: ConnectionHandler,
  options: ServerOptions,
  status?: TaskStatus<ServerAddresses>,
): Promise<never> {
  if (
    status !== undefined &&
    typeof (status as Partial<TaskStatus<unknown>>).started !== 'function'
  ) {
    throw new TypeError('serveTcp(): `status` must be a TaskStatus (from tg.start())');
  }
  const server = await startServer(handler, options);
  try {
    status?.started(server.addresses());
    await server.serveForever();
  } finally {
    await server[Symbol.asyncDispose]();
  }
  throw new InvalidStateError('serveTcp(): the server was closed');
}
