/**
 * `openConnection()` (asyncio's `open_connection`, Trio's `open_tcp_stream`):
 * connects over TCP (IPv4 or IPv6, racing the addresses of a name with Node's
 * happy eyeballs, `autoSelectFamily`), TLS or a Unix socket, and returns a
 * `Connection`: destructure it as `[reader, writer]`, and let `await using`
 * close it.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { openConnection, startServer } from 'corio/node';
 *
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     const name = String(await reader.readline()).trim();
 *     writer.write(`hello, ${name}\n`);
 *   }, { host: '127.0.0.1', port: 0 });
 *   const [{ port }] = server.addresses();
 *
 *   await using conn = await openConnection({ host: '127.0.0.1', port });
 *   const [reader, writer] = conn;
 *   await writer.writeAll('corio\n');
 *   console.log(String(await reader.readline()).trim());
 *   console.log(String(await reader.read()) === '', reader.atEof()); // the server closed
 * });
 * // => hello, corio
 * // => true true
 * ```
 * @module
 */
import { connect as netConnect, isIP, type NetConnectOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  checkBoolean,
  checkCount,
  checkObject,
  checkOptions,
  checkSignal,
  checkString,
  describe,
  optionNames,
} from '../_internal/validate.js';
import { currentLoop, rejected, throwIfCancelled } from '../core/lowlevel.js';
import { inspectSymbol } from '../_internal/inspect.js';
import { hostIoOf, hostOperation } from './host-wait.js';
import type { StreamReader } from './stream-reader.js';
import type { StreamWriter } from './stream-writer.js';
import { type SocketKind, SocketTransport } from './transport.js';

/**
 * A connection: `const [reader, writer] = conn`, or `conn.reader` and
 * `conn.writer`. `await using conn = …` closes it at the end of the block (the
 * writer's disposal: close, wait shielded and bounded, then abort).
 */
export interface Connection extends Readonly<[StreamReader, StreamWriter]>, AsyncDisposable {
  readonly reader: StreamReader;
  readonly writer: StreamWriter;
}

/** Where to connect: a TCP host and port, or a Unix socket path. */
export type ConnectAddress =
  | { readonly host?: string; readonly port: number }
  | { readonly path: string };

export interface ConnectOptions {
  /** The reader's line and separator limit, in bytes; default 65,536. */
  readonly limit?: number;
  /** Connect over TLS: `true`, or the options of `tls.connect` (`ca`, `servername`, …). */
  readonly tls?: boolean | TlsConnectionOptions;
  /** Happy eyeballs (RFC 8305) over the addresses of `host`; default true. */
  readonly autoSelectFamily?: boolean;
  /** Disable Nagle's algorithm; default true, as asyncio does. */
  readonly noDelay?: boolean;
  /** TCP keep-alive; default false. */
  readonly keepAlive?: boolean;
  /** The local address to connect from. */
  readonly localAddress?: string;
  /** Stop connecting (with `CancelledError`) when this signal aborts. */
  readonly signal?: AbortSignal;
}

/** @internal Builds the array a Connection is, with its names. */
export function makeConnection(
  reader: StreamReader,
  writer: StreamWriter,
  what: string,
): Connection {
  const pair = [reader, writer];
  Object.defineProperties(pair, {
    reader: { value: reader },
    writer: { value: writer },
    [Symbol.asyncDispose]: { value: () => writer[Symbol.asyncDispose]() },
    [inspectSymbol]: { value: () => `Connection<${what}${writer.isClosing() ? ' closing' : ''}>` },
  });
  return Object.freeze(pair) as unknown as Connection;
}

/**
 * @internal Checks the values of a connect or listen address (`prefix` is how
 * messages name its object: `address`, `options`); returns its printable form.
 */
export function checkAddress(
  fn: string,
  prefix: string,
  address: { readonly host?: unknown; readonly port?: unknown; readonly path?: unknown },
): string {
  const { host, port, path } = address;
  if (path !== undefined) {
    if (typeof path !== 'string' || path === '') {
      throw new TypeError(
        `${fn}: \`${prefix}.path\` must be a non-empty string, got ${describe(path)}`,
      );
    }
    if (host !== undefined || port !== undefined) {
      throw new TypeError(
        `${fn}: \`${prefix}\` must give either \`path\` or \`host\` and \`port\`, not both`,
      );
    }
    return path;
  }
  checkString(fn, `${prefix}.host`, host);
  if (port === undefined) {
    throw new TypeError(`${fn}: \`${prefix}\` must give \`port\` or \`path\``);
  }
  if (typeof port !== 'number') {
    throw new TypeError(
      `${fn}: \`${prefix}.port\` must be an integer from 0 to 65535, got ${describe(port)}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(
      `${fn}: \`${prefix}.port\` must be an integer from 0 to 65535, got ${describe(port)}`,
    );
  }
  const name = (host as string | undefined) ?? 'localhost';
  return isIP(name) === 6 ? `[${name}]:${port}` : `${name}:${port}`;
}

const ADDRESS_KEYS = optionNames<{ host?: string; port?: number; path?: string }>({
  host: true,
  port: true,
  path: true,
});
const CONNECT_OPTIONS = optionNames<ConnectOptions>({
  limit: true,
  tls: true,
  autoSelectFamily: true,
  noDelay: true,
  keepAlive: true,
  localAddress: true,
  signal: true,
});

/**
 * Opens a connection (asyncio's `open_connection` and `open_unix_connection`).
 * `host` defaults to `localhost`; a name's IPv4 and IPv6 addresses are raced
 * (happy eyeballs) unless `autoSelectFamily` is false.
 *
 * **Cancellation:** cancel-safe: a cancelled connect destroys its socket and
 * leaves nothing open (a DNS lookup in flight is abandoned, as Trio abandons
 * `getaddrinfo`). Cancelled at the moment it connected, the new connection is
 * aborted.
 *
 * @throws the socket's error (`ECONNREFUSED`, `ENOTFOUND`, a TLS error).
 */
export function openConnection(
  address: ConnectAddress,
  options?: ConnectOptions,
): Promise<Connection> {
  const fn = 'openConnection()';
  try {
    if ((address as unknown) === undefined) {
      throw new TypeError(`${fn}: \`address\` must be { host?, port } or { path }, got undefined`);
    }
    checkOptions(fn, 'address', address, ADDRESS_KEYS);
    const what = checkAddress(fn, 'address', address);
    checkOptions(fn, 'options', options, CONNECT_OPTIONS);
    if (options?.limit !== undefined) checkCount(fn, 'options.limit', options.limit, 1);
    const tls = options?.tls;
    if (tls !== undefined && typeof tls !== 'boolean') {
      checkObject(fn, 'options.tls', tls, 'a boolean or the options of tls.connect()');
    }
    checkBoolean(fn, 'options.autoSelectFamily', options?.autoSelectFamily);
    checkBoolean(fn, 'options.noDelay', options?.noDelay);
    checkBoolean(fn, 'options.keepAlive', options?.keepAlive);
    checkString(fn, 'options.localAddress', options?.localAddress);
    checkSignal(fn, options?.signal);
    throwIfCancelled(options?.signal);

    const path = 'path' in address ? address.path : null;
    const host = 'path' in address ? undefined : (address.host ?? 'localhost');
    const port = 'path' in address ? undefined : address.port;
    const kind: SocketKind =
      tls !== undefined && tls !== false ? 'tls' : path === null ? 'tcp' : 'unix';
    const io = hostIoOf(currentLoop());
    let socket: Socket | null = null;
    return hostOperation<Connection>(
      `openConnection(${what})`,
      {
        io,
        signal: options?.signal,
        cancel: () => socket?.destroy(),
        unclaimed: (conn) => {
          conn.writer.abort();
        },
      },
      (settle) => {
        const net = {
          allowHalfOpen: true,
          ...(path === null
            ? {
                host,
                port,
                autoSelectFamily: options?.autoSelectFamily ?? true,
                noDelay: options?.noDelay ?? true,
                keepAlive: options?.keepAlive ?? false,
                ...(options?.localAddress === undefined
                  ? {}
                  : { localAddress: options.localAddress }),
              }
            : { path }),
        };
        const s =
          kind === 'tls'
            ? tlsConnect({
                ...net,
                ...(host !== undefined && isIP(host) === 0 ? { servername: host } : {}),
                ...(typeof tls === 'object' ? tls : {}),
              })
            : netConnect(net as NetConnectOpts);
        socket = s;
        const onError = (error: Error): void => {
          s.off(kind === 'tls' ? 'secureConnect' : 'connect', onConnect);
          settle.reject(error);
        };
        const onConnect = (): void => {
          s.off('error', onError);
          const transport = new SocketTransport(s, kind, io, options?.limit, path);
          settle.resolve(makeConnection(transport.reader, transport.writer, `${kind} ${what}`));
        };
        s.once(kind === 'tls' ? 'secureConnect' : 'connect', onConnect);
        s.once('error', onError);
      },
    );
  } catch (error) {
    return rejected(error);
  }
}
