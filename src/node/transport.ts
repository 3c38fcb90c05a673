/**
 * The socket underneath a corio connection (asyncio's selector transport and
 * `StreamReaderProtocol` in one): it feeds a Node socket's bytes into a
 * `StreamReader`, pauses the socket when the reader says so, and tells the
 * `StreamWriter` when the socket drains, fails or closes. It never reads through
 * the socket's async iterator, which destroys the socket on `break` and ignores
 * half-open connections (nodejs/node#49073): the socket is opened with
 * `allowHalfOpen`, so a peer's FIN is an EOF for the reader and nothing more.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { run } from 'corio';
 * import { openConnection, startServer } from 'corio/node';
 *
 * const path = join(mkdtempSync(join(tmpdir(), 'corio-')), 'echo.sock');
 * await run(async () => {
 *   await using _server = await startServer(async (reader, writer) => {
 *     for await (const line of reader) writer.write(line); // until the client's EOF
 *   }, { path });
 *   await using conn = await openConnection({ path });
 *   const [reader, writer] = conn;
 *   writer.write('over a Unix socket\n');
 *   writer.writeEof(); // half-close: the server's loop ends, the reader still reads
 *   console.log(String(await reader.read()).trim(), String(writer).split(' ')[0]);
 * });
 * // => over a Unix socket StreamWriter<unix
 * ```
 * @module
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { HostIo } from './host-wait.js';
import { StreamReader, type ReadFlow } from './stream-reader.js';
import { StreamWriter, type WriteTransport } from './stream-writer.js';

/** How long `close()` lets queued bytes drain before it destroys the socket, in ms. */
export const CLOSE_GRACE = 30_000;

export type SocketKind = 'tcp' | 'unix' | 'tls';

// The bursts of writes (see SocketTransport.write): the current one's number,
// whether its end is scheduled, and the sockets it corked.
let burst = 0;
let burstEnding = false;
const corked: SocketTransport[] = [];

function endBurst(): void {
  burst++;
  burstEnding = false;
  for (const transport of corked.splice(0)) transport.uncork();
}

export class SocketTransport implements ReadFlow, WriteTransport {
  readonly socket: Socket;
  readonly kind: SocketKind;
  readonly io: HostIo | null;
  readonly reader: StreamReader;
  readonly writer: StreamWriter;
  // The Unix socket path, for peername/sockname (Node has no remote path).
  readonly #path: string | null;
  #grace: ReturnType<typeof setTimeout> | null = null;
  // The burst of this socket's last write, and whether it is corked (see write()).
  #burst = -1;
  #corked = false;

  constructor(
    socket: Socket,
    kind: SocketKind,
    io: HostIo | null,
    limit: number | undefined,
    path: string | null,
  ) {
    this.socket = socket;
    this.kind = kind;
    this.io = io;
    this.#path = path;
    this.reader = new StreamReader(limit === undefined ? undefined : { limit });
    this.reader._attach(this);
    this.writer = StreamWriter._open(this, this.reader);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.io?.activity();
    this.reader._feed(chunk);
  };

  readonly #onEnd = (): void => {
    this.io?.activity();
    this.reader.feedEof();
  };

  readonly #onError = (error: Error): void => {
    this.io?.activity();
    this.reader.setException(error);
    this.writer._onLost(error);
  };

  readonly #onClose = (): void => {
    this.io?.activity();
    if (this.#grace !== null) clearTimeout(this.#grace);
    this.reader.feedEof();
    this.writer._onClose();
  };

  readonly #onDrain = (): void => {
    this.io?.activity();
    this.writer._onDrain();
  };

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  write(data: Uint8Array | string): void {
    // The writes of one burst of the event loop go out together, in one writev
    // at its end (Node's cork-until-nextTick idiom): a task that writes a line at
    // a time costs one system call per burst, not one per line. The first write
    // of a socket in a burst goes out at once: a lone write pays nothing for this,
    // and one nextTick per burst serves every socket of the process.
    if (this.#burst !== burst) {
      this.#burst = burst;
      if (!burstEnding) {
        burstEnding = true;
        process.nextTick(endBurst);
      }
    } else if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      corked.push(this);
    }
    this.socket.write(data);
  }

  /** The burst is over: send what was corked. */
  uncork(): void {
    this.#corked = false;
    this.socket.uncork();
  }

  writeEof(): void {
    this.socket.end();
  }

  canWriteEof(): boolean {
    return this.kind !== 'tls';
  }

  needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  bufferSize(): number {
    return this.socket.writableLength;
  }

  close(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.end();
    // Our bytes are out: close now, whether or not the peer ever sends its FIN
    // (with allowHalfOpen, Node would wait for it forever).
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
    this.#grace = setTimeout(() => socket.destroy(), CLOSE_GRACE);
    this.#grace.unref();
  }

  abort(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (this.kind !== 'tls' && !socket.connecting) {
      try {
        socket.resetAndDestroy();
        return;
      } catch {
        // No handle to reset (not connected): a plain destroy does.
      }
    }
    socket.destroy();
  }

  extraInfo(name: string): unknown {
    const socket = this.socket;
    switch (name) {
      case 'socket':
        return socket;
      case 'peername':
        if (this.kind === 'unix') return this.#path ?? undefined;
        return socket.remoteAddress === undefined
          ? undefined
          : { address: socket.remoteAddress, family: socket.remoteFamily, port: socket.remotePort };
      case 'sockname': {
        if (this.kind === 'unix') return this.#path ?? undefined;
        const address = socket.address();
        return 'port' in address ? { ...address } : undefined;
      }
      case 'peercert':
        return socket instanceof TLSSocket ? socket.getPeerCertificate() : undefined;
      case 'cipher':
        return socket instanceof TLSSocket ? socket.getCipher() : undefined;
      default:
        return undefined;
    }
  }
}
