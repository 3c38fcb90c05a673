/**
 * The pipes of a child process as corio streams: its stdout or stderr feeds a
 * `StreamReader` (paused past twice the reader's limit, as a socket is), and
 * its stdin is written through a `StreamWriter`. Each pipe is a one-way Node
 * stream, so each gets a transport of its own (a socket's transport serves
 * both directions). The reader's bytes are never read through the stream's
 * async iterator, which would destroy it on `break`.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { HostIo } from '../host-wait.js';
import { type ReadFlow, StreamReader } from '../stream-reader.js';
import { StreamWriter, type WriteTransport } from '../stream-writer.js';

/** How long `close()` lets queued input drain before it destroys the pipe, in ms. */
const CLOSE_GRACE = 30_000;

/**
 * A child's stdout or stderr, read into a `StreamReader`; or both into one
 * reader (`stderr: 'stdout'`), chunks in the order they arrive, EOF once both
 * have ended.
 */
export class PipeReadTransport implements ReadFlow {
  readonly streams: readonly Readable[];
  readonly io: HostIo | null;
  readonly reader: StreamReader;
  #open: number;

  constructor(streams: readonly Readable[], io: HostIo | null, limit: number) {
    this.streams = streams;
    this.io = io;
    this.#open = streams.length;
    this.reader = new StreamReader({ limit });
    this.reader._attach(this);
    for (const stream of streams) {
      let ended = false;
      const onEnd = (): void => {
        if (ended) return;
        ended = true;
        this.io?.activity();
        if (--this.#open === 0) this.reader.feedEof();
      };
      stream.on('data', this.#onData);
      stream.on('end', onEnd);
      stream.on('close', onEnd);
      stream.on('error', this.#onError);
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    this.io?.activity();
    this.reader._feed(chunk);
  };

  readonly #onError = (error: Error): void => {
    this.io?.activity();
    this.reader.setException(error);
  };

  pauseReading(): void {
    for (const stream of this.streams) stream.pause();
  }

  resumeReading(): void {
    for (const stream of this.streams) stream.resume();
  }
}

/** A child's stdin, written through a `StreamWriter`. */
export class PipeWriteTransport implements WriteTransport {
  readonly stream: Writable;
  readonly io: HostIo | null;
  readonly kind = 'pipe';
  readonly writer: StreamWriter;
  #grace: ReturnType<typeof setTimeout> | null = null;

  constructor(stream: Writable, io: HostIo | null) {
    this.stream = stream;
    this.io = io;
    this.writer = StreamWriter._open(this, null);
    stream.on('drain', this.#onDrain);
    // EPIPE once the child has exited or closed its stdin: the writer fails, the
    // process does not (an 'error' event without a listener would end it).
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
  }

  readonly #onDrain = (): void => {
    this.io?.activity();
    this.writer._onDrain();
  };

  readonly #onError = (error: Error): void => {
    this.io?.activity();
    this.writer._onLost(error);
  };

  readonly #onClose = (): void => {
    this.io?.activity();
    if (this.#grace !== null) clearTimeout(this.#grace);
    this.writer._onClose();
  };

  write(data: Uint8Array | string): void {
    this.stream.write(data);
  }

  cork(): void {
    this.stream.cork();
  }

  uncork(): void {
    this.stream.uncork();
  }

  writeEof(): void {
    this.stream.end();
  }

  canWriteEof(): boolean {
    return true;
  }

  needsDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  bufferSize(): number {
    return this.stream.writableLength;
  }

  close(): void {
    const stream = this.stream;
    if (stream.destroyed) return;
    stream.end();
    if (stream.writableFinished) stream.destroy();
    else stream.once('finish', () => stream.destroy());
    this.#grace = setTimeout(() => stream.destroy(), CLOSE_GRACE);
    this.#grace.unref();
  }

  abort(): void {
    this.stream.destroy();
  }

  extraInfo(name: string): unknown {
    return name === 'pipe' ? this.stream : undefined;
  }
}
