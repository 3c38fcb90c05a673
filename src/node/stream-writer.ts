/**
 * `StreamWriter` (asyncio's): the sending half of a connection. `write()` never
 * waits: it queues the bytes on the socket. `drain()` waits until the socket's
 * buffer is below its high-water mark again, so a loop of `write()` then
 * `await drain()` sends at the speed the peer reads; `writeAll()` does both.
 * `writeEof()` half-closes (FIN) and the reader keeps reading; `close()` flushes
 * then closes; `abort()` resets the connection at once.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { memoryStreamPair } from 'corio/node';
 *
 * await run(async () => {
 *   const [client, server] = memoryStreamPair();
 *   const [, writer] = client;
 *   writer.writelines(['GET /\n', 'Host: x\n']);
 *   await writer.writeAll('\n');
 *   writer.writeEof(); // half-close: the server reads to EOF, and can still answer
 *   const [reader] = server;
 *   console.log(JSON.stringify(String(await reader.read())));
 * });
 * // => "GET /\nHost: x\n\n"
 * ```
 * @module
 */
import {
  BrokenResourceError,
  ClosedResourceError,
  cancelScope,
  InvalidStateError,
  isCancellation,
  moveOnAfter,
  type SignalOptions,
} from '../index.js';
import {
  enterWait,
  ParkingLot,
  parkThen,
  RESOLVED,
  rejected,
  resumed,
  type Suspension,
} from '../core/lowlevel.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkMadeBy, describe, isIterable } from '../_internal/validate.js';
import type { HostIo } from './host-wait.js';
import type { StreamReader } from './stream-reader.js';

/** How long disposal waits for a graceful close before it resets the connection, in ms. */
export const DISPOSE_GRACE = 5_000;

/** What `getExtraInfo()` knows, by name (asyncio's `get_extra_info`). */
export interface ExtraInfo {
  /** The peer's address: `{ address, family, port }` over TCP, the path over a Unix socket. */
  readonly peername:
    | { readonly address: string; readonly family: string; readonly port: number }
    | string;
  /** The local address, in the same forms. */
  readonly sockname:
    | { readonly address: string; readonly family: string; readonly port: number }
    | string;
  /** The peer's certificate over TLS (`tls.TLSSocket.getPeerCertificate()`). */
  readonly peercert: import('node:tls').PeerCertificate;
  /** The negotiated cipher over TLS. */
  readonly cipher: import('node:tls').CipherNameAndProtocol;
  /** The Node socket underneath (`net.Socket` or `tls.TLSSocket`). */
  readonly socket: import('node:net').Socket;
}

export interface StreamWriterStatistics {
  /** Bytes queued on the transport and not sent yet. */
  readonly bufferedWrite: number;
  /** True while the buffer is past its high-water mark: `drain()` would wait. */
  readonly needsDrain: boolean;
  /** True once `close()` or `abort()` was called. */
  readonly closing: boolean;
  /** Tasks waiting in `drain()` or `waitClosed()`. */
  readonly tasksWaiting: number;
}

/** @internal The sending side of a transport (a socket, an in-memory pipe). */
export interface WriteTransport {
  /** Set for real I/O under a clock that jumps when idle. */
  readonly io: HostIo | null;
  /** 'tcp', 'unix', 'tls' or 'memory', for printing. */
  readonly kind: string;
  /** Sends or queues; the writes of one burst of the event loop may be batched. */
  write(data: Uint8Array | string): void;
  writeEof(): void;
  canWriteEof(): boolean;
  needsDrain(): boolean;
  bufferSize(): number;
  /** Flush, then close; a bounded grace later, close anyway. */
  close(): void;
  /** Close at once, resetting the connection. */
  abort(): void;
  extraInfo(name: string): unknown;
}

// What only corio/node's own factories pass the constructor.
const MADE = Symbol('made by corio/node');

const afterWait = (s: Suspension): void => {
  resumed(s);
};

export class StreamWriter {
  readonly #transport: WriteTransport;
  readonly #reader: StreamReader | null;
  readonly #io: HostIo | null;
  // close() or abort() was called: write() refuses.
  #closing = false;
  #eofSent = false;
  // The connection went away under us (a reset, a broken pipe) or was closed by
  // other means than close()/abort(): #lost with the error, if there was one.
  #lost = false;
  #lostError: unknown = undefined;
  // The transport is closed for good ('close' fired).
  #closed = false;
  #drainers: ParkingLot | null = null;
  #closers: ParkingLot | null = null;

  private constructor(made: symbol, transport: WriteTransport, reader: StreamReader | null) {
    checkMadeBy(
      'new StreamWriter()',
      made === MADE,
      'openConnection(), startServer() or memoryStreamPair()',
    );
    this.#transport = transport;
    this.#reader = reader;
    this.#io = transport.io;
  }

  /** @internal Made by corio/node's transports only. */
  static _open(transport: WriteTransport, reader: StreamReader | null): StreamWriter {
    return new StreamWriter(MADE, transport, reader);
  }

  /**
   * Queues `data` for sending and returns at once (asyncio's `write`); strings go
   * as UTF-8. Follow a run of writes with `await drain()` so the queue stays
   * bounded.
   *
   * @throws {ClosedResourceError} after `close()` or `abort()`.
   * @throws {InvalidStateError} after `writeEof()`.
   * @throws the connection's own error (`ECONNRESET`, `EPIPE`) once it is lost.
   */
  write(data: Uint8Array | string): void {
    this.#checkWritable('write', data);
    if (data.length === 0) return;
    this.#transport.write(data);
    this.#io?.activity();
  }

  /** Queues each item of `data` in order, as one batch (asyncio's `writelines`). */
  writelines(data: Iterable<Uint8Array | string>): void {
    if (typeof data === 'string' || !isIterable(data)) {
      throw new TypeError(
        `StreamWriter.writelines(): \`data\` must be an iterable of Uint8Array or string, got ${describe(data)}`,
      );
    }
    const items = [...data];
    for (const item of items) this.#checkWritable('writelines', item);
    for (const item of items) if (item.length > 0) this.#transport.write(item);
    this.#io?.activity();
  }

  /**
   * Waits until the transport's send buffer is below its high-water mark
   * (asyncio's `drain`); returns at once when it is. Several tasks may drain at
   * once; all of them resume together.
   *
   * **Cancellation:** cancel-safe: a cancelled `drain()` has no effect; the
   * queued bytes stay queued and may still be sent.
   *
   * @throws the connection's error when it is lost, also while waiting (a reset
   * peer is an error, never a hang).
   * @throws {ClosedResourceError} when `abort()` is called while waiting.
   */
  drain(options?: SignalOptions): Promise<void> {
    try {
      const signal = this.#enter('drain', options);
      // asyncio: a reader that failed (a reset) fails the writer's drain too.
      const readerError = this.#reader?.exception();
      if (readerError !== undefined) return rejected(readerError);
      if (this.#lost) throw this.#lostFailure('drain');
      if (!this.#transport.needsDrain()) return RESOLVED;
      if (this.#closed) throw this.#lostFailure('drain');
      const s = (this.#drainers ??= new ParkingLot()).enqueue('StreamWriter.drain', signal);
      return this.#park(s);
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Writes `data` and drains: Trio's `send_all`.
   *
   * **Cancellation:** not cancel-safe. If it throws `CancelledError`, some, all
   * or none of `data` may have been sent (the bytes stay queued and go out unless
   * the connection is aborted): after a cancelled `writeAll()` the stream's state
   * is unknown, so close or abort it.
   */
  writeAll(data: Uint8Array | string, options?: SignalOptions): Promise<void> {
    try {
      this.#enter('writeAll', options);
      this.write(data);
      return this.drain(options);
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Half-closes the connection (asyncio's `write_eof`): sends FIN after the queued
   * bytes; the peer reads EOF, and this side can still read. Idempotent.
   *
   * @throws {InvalidStateError} when the transport cannot half-close (TLS).
   * @throws {ClosedResourceError} after `close()` or `abort()`.
   */
  writeEof(): void {
    if (this.#closing) {
      throw new ClosedResourceError('StreamWriter.writeEof(): the writer is closed');
    }
    if (this.#eofSent) return;
    if (!this.#transport.canWriteEof()) {
      throw new InvalidStateError(
        `StreamWriter.writeEof(): a ${this.#transport.kind} stream cannot be half-closed`,
      );
    }
    this.#eofSent = true;
    this.#transport.writeEof();
    this.#io?.activity();
  }

  /** True when `writeEof()` can half-close this stream (TCP, Unix, in-memory; not TLS). */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /**
   * Closes the connection: sends what is queued, then closes (asyncio's `close`);
   * if the peer does not take the queued bytes within a bounded grace period, the
   * connection is reset. Idempotent; `waitClosed()` waits for the end.
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#transport.close();
    this.#io?.activity();
  }

  /**
   * Closes the connection at once, dropping queued bytes and resetting it (RST):
   * asyncio's `transport.abort()`. Tasks waiting in `drain()` get
   * `ClosedResourceError`. Idempotent.
   */
  abort(): void {
    const first = !this.#closing;
    this.#closing = true;
    // Before the transport's close: those bytes will never go out.
    this.#drainers?.failAll(
      () => new ClosedResourceError('StreamWriter.drain(): the writer was aborted'),
    );
    if (!this.#closed) this.#transport.abort();
    if (first) this.#io?.activity();
  }

  /** True once `close()` or `abort()` was called (asyncio's `is_closing`). */
  isClosing(): boolean {
    return this.#closing;
  }

  /**
   * Waits until the connection is closed (asyncio's `wait_closed`): after
   * `close()` or `abort()`, or when the connection is lost.
   *
   * **Cancellation:** cancel-safe: cancelling the wait does not stop the close;
   * only the waiting stops.
   *
   * @throws the connection's error when it was lost with one (a reset), as
   * asyncio's `wait_closed` does.
   */
  waitClosed(options?: SignalOptions): Promise<void> {
    try {
      const signal = this.#enter('waitClosed', options);
      if (this.#closed) return this.#lostError === undefined ? RESOLVED : rejected(this.#lostError);
      const s = (this.#closers ??= new ParkingLot()).enqueue('StreamWriter.waitClosed', signal);
      return this.#park(s);
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Facts about the connection (asyncio's `get_extra_info`): `peername`,
   * `sockname`, `peercert`, `cipher`, `socket`; `defaultValue` (or `undefined`)
   * when the transport has no such fact.
   */
  getExtraInfo<K extends keyof ExtraInfo>(name: K): ExtraInfo[K] | undefined;
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    if (typeof name !== 'string') {
      throw new TypeError(
        `StreamWriter.getExtraInfo(): \`name\` must be a string, got ${describe(name)}`,
      );
    }
    return this.#transport.extraInfo(name) ?? defaultValue;
  }

  statistics(): StreamWriterStatistics {
    return Object.freeze({
      bufferedWrite: this.#transport.bufferSize(),
      needsDrain: this.#transport.needsDrain(),
      closing: this.#closing,
      tasksWaiting: (this.#drainers?.size ?? 0) + (this.#closers?.size ?? 0),
    });
  }

  /**
   * `await using writer`: `close()`, then waits — shielded from cancellation, at
   * most `DISPOSE_GRACE` ms — for the close to finish, then `abort()`s if it has
   * not. Errors of a connection that was already lost are not thrown here.
   *
   * **Cancellation:** shielded: a cancelled task still closes its connection.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    if (!this.#closed) {
      await cancelScope(
        () =>
          moveOnAfter(DISPOSE_GRACE, () =>
            this.waitClosed().catch((error: unknown) => {
              if (isCancellation(error)) throw error;
            }),
          ),
        { shield: true },
      );
    }
    if (!this.#closed) this.abort();
  }

  [inspectSymbol](): string {
    const words = [this.#transport.kind];
    if (this.#closed) words.push('closed');
    else if (this.#closing) words.push('closing');
    else if (this.#eofSent) words.push('eof-sent');
    if (this.#lost) words.push('lost');
    return show('StreamWriter', words, {
      buffered: this.#transport.bufferSize(),
      waiters: (this.#drainers?.size ?? 0) + (this.#closers?.size ?? 0),
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }

  /** @internal The transport can take more bytes ('drain'). */
  _onDrain(): void {
    this.#drainers?.wakeAll(undefined);
  }

  /** @internal The connection failed with `error` (a reset, a broken pipe). */
  _onLost(error: unknown): void {
    if (!this.#lost) {
      this.#lost = true;
      this.#lostError = error;
    }
    this.#drainers?.failAll(() => error);
  }

  /** @internal The transport closed for good. */
  _onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#closing) this.#lost = true;
    const error = this.#lostError;
    if (this.#drainers !== null) {
      // What was queued went out before a close() finished; otherwise it never will.
      if (error === undefined && this.#closing) this.#drainers.wakeAll(undefined);
      else this.#drainers.failAll(() => error ?? this.#lostFailure('drain'));
    }
    if (this.#closers !== null) {
      if (error === undefined) this.#closers.wakeAll(undefined);
      else this.#closers.failAll(() => error);
    }
  }

  #checkWritable(method: string, data: unknown): asserts data is Uint8Array | string {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(
        `StreamWriter.${method}(): \`data\` must be a Uint8Array or a string, got ${describe(data)}`,
      );
    }
    if (this.#closing)
      throw new ClosedResourceError(`StreamWriter.${method}(): the writer is closed`);
    if (this.#eofSent) {
      throw new InvalidStateError(`StreamWriter.${method}(): called after writeEof()`);
    }
    if (this.#lost) throw this.#lostFailure(method);
  }

  #lostFailure(method: string): unknown {
    if (this.#lostError !== undefined) return this.#lostError;
    return this.#closing
      ? new ClosedResourceError(`StreamWriter.${method}(): the writer is closed`)
      : new BrokenResourceError(`StreamWriter.${method}(): the connection is closed`);
  }

  #enter(method: string, options: SignalOptions | undefined): AbortSignal | undefined {
    enterWait(`StreamWriter.${method}()`, options);
    return options?.signal;
  }

  #park(s: Suspension): Promise<void> {
    const io = this.#io;
    if (io === null) return parkThen(s, afterWait);
    io.begin();
    return parkThen(
      s,
      (woken: Suspension) => {
        io.end();
        resumed(woken);
      },
      (error: unknown) => {
        io.end();
        throw error;
      },
    );
  }
}
