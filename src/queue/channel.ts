/**
 * Memory channels (Trio's `open_memory_channel`): `openChannel(capacity)` returns a
 * `[send, receive]` pair. A send waits while the buffer is full; capacity 0 is a
 * rendezvous (each send waits for a receiver) and `Infinity` never waits. Each end
 * can be `clone()`d for several producers or consumers; the channel ends for
 * receivers once every send end is closed and the buffer is drained
 * (`EndOfChannel`, or the end of a `for await`), and sends fail once every
 * receive end is closed (`BrokenResourceError`).
 *
 * A failed send hands its value back on the error (`err.value`): nothing is
 * silently dropped. A value a receiver takes from a waiting sender completes that
 * send, even if the sender is cancelled at that moment (its cancellation comes at
 * its next checkpoint); a receiver cancelled as a value is handed to it gives the
 * value back first in line.
 *
 * @example
 * ```ts
 * import { openChannel, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const [send, receive] = openChannel<string>(0);
 *   await taskGroup((tg) => {
 *     for (const name of ['a', 'b']) {
 *       const producer = send.clone();
 *       tg.spawn(async () => {
 *         using out = producer;
 *         for (let i = 1; i <= 2; i++) await out.send(`${name}${i}`);
 *       });
 *     }
 *     send.close();
 *     tg.spawn(async () => {
 *       for await (const value of receive) {
 *         console.log(value);
 *         await sleep(1);
 *       }
 *       console.log('every producer closed');
 *     });
 *   });
 * }, { clock: new VirtualClock() });
 * // => a1
 * // => b1
 * // => a2
 * // => b2
 * // => every producer closed
 * ```
 * @module
 */
import { Deque } from '../_internal/deque.js';
import { inspectSymbol, show } from '../_internal/inspect.js';
import { checkMadeBy, checkSize } from '../_internal/validate.js';
import { ParkingLot } from '../core/parking-lot.js';
import {
  enterWait,
  park,
  parkThen,
  rejected,
  RESOLVED,
  resumed,
  type SignalOptions,
  type Suspension,
  throwIfCancelled,
} from '../core/suspend.js';

/** Receiving from a channel whose send ends are all closed and whose buffer is empty (Trio's). */
export class EndOfChannel extends Error {
  static {
    this.prototype.name = 'EndOfChannel';
  }
}

/** A failed send or receive: the error's `value` is the value that was not sent. */
class ChannelError extends Error {
  /** The value a failed send did not deliver (`undefined` for receives). */
  readonly value: unknown;

  constructor(message: string, value?: unknown) {
    super(message);
    this.value = value;
  }
}

/** Using a channel end that was closed (Trio's `ClosedResourceError`). */
export class ClosedResourceError extends ChannelError {
  static {
    this.prototype.name = 'ClosedResourceError';
  }
}

/** Sending when every receive end is closed (Trio's `BrokenResourceError`). */
export class BrokenResourceError extends ChannelError {
  static {
    this.prototype.name = 'BrokenResourceError';
  }
}

/** A `sendNowait()`/`receiveNowait()` that would have to wait (Trio's `WouldBlock`). */
export class WouldBlock extends ChannelError {
  static {
    this.prototype.name = 'WouldBlock';
  }
}

export interface ChannelStatistics {
  readonly currentBufferUsed: number;
  readonly maxBufferSize: number;
  readonly openSendChannels: number;
  readonly openReceiveChannels: number;
  readonly tasksWaitingSend: number;
  readonly tasksWaitingReceive: number;
  readonly tasksWaiting: number;
}

interface SendTicket {
  readonly handle: SendChannel<unknown>;
  readonly value: unknown;
}

class ChannelState<T> {
  readonly capacity: number;
  readonly buffer = new Deque<T>();
  // Receivers wait only while the buffer is empty; a send hands them its value,
  // and that completes the receive (committed, Trio's rule): a receiver cancelled
  // at that moment still returns the value, and meets its cancellation at its
  // next checkpoint. Giving the value back instead could push the buffer past
  // its capacity, or leave a rendezvous send complete with nobody holding the
  // value (#11, a fuzzer finding). Their ticket is their receive end (to fail
  // them when it closes).
  readonly receivers: ParkingLot<T> = new ParkingLot<T>({ committed: true });
  // Senders wait while the buffer is full, with their value in their ticket. A
  // receiver takes it and wakes them: that completes the send (committed).
  readonly senders = new ParkingLot({ committed: true });
  openSenders = 1;
  openReceivers = 1;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  // A sender's value moves into the buffer (or to the receiver), and its send is done.
  takeFromSender(): T {
    const ticket = this.senders.peek() as SendTicket;
    this.senders.wakeOne(undefined);
    return ticket.value as T;
  }

  statistics(): ChannelStatistics {
    return Object.freeze({
      currentBufferUsed: this.buffer.size,
      maxBufferSize: this.capacity,
      openSendChannels: this.openSenders,
      openReceiveChannels: this.openReceivers,
      tasksWaitingSend: this.senders.size,
      tasksWaitingReceive: this.receivers.size,
      tasksWaiting: this.senders.size + this.receivers.size,
    });
  }

  describe(name: string, closed: boolean): string {
    const cap = this.capacity === Infinity ? '∞' : String(this.capacity);
    return show(name, [closed ? 'closed' : 'open', `buffer=${this.buffer.size}/${cap}`], {
      senders: this.senders.size,
      receivers: this.receivers.size,
    });
  }
}

/** What both ends of a channel share: closing, disposal, statistics, printing. */
abstract class ChannelEnd<T> implements Disposable, AsyncDisposable {
  /** @internal */
  readonly _state: ChannelState<T>;
  /** @internal */
  _closed = false;

  // Protected: ends are made by openChannel() and clone().
  protected constructor(state: ChannelState<T>) {
    checkMadeBy(`new ${new.target.name}()`, state instanceof ChannelState, 'openChannel()');
    this._state = state;
  }

  /** Closes this end; see each end's `close()`. */
  abstract close(): void;

  isClosed(): boolean {
    return this._closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return RESOLVED;
  }

  statistics(): ChannelStatistics {
    return this._state.statistics();
  }

  [inspectSymbol](): string {
    return this._state.describe(this.constructor.name, this._closed);
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}

/** The sending end of a memory channel. */
export class SendChannel<T> extends ChannelEnd<T> {
  /** @internal */
  static _open<T>(state: ChannelState<T>): SendChannel<T> {
    return new SendChannel(state);
  }

  /**
   * Sends `value`, waiting while the buffer is full (with capacity 0: until a
   * receiver takes it).
   *
   * **Cancellation:** always a cancellation point. A sender cancelled while waiting
   * has sent nothing. Once a receiver has taken the value the send is complete,
   * even if the sender was cancelled at that moment.
   *
   * @throws {BrokenResourceError} if every receive end is closed (`err.value` is `value`).
   * @throws {ClosedResourceError} if this end is closed, before or while waiting.
   */
  send(value: T, options?: SignalOptions): Promise<void> {
    // Not async (see sleep()): no frame per send, one shared reaction when it waits.
    try {
      enterWait('SendChannel.send()', options);
      if (this.#offer(value)) return RESOLVED;
      const ticket: SendTicket = { handle: this, value };
      return parkThen(
        this._state.senders.enqueue('SendChannel.send', options?.signal, ticket),
        afterSend,
      );
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Sends `value` if that needs no waiting.
   *
   * @throws {WouldBlock} if the buffer is full (`err.value` is `value`).
   * @throws {BrokenResourceError} / {ClosedResourceError} as `send()`.
   */
  sendNowait(value: T): void {
    if (!this.#offer(value)) {
      throw new WouldBlock('SendChannel.sendNowait(): the channel buffer is full', value);
    }
  }

  // Delivers at once if it can; false when the sender must wait.
  #offer(value: T): boolean {
    const state = this._state;
    if (this._closed)
      throw new ClosedResourceError('SendChannel.send(): this send end is closed', value);
    if (state.openReceivers === 0) {
      throw new BrokenResourceError('SendChannel.send(): every receive end is closed', value);
    }
    if (state.receivers.wakeOne(value)) return true;
    if (state.buffer.size < state.capacity && state.senders.size === 0) {
      state.buffer.push(value);
      return true;
    }
    return false;
  }

  /**
   * A new send end of the same channel; the channel's send side closes when every
   * clone is closed.
   *
   * @throws {ClosedResourceError} if this end is closed.
   */
  clone(): SendChannel<T> {
    if (this._closed) throw new ClosedResourceError('SendChannel.clone(): this send end is closed');
    this._state.openSenders++;
    return new SendChannel(this._state);
  }

  /**
   * Closes this end: its waiting sends fail with `ClosedResourceError`; when it was
   * the last send end, receivers get `EndOfChannel` once the buffer is drained.
   * Idempotent.
   */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    const state = this._state;
    state.senders.failWhere(
      (ticket) => (ticket as SendTicket).handle === this,
      (ticket) =>
        new ClosedResourceError(
          'SendChannel.send(): the send end was closed while waiting',
          (ticket as SendTicket).value,
        ),
    );
    if (--state.openSenders === 0) {
      state.receivers.failAll(
        () => new EndOfChannel('ReceiveChannel.receive(): every send end is closed'),
      );
    }
  }
}

/** The receiving end of a memory channel; `for await` receives until the channel ends. */
export class ReceiveChannel<T> extends ChannelEnd<T> implements AsyncIterable<T> {
  /** @internal */
  static _open<T>(state: ChannelState<T>): ReceiveChannel<T> {
    return new ReceiveChannel(state);
  }

  /**
   * Receives the next value, waiting while there is none.
   *
   * **Cancellation:** always a cancellation point. A receiver cancelled while
   * waiting takes nothing. Once a sender has handed it a value the receive is
   * complete, even if the receiver was cancelled at that moment (Trio): it
   * returns the value, and the cancellation comes at its next checkpoint.
   *
   * @throws {EndOfChannel} once every send end is closed and the buffer is empty.
   * @throws {ClosedResourceError} if this end is closed, before or while waiting.
   */
  receive(options?: SignalOptions): Promise<T> {
    try {
      enterWait('ReceiveChannel.receive()', options);
      if (this.#ready()) return Promise.resolve(this.#take());
      return park(this._state.receivers.enqueue('ReceiveChannel.receive', options?.signal, this));
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Receives a value if one is there.
   *
   * @throws {WouldBlock} if there is none yet.
   * @throws {EndOfChannel} / {ClosedResourceError} as `receive()`.
   */
  receiveNowait(): T {
    if (this.#ready()) return this.#take();
    throw new WouldBlock('ReceiveChannel.receiveNowait(): no value is waiting');
  }

  // True when a value can be taken now; throws when none ever will.
  #ready(): boolean {
    const state = this._state;
    if (this._closed)
      throw new ClosedResourceError('ReceiveChannel.receive(): this receive end is closed');
    if (state.buffer.size > 0 || state.senders.size > 0) return true;
    if (state.openSenders === 0)
      throw new EndOfChannel('ReceiveChannel.receive(): every send end is closed');
    return false;
  }

  #take(): T {
    const state = this._state;
    if (state.buffer.size === 0) return state.takeFromSender();
    const value = state.buffer.shift();
    if (state.senders.size > 0) state.buffer.push(state.takeFromSender());
    return value;
  }

  /**
   * A new receive end of the same channel: clones share the values, each value
   * going to one receiver.
   *
   * @throws {ClosedResourceError} if this end is closed.
   */
  clone(): ReceiveChannel<T> {
    if (this._closed)
      throw new ClosedResourceError('ReceiveChannel.clone(): this receive end is closed');
    this._state.openReceivers++;
    return new ReceiveChannel(this._state);
  }

  /**
   * Closes this end: its waiting receives fail with `ClosedResourceError`; when it
   * was the last receive end, the buffer is discarded and waiting and later sends
   * fail with `BrokenResourceError` (each carrying its value). Idempotent.
   */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    const state = this._state;
    state.receivers.failWhere(
      (ticket) => ticket === this,
      () =>
        new ClosedResourceError(
          'ReceiveChannel.receive(): the receive end was closed while waiting',
        ),
    );
    if (--state.openReceivers === 0) {
      state.buffer.clear();
      state.senders.failAll(
        (ticket) =>
          new BrokenResourceError(
            'SendChannel.send(): every receive end is closed',
            (ticket as SendTicket).value,
          ),
      );
    }
  }

  /** Receives until the channel ends (every send end closed, buffer drained). */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.#next() };
  }

  // receive() as an iterator step, without an async frame or a second promise.
  #next(): Promise<IteratorResult<T, undefined>> {
    try {
      throwIfCancelled();
      if (this.#ready()) return Promise.resolve({ done: false, value: this.#take() });
      return parkThen(
        this._state.receivers.enqueue('ReceiveChannel.receive', null, this),
        received<T>,
        endOfChannel,
      );
    } catch (error) {
      return error instanceof EndOfChannel
        ? Promise.resolve({ done: true, value: undefined })
        : rejected(error);
    }
  }
}

const afterSend = (s: unknown): void => {
  resumed(s as Suspension);
};

const received = <T>(s: unknown): IteratorResult<T, undefined> => {
  resumed(s as Suspension);
  return { done: false, value: (s as Suspension<T>).value as T };
};

// The end of the channel ends a `for await`; any other error is thrown.
const endOfChannel = (error: unknown): IteratorResult<never, undefined> => {
  if (error instanceof EndOfChannel) return { done: true, value: undefined };
  throw error;
};

/**
 * Opens a memory channel with room for `capacity` values (0: rendezvous;
 * `Infinity`: unbounded) and returns its two ends.
 *
 * @throws {RangeError} unless `capacity` is an integer >= 0 or `Infinity`.
 */
export function openChannel<T>(
  capacity: number,
): [send: SendChannel<T>, receive: ReceiveChannel<T>] {
  const state = new ChannelState<T>(checkSize('openChannel()', 'capacity', capacity));
  return [SendChannel._open(state), ReceiveChannel._open(state)];
}
