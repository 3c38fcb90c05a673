/**
 * Connected streams in memory (Trio's `memory_stream_pair` and
 * `lockstep_stream_pair`), for testing a protocol without sockets: what one
 * side's writer writes, the other side's reader reads, with the same API, errors
 * and cancel safety as a socket. Every wait is a corio wait, so a test runs in
 * virtual time, deterministically.
 *
 * - `memoryStreamPair()` buffers as a socket does: a writer's `drain()` waits
 *   while the peer's reader holds more than `2 × limit` unread bytes.
 * - `lockstepStreamPair()` buffers nothing: `drain()` waits until the peer has
 *   read every byte written. Code that writes without reading the other way
 *   deadlocks here instead of in production.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep, taskGroup } from 'corio';
 * import { lockstepStreamPair } from 'corio/node';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(() => taskGroup((tg) => {
 *   const [a, b] = lockstepStreamPair();
 *   tg.spawn(async () => {
 *     await a.writer.writeAll('hi\n'); // returns once b has read it
 *     console.log('sent at', getRunningLoop().time());
 *   });
 *   tg.spawn(async () => {
 *     await sleep(50);
 *     console.log('read', String(await b.reader.readline()).trim(), 'at', getRunningLoop().time());
 *   });
 * }), { clock: new VirtualClock() });
 * // => read hi at 50
 * // => sent at 50
 * ```
 * @module
 */
import { checkCount, checkOptions, optionNames } from '../_internal/validate.js';
import { type Connection, makeConnection } from './connection.js';
import { type ReadFlow, StreamReader } from './stream-reader.js';
import { StreamWriter, type WriteTransport } from './stream-writer.js';

export interface MemoryStreamOptions {
  /** Each reader's line and separator limit, in bytes; default 65,536. */
  readonly limit?: number;
}

// The error a reset (abort()) gives the other side, shaped as Node's.
function connectionReset(): Error {
  return Object.assign(new Error('read ECONNRESET (the peer aborted the in-memory stream)'), {
    code: 'ECONNRESET',
  });
}

// One end of an in-memory connection: its reader is fed by the peer's writes.
class MemoryTransport implements ReadFlow, WriteTransport {
  readonly io = null;
  readonly kind = 'memory';
  readonly reader: StreamReader;
  readonly writer: StreamWriter;
  peer!: MemoryTransport;
  // Our reader asked to pause: the peer's writer must wait in drain().
  #readPaused = false;
  #closed = false;

  constructor(limit: number | undefined, lockstep: boolean) {
    this.reader = new StreamReader(limit === undefined ? undefined : { limit });
    if (lockstep) this.reader._attach(this, 0, 0);
    else this.reader._attach(this);
    this.writer = StreamWriter._open(this, this.reader);
  }

  pauseReading(): void {
    this.#readPaused = true;
  }

  resumeReading(): void {
    this.#readPaused = false;
    this.peer.writer._onDrain();
  }

  write(data: Uint8Array | string): void {
    // Copied: the caller may reuse its buffer once write() returns.
    this.peer.reader._feed(Buffer.from(data as Uint8Array));
  }

  writeEof(): void {
    this.peer.reader.feedEof();
  }

  canWriteEof(): boolean {
    return true;
  }

  needsDrain(): boolean {
    return this.peer.#readPaused && !this.peer.#closed;
  }

  bufferSize(): number {
    return this.peer.#closed ? 0 : this.peer.reader.statistics().buffered;
  }

  close(): void {
    this.#shut(null);
  }

  abort(): void {
    this.#shut(connectionReset());
  }

  // Both ends close: ours at once, the peer's as it sees the FIN (or the reset).
  #shut(reset: Error | null): void {
    if (this.#closed) return;
    const peer = this.peer;
    this.#closed = true;
    peer.#closed = true;
    if (reset === null) peer.reader.feedEof();
    else {
      peer.reader.setException(reset);
      peer.writer._onLost(reset);
    }
    this.reader.feedEof();
    this.writer._onClose();
    peer.writer._onClose();
  }

  extraInfo(name: string): unknown {
    return name === 'peername' || name === 'sockname' ? 'memory' : undefined;
  }
}

const PAIR_OPTIONS = optionNames<MemoryStreamOptions>({ limit: true });

function pair(
  fn: string,
  options: MemoryStreamOptions | undefined,
  lockstep: boolean,
): [Connection, Connection] {
  checkOptions(fn, 'options', options, PAIR_OPTIONS);
  if (options?.limit !== undefined) checkCount(fn, 'options.limit', options.limit, 1);
  const a = new MemoryTransport(options?.limit, lockstep);
  const b = new MemoryTransport(options?.limit, lockstep);
  a.peer = b;
  b.peer = a;
  const what = lockstep ? 'lockstep' : 'memory';
  return [makeConnection(a.reader, a.writer, what), makeConnection(b.reader, b.writer, what)];
}

/**
 * Two connected in-memory connections (Trio's `memory_stream_pair`): each one's
 * writer feeds the other's reader; `drain()` waits while the peer holds more than
 * `2 × limit` unread bytes. `close()` on one side is an EOF for the other (whose
 * later writes fail with `BrokenResourceError`); `abort()` fails the other
 * side's reads and writes with an `ECONNRESET` error.
 */
export function memoryStreamPair(options?: MemoryStreamOptions): [Connection, Connection] {
  return pair('memoryStreamPair()', options, false);
}

/**
 * Two connected in-memory connections without buffering (Trio's
 * `lockstep_stream_pair`): a writer's `drain()` returns only once the peer has
 * read everything written, or is waiting to read more.
 */
export function lockstepStreamPair(options?: MemoryStreamOptions): [Connection, Connection] {
  return pair('lockstepStreamPair()', options, true);
}
