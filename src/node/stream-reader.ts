/**
 * `StreamReader` (asyncio's): the receiving half of a connection. Bytes from the
 * socket go into the reader's own buffer; `read()`, `readline()`, `readUntil()`
 * and `readExactly()` wait on that buffer as corio waits and take bytes out only
 * when they return, so a read cancelled while it waits loses nothing. The buffer
 * holds at most `2 × limit` before the socket is paused (backpressure), and a
 * line or separator longer than `limit` is refused with `LimitOverrunError`, so a
 * peer cannot make a reader hold more than that. One task reads at a time.
 *
 * A reader can also be fed by hand (asyncio's `feed_data`/`feed_eof`), to test a
 * protocol parser without a socket.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { StreamReader } from 'corio/node';
 *
 * await run(async () => {
 *   const reader = new StreamReader({ limit: 16 });
 *   reader.feedData(Buffer.from('HELO x\r\nDATA 5\r\nhello'));
 *   reader.feedEof();
 *   console.log(String(await reader.readUntil('\r\n')).trim());
 *   const size = Number(String(await reader.readline()).split(' ')[1]);
 *   console.log(String(await reader.readExactly(size)), reader.atEof());
 * });
 * // => HELO x
 * // => hello true
 * ```
 * @module
 */
import { InvalidStateError, type SignalOptions } from '../index.js';
import {
  parkThen,
  rejected,
  resumed,
  suspend,
  type Suspension,
  throwIfCancelled,
  type WaitKind,
  wake,
  fail,
} from '../core/lowlevel.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkBoolean,
  checkCount,
  checkOptions,
  checkSignal,
  checkSignalOptions,
  describe,
  optionNames,
} from '../_internal/validate.js';
import type { HostIo } from './host-wait.js';

/** The default line and separator limit, in bytes: 64 KiB, asyncio's `2 ** 16`. */
export const DEFAULT_LIMIT = 65_536;

/**
 * The stream ended before the read could complete (asyncio's
 * `IncompleteReadError`): `partial` holds the bytes that were there, taken out of
 * the buffer.
 */
export class IncompleteReadError extends Error {
  static {
    this.prototype.name = 'IncompleteReadError';
  }
  /** The bytes read before the end of the stream. */
  readonly partial: Buffer;
  /** How many bytes `readExactly()` wanted; `null` for `readUntil()`. */
  readonly expected: number | null;

  constructor(partial: Buffer, expected: number | null) {
    super(
      `${partial.length} bytes read on a total of ${expected === null ? 'undefined' : expected} expected bytes`,
    );
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * A line or a separator was not found within the reader's `limit` (asyncio's
 * `LimitOverrunError`). `readUntil()` leaves the bytes in the buffer;
 * `readline()` discards the over-long line (up to and with its newline, or the
 * whole buffer when it has none yet), as asyncio's does.
 */
export class LimitOverrunError extends Error {
  static {
    this.prototype.name = 'LimitOverrunError';
  }
  /** How many bytes were looked at without finding the separator within the limit. */
  readonly consumed: number;

  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}

/**
 * A second task called a read method while another task's read was still
 * waiting on the same reader (Trio's `BusyResourceError`; asyncio raises
 * `RuntimeError`). Which of the two would get the next bytes is undefined, so
 * neither is allowed to guess.
 */
export class BusyResourceError extends Error {
  static {
    this.prototype.name = 'BusyResourceError';
  }
}

export interface StreamReaderOptions {
  /**
   * The longest line or separator-terminated chunk, in bytes, and half the buffer
   * size at which the socket is paused. Default 65,536.
   */
  readonly limit?: number;
}

export interface LinesOptions extends SignalOptions {
  /** Keep each line's `\n` (or `\r\n`); default false. */
  readonly keepEnds?: boolean;
}

export interface ChunksOptions extends SignalOptions {
  /** The largest chunk to yield, in bytes; default the reader's `limit`. */
  readonly size?: number;
}

export interface StreamReaderStatistics {
  /** Bytes received and not read yet. */
  readonly buffered: number;
  /** True while the reader has paused its socket (buffer past `2 × limit`). */
  readonly paused: boolean;
  /** True once the peer's end of stream (or `feedEof()`) arrived. */
  readonly eof: boolean;
  readonly limit: number;
  /** 1 while a read waits for bytes, else 0. */
  readonly tasksWaiting: number;
}

/**
 * @internal The receiving side of a transport, which the reader pauses and
 * resumes; `io` is set for real I/O under a clock that jumps when idle.
 */
export interface ReadFlow {
  pauseReading(): void;
  resumeReading(): void;
  readonly io: HostIo | null;
}

const READER_OPTIONS = optionNames<StreamReaderOptions>({ limit: true });
const LINES_OPTIONS = optionNames<LinesOptions>({ keepEnds: true, signal: true });
const CHUNKS_OPTIONS = optionNames<ChunksOptions>({ size: true, signal: true });

const EMPTY: Buffer = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');
const NEED: unique symbol = Symbol('need more bytes');
type Attempt = Buffer | typeof NEED;

// The read a parked task is doing, kept in the reader (one reader at a time).
const READ = 0;
const ALL = 1;
const EXACTLY = 2;
const UNTIL = 3;
const LINE = 4;
const DESCRIPTION = [
  'StreamReader.read',
  'StreamReader.read (to EOF)',
  'StreamReader.readExactly',
  'StreamReader.readUntil',
  'StreamReader.readline',
];

// How a read hands its result over (see shaped()).
const AS_IS = 0;
const STEP = 1;
const TEXT = 2;
const TEXT_ENDS = 3;

// An owned buffer bigger than this is dropped once empty, so a read to EOF of a
// large stream does not keep its buffer.
const KEEP_BUFFER = 1 << 18;

export class StreamReader {
  // Bytes received and not read: #buf[#start, #end). #buf is either a chunk handed
  // over by the transport (#owned false: never written to) or the reader's own.
  #buf: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  #owned = false;
  #eof = false;
  #failed = false;
  #error: unknown = undefined;
  readonly #limit: number;
  // Pause the transport above #high buffered bytes, resume at #low or below.
  #high: number;
  #low: number;
  #flow: ReadFlow | null = null;
  #io: HostIo | null = null;
  #paused = false;
  // The parked read, if any. Invariant: #waiter !== null implies #busy.
  #waiter: Suspension | null = null;
  // A read is in progress: from its park until it returns or throws.
  #busy = false;
  #op = READ;
  #shape = AS_IS;
  #n = 0;
  #sep: Buffer = NEWLINE;
  // Bytes from #start known not to hold #sep (asyncio's `offset` in readuntil);
  // reset whenever bytes are taken or a new separator read begins.
  #scanned = 0;

  constructor(options?: StreamReaderOptions) {
    checkOptions('new StreamReader()', 'options', options, READER_OPTIONS);
    const limit = options?.limit ?? DEFAULT_LIMIT;
    checkCount('new StreamReader()', 'options.limit', limit, 1);
    this.#limit = limit;
    this.#high = 2 * limit;
    this.#low = limit;
  }

  /** The line and separator limit, in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** @internal Connects the reader to its transport (corio/node's own streams). */
  _attach(flow: ReadFlow, high?: number, low?: number): void {
    this.#flow = flow;
    this.#io = flow.io;
    if (high !== undefined) this.#high = high;
    if (low !== undefined) this.#low = low;
  }

  /** @internal Feeds a chunk the reader may keep as it is (the transport's own). */
  _feed(chunk: Buffer): void {
    if (this.#eof) {
      throw new InvalidStateError('StreamReader.feedData(): called after feedEof()');
    }
    if (chunk.length === 0) return;
    this.#append(chunk);
    if (this.#waiter !== null) {
      // A read that still needs more must get it: no pause under it.
      if (!this.#satisfied()) return;
      this.#wakeReader();
    }
    if (!this.#paused && this.#flow !== null && this.#end - this.#start > this.#high) {
      this.#paused = true;
      this.#flow.pauseReading();
    }
  }

  /**
   * Appends bytes to the buffer, as if they had arrived (asyncio's `feed_data`);
   * the bytes are copied.
   *
   * @throws {InvalidStateError} after `feedEof()`.
   */
  feedData(data: Uint8Array | string): void {
    if (typeof data === 'string') this._feed(Buffer.from(data));
    else if (data instanceof Uint8Array) this._feed(Buffer.from(data));
    else {
      throw new TypeError(
        `StreamReader.feedData(): \`data\` must be a Uint8Array or a string, got ${describe(data)}`,
      );
    }
  }

  /** Marks the end of the stream (asyncio's `feed_eof`): reads return what is left, then EOF. */
  feedEof(): void {
    if (this.#eof) return;
    this.#eof = true;
    if (this.#waiter !== null) this.#wakeReader();
  }

  /**
   * Fails the reader (asyncio's `set_exception`): the waiting read and every later
   * one throw `error`, bytes still buffered or not.
   */
  setException(error: unknown): void {
    this.#failed = true;
    this.#error = error;
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      this.#busy = false;
      this.#io?.end();
      fail(w, error);
    }
  }

  /** The error the reader failed with (`setException`, a socket error), or `undefined`. */
  exception(): unknown {
    return this.#error;
  }

  /** True when the stream has ended and every byte has been read (asyncio's `at_eof`). */
  atEof(): boolean {
    return this.#eof && this.#start === this.#end;
  }

  /**
   * Reads up to `n` bytes (asyncio's `read`): as soon as at least one byte is
   * buffered, returns what is there, up to `n`; an empty buffer at EOF returns an
   * empty buffer. Without `n` (or with a negative `n`), reads until EOF and
   * returns everything. `read(0)` returns an empty buffer at once.
   *
   * **Cancellation:** cancel-safe. A cancelled read took nothing: every byte is
   * still buffered for the next read, and a read to EOF keeps all it gathered.
   *
   * @throws {BusyResourceError} if another task's read is waiting on this reader.
   */
  read(n = -1, options?: SignalOptions): Promise<Buffer> {
    try {
      if (typeof n !== 'number' || !Number.isInteger(n)) {
        throw new RangeError(
          `StreamReader.read(): \`n\` must be an integer (negative: until EOF), got ${describe(n)}`,
        );
      }
      const signal = this.#enter('read', options);
      if (n === 0) return this.#nothing(signal);
      this.#n = n;
      return this.#run(n < 0 ? ALL : READ, signal, AS_IS) as Promise<Buffer>;
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Reads one line, up to and with its `\n` (asyncio's `readline`). At EOF it
   * returns the last, unterminated line, then empty buffers.
   *
   * **Cancellation:** cancel-safe: a cancelled `readline()` took nothing.
   *
   * @throws {LimitOverrunError} when the line is longer than `limit`: the line is
   * discarded (up to and with its `\n`, or the whole buffer when it has none yet).
   * @throws {BusyResourceError} if another task's read is waiting on this reader.
   */
  readline(options?: SignalOptions): Promise<Buffer> {
    try {
      const signal = this.#enter('readline', options);
      this.#sep = NEWLINE;
      this.#scanned = 0;
      return this.#run(LINE, signal, AS_IS) as Promise<Buffer>;
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Reads up to and with `separator` (asyncio's `readuntil`).
   *
   * **Cancellation:** cancel-safe: a cancelled `readUntil()` took nothing.
   *
   * @throws {IncompleteReadError} when the stream ends first; `partial` holds the
   * rest of the stream, now taken out of the buffer.
   * @throws {LimitOverrunError} when `separator` is not within `limit` bytes; the
   * bytes stay in the buffer.
   * @throws {BusyResourceError} if another task's read is waiting on this reader.
   */
  readUntil(separator: Uint8Array | string = NEWLINE, options?: SignalOptions): Promise<Buffer> {
    try {
      let sep: Buffer;
      if (typeof separator === 'string') sep = Buffer.from(separator);
      else if (separator instanceof Uint8Array) {
        sep = Buffer.isBuffer(separator) ? separator : Buffer.from(separator);
      } else {
        throw new TypeError(
          `StreamReader.readUntil(): \`separator\` must be a Uint8Array or a string, got ${describe(separator)}`,
        );
      }
      if (sep.length === 0) {
        throw new RangeError('StreamReader.readUntil(): `separator` must be at least one byte');
      }
      const signal = this.#enter('readUntil', options);
      this.#sep = sep;
      this.#scanned = 0;
      return this.#run(UNTIL, signal, AS_IS) as Promise<Buffer>;
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Reads exactly `n` bytes (asyncio's `readexactly`); `n` may exceed `limit`.
   *
   * **Cancellation:** cancel-safe: a cancelled `readExactly()` took nothing, even
   * when part of the `n` bytes had arrived.
   *
   * @throws {IncompleteReadError} when the stream ends first; `partial` holds the
   * bytes that were there, now taken out of the buffer.
   * @throws {BusyResourceError} if another task's read is waiting on this reader.
   */
  readExactly(n: number, options?: SignalOptions): Promise<Buffer> {
    try {
      checkCount('StreamReader.readExactly()', 'n', n);
      const signal = this.#enter('readExactly', options);
      if (n === 0) return this.#nothing(signal);
      this.#n = n;
      return this.#run(EXACTLY, signal, AS_IS) as Promise<Buffer>;
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * `for await (const line of reader)`: the lines, each with its `\n`, until EOF
   * (asyncio's `async for line in reader`). Leaving the loop early leaves the
   * connection open and the unread bytes buffered (Node's socket iterator destroys
   * the socket).
   *
   * **Cancellation:** each step is a `readline()`: cancel-safe.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    const iterator: AsyncIterableIterator<Buffer> = {
      next: () => this.#iterate(LINE, STEP, 0, undefined) as Promise<IteratorResult<Buffer>>,
      return: () => Promise.resolve(DONE),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * The lines as strings (UTF-8), without their `\n` or `\r\n` unless `keepEnds`,
   * until EOF. Leaving the loop early leaves the connection open.
   *
   * **Cancellation:** each step is a `readline()`: cancel-safe.
   *
   * @example
   * ```ts
   * import { run } from 'corio';
   * import { StreamReader } from 'corio/node';
   *
   * await run(async () => {
   *   const reader = new StreamReader();
   *   reader.feedData('one\r\ntwo\nthree');
   *   reader.feedEof();
   *   for await (const line of reader.lines()) console.log(JSON.stringify(line));
   * });
   * // => "one"
   * // => "two"
   * // => "three"
   * ```
   */
  lines(options?: LinesOptions): AsyncIterableIterator<string> {
    checkOptions('StreamReader.lines()', 'options', options, LINES_OPTIONS);
    checkBoolean('StreamReader.lines()', 'options.keepEnds', options?.keepEnds);
    checkSignal('StreamReader.lines()', options?.signal);
    const shape = options?.keepEnds === true ? TEXT_ENDS : TEXT;
    const readOptions = options?.signal === undefined ? undefined : { signal: options.signal };
    const iterator: AsyncIterableIterator<string> = {
      next: () => this.#iterate(LINE, shape, 0, readOptions) as Promise<IteratorResult<string>>,
      return: () => Promise.resolve(DONE),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * The bytes as they come, in chunks of at most `size` (default `limit`), until
   * EOF. Leaving the loop early leaves the connection open.
   *
   * **Cancellation:** each step is a `read()`: cancel-safe.
   */
  chunks(options?: ChunksOptions): AsyncIterableIterator<Buffer> {
    checkOptions('StreamReader.chunks()', 'options', options, CHUNKS_OPTIONS);
    checkSignal('StreamReader.chunks()', options?.signal);
    const size = options?.size ?? this.#limit;
    checkCount('StreamReader.chunks()', 'options.size', size, 1);
    const readOptions = options?.signal === undefined ? undefined : { signal: options.signal };
    const iterator: AsyncIterableIterator<Buffer> = {
      next: () => this.#iterate(READ, STEP, size, readOptions) as Promise<IteratorResult<Buffer>>,
      return: () => Promise.resolve(DONE),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  statistics(): StreamReaderStatistics {
    return Object.freeze({
      buffered: this.#end - this.#start,
      paused: this.#paused,
      eof: this.#eof,
      limit: this.#limit,
      tasksWaiting: this.#waiter === null ? 0 : 1,
    });
  }

  [inspectSymbol](): string {
    const words: string[] = [];
    if (this.#eof) words.push('eof');
    if (this.#failed) words.push('failed');
    if (this.#paused) words.push('paused');
    if (this.#waiter !== null) words.push(DESCRIPTION[this.#op]?.slice(13) ?? 'reading');
    return show('StreamReader', words, {
      buffered: this.#end - this.#start,
      limit: this.#limit === DEFAULT_LIMIT ? undefined : this.#limit,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }

  // One step of an iteration: a readline() or read(n) whose result is handed over
  // as the iterator's step, with no promise in between.
  #iterate(
    op: number,
    shape: number,
    n: number,
    options: SignalOptions | undefined,
  ): Promise<IteratorResult<Buffer | string>> {
    try {
      const signal = this.#enter(op === LINE ? 'readline' : 'read', options);
      this.#n = n;
      this.#sep = NEWLINE;
      this.#scanned = 0;
      return this.#run(op, signal, shape) as Promise<IteratorResult<Buffer>>;
    } catch (error) {
      return rejected(error);
    }
  }

  // The opening every read shares: its options, and one reader at a time.
  #enter(method: string, options: SignalOptions | undefined): AbortSignal | undefined {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      checkSignalOptions(`StreamReader.${method}()`, options);
      signal = options.signal;
    }
    if (this.#busy) {
      throwIfCancelled(signal);
      throw new BusyResourceError(
        `StreamReader.${method}(): another task is already waiting to read from this reader`,
      );
    }
    return signal;
  }

  // Runs a read: the checkpoint, then the bytes at hand or a wait for more.
  #run(op: number, signal: AbortSignal | undefined, shape: number): Promise<unknown> {
    // Nothing buffered and the stream open: the read waits, and suspend() is its
    // checkpoint (one look-up of the current scope instead of two, on the path
    // every request-response read takes).
    if (this.#start === this.#end && !this.#eof && !this.#failed) {
      return this.#park(op, signal, shape);
    }
    throwIfCancelled(signal);
    const got = this.#attempt(op);
    if (got === NEED) return this.#park(op, signal, shape);
    return Promise.resolve(shape === AS_IS ? got : shaped(got, shape));
  }

  // read(0), readExactly(0): a checkpoint, the reader's error, or nothing.
  #nothing(signal: AbortSignal | undefined): Promise<Buffer> {
    throwIfCancelled(signal);
    if (this.#failed) throw this.#error;
    return Promise.resolve(EMPTY);
  }

  // Runs the read `op` on the buffer: its result, or NEED to wait for more bytes.
  #attempt(op: number): Attempt {
    // asyncio: a failed reader throws its error even with bytes still buffered.
    if (this.#failed) throw this.#error;
    const size = this.#end - this.#start;
    switch (op) {
      case READ:
        if (size > 0) return this.#take(Math.min(this.#n, size));
        return this.#eof ? EMPTY : NEED;
      case ALL:
        if (!this.#eof) return NEED;
        return size > 0 ? this.#take(size) : EMPTY;
      case EXACTLY:
        if (size >= this.#n) return this.#take(this.#n);
        if (this.#eof) throw new IncompleteReadError(this.#take(size), this.#n);
        return NEED;
      default:
        return this.#until(op === LINE);
    }
  }

  // readUntil / readline (asyncio's readuntil and its readline wrapper).
  #until(line: boolean): Attempt {
    const sep = this.#sep;
    const seplen = sep.length;
    const size = this.#end - this.#start;
    if (size - this.#scanned >= seplen) {
      const at = this.#find(sep, this.#scanned);
      if (at !== -1) {
        if (at > this.#limit) {
          this.#overrun(line, at, 'the separator is found, but the chunk before it is longer');
        }
        return this.#take(at + seplen);
      }
      // A separator may start in the last seplen - 1 bytes: look there again.
      this.#scanned = size + 1 - seplen;
    }
    if (this.#scanned > this.#limit) {
      this.#overrun(line, this.#scanned, 'the separator is not found, and the chunk is longer');
    }
    if (!this.#eof) return NEED;
    // At EOF: readline returns the last, unterminated line; readUntil fails with it.
    const rest = size > 0 ? this.#take(size) : EMPTY;
    if (line) return rest;
    throw new IncompleteReadError(rest, null);
  }

  #overrun(line: boolean, consumed: number, what: string): never {
    const error = new LimitOverrunError(`${what} than the limit (${this.#limit} bytes)`, consumed);
    if (line) {
      // asyncio's readline: drop the over-long line, with its newline if it has one.
      const at = this.#find(this.#sep, consumed);
      if (at === consumed) this.#discard(consumed + this.#sep.length);
      else this.#discard(this.#end - this.#start);
    }
    throw error;
  }

  // Would the parked read complete (or fail) now? Checked on every chunk, so a
  // waiting read is woken only to return: its promise never chains a new wait.
  #satisfied(): boolean {
    const size = this.#end - this.#start;
    switch (this.#op) {
      case READ:
        return true;
      case ALL:
        return false;
      case EXACTLY:
        return size >= this.#n;
      default: {
        const seplen = this.#sep.length;
        if (size - this.#scanned < seplen) return false;
        if (this.#find(this.#sep, this.#scanned) !== -1) return true;
        this.#scanned = size + 1 - seplen;
        return this.#scanned > this.#limit;
      }
    }
  }

  // The index of `sep` relative to #start, searching from `from`; -1 if absent.
  #find(sep: Buffer, from: number): number {
    const buf = this.#buf;
    const start = this.#start;
    // A match that runs past #end is not in the data; nor is any later one.
    const at =
      sep.length === 1
        ? buf.indexOf(sep[0] as number, start + from)
        : buf.indexOf(sep, start + from);
    return at === -1 || at + sep.length > this.#end ? -1 : at - start;
  }

  #append(chunk: Buffer): void {
    const n = chunk.length;
    const size = this.#end - this.#start;
    if (size === 0 && !(this.#owned && n <= this.#buf.length)) {
      // Nothing buffered: keep the chunk itself.
      this.#buf = chunk;
      this.#start = 0;
      this.#end = n;
      this.#owned = false;
      return;
    }
    if (this.#owned && this.#end + n <= this.#buf.length) {
      chunk.copy(this.#buf, this.#end);
      this.#end += n;
      return;
    }
    if (this.#owned && size + n <= this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * (size + n), 16_384));
      this.#buf.copy(grown, 0, this.#start, this.#end);
      this.#buf = grown;
      this.#owned = true;
    }
    this.#start = 0;
    this.#end = size;
    chunk.copy(this.#buf, size);
    this.#end = size + n;
  }

  // Takes the first n buffered bytes out, as a buffer of their own.
  #take(n: number): Buffer {
    const start = this.#start;
    let out: Buffer;
    if (!this.#owned && start === 0 && n === this.#buf.length) out = this.#buf;
    else {
      out = Buffer.allocUnsafe(n);
      this.#buf.copy(out, 0, start, start + n);
    }
    this.#discard(n);
    return out;
  }

  #discard(n: number): void {
    this.#start += n;
    this.#scanned = 0;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (!this.#owned || this.#buf.length > KEEP_BUFFER) {
        this.#buf = EMPTY;
        this.#owned = false;
      }
    }
    if (this.#paused && this.#end - this.#start <= this.#low) {
      this.#paused = false;
      this.#flow?.resumeReading();
    }
  }

  #park(op: number, signal: AbortSignal | undefined, shape = AS_IS): Promise<Buffer> {
    this.#op = op;
    this.#shape = shape;
    // A read that needs more bytes must get them, even past the pause mark
    // (asyncio's _wait_for_data: readExactly(n > limit) would deadlock).
    if (this.#paused) {
      this.#paused = false;
      this.#flow?.resumeReading();
    }
    const s = suspend(
      DESCRIPTION[op] as string,
      this,
      this.#io === null ? StreamReader.#LOCAL : StreamReader.#HOST,
      signal,
    );
    this.#waiter = s;
    this.#busy = true;
    this.#io?.begin();
    return parkThen(s, StreamReader.#afterWake) as Promise<Buffer>;
  }

  #wakeReader(): void {
    const w = this.#waiter as Suspension;
    this.#waiter = null;
    this.#io?.end();
    wake(w, undefined);
  }

  // The one reaction of every woken read: nothing was taken while it slept, so a
  // cancellation that came meanwhile throws with the bytes still buffered.
  static readonly #afterWake = (s: Suspension): Buffer | Promise<Buffer> => {
    const reader = s.owner as StreamReader;
    reader.#busy = false;
    resumed(s);
    const got = reader.#attempt(reader.#op);
    if (got === NEED) return reader.#park(reader.#op, s.signal ?? undefined, reader.#shape);
    return reader.#shape === AS_IS ? got : (shaped(got, reader.#shape) as Buffer);
  };

  static readonly #abort = (s: Suspension): boolean => {
    const reader = s.owner as StreamReader;
    reader.#waiter = null;
    reader.#busy = false;
    reader.#io?.end();
    return true;
  };

  // A read on real I/O: only the host ends it. A read on an in-memory stream: any task can.
  // (Arrows, so the class is read when they run: compiled to ES2022, a static
  // initializer that reads the class by name runs before the name is bound.)
  static readonly #HOST: WaitKind = {
    abort: (s) => StreamReader.#abort(s),
    waitingOn: () => null,
  };
  static readonly #LOCAL: WaitKind = { abort: (s) => StreamReader.#abort(s) };
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

// A read's result as the caller wants it: as it is, or as an iterator's step
// (a buffer, or the line decoded without its `\n` or `\r\n`, or with it).
function shaped(got: Buffer, shape: number): unknown {
  if (shape === AS_IS) return got;
  if (got.length === 0) return DONE;
  if (shape === STEP) return { value: got, done: false };
  let end = got.length;
  if (shape === TEXT && got[end - 1] === 10) end -= end > 1 && got[end - 2] === 13 ? 2 : 1;
  return { value: got.toString('utf8', 0, end), done: false };
}
