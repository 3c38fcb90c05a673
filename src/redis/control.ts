/**
 * A work queue's control channel: one Pub/Sub subscription (on a connection of
 * its own) that carries what other machines tell this one. A `cancel(id)` from
 * anywhere arrives here and aborts the running job's signal; the scripts'
 * notices wake the waits that depend on other machines: `idle` (the queue
 * emptied: `join()`), `space` (a job left a full queue: a waiting `put()`),
 * `work` (a job was given back: an idle reader looks again at once).
 *
 * Pub/Sub is at-most-once (a message sent while the subscriber reconnects is
 * lost), so nothing relies on it alone: a cancel also leaves a tombstone that
 * every heartbeat checks, and the waits look again every `POLL_MS` of real time.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run, taskGroup } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<string>({ client, name: 'control-example' });
 *   await queue.put('a');
 *   await taskGroup(async (tg) => {
 *     tg.spawn(async () => {
 *       await queue.join(); // woken by the ack's `idle` notice
 *       console.log('joined');
 *     });
 *     const job = await queue.get();
 *     console.log('acking', job.value);
 *     await job.ack();
 *   });
 * });
 * client.destroy();
 * // => acking a
 * // => joined
 * ```
 * @module
 */
import { type EventLoop } from '../index.js';
import { ParkingLot } from '../core/lowlevel.js';
import { type NodeRedisClient, reply } from './connection.js';

/** Real ms between two looks of a wait on other machines, in case a notice was lost. */
export const POLL_MS = 1000;

export type Notice = 'idle' | 'space';

export interface ControlHandlers {
  /** A `cancel(id)` for `job`, from any machine. */
  cancel(job: string, reason: string): void;
  /** A job was given back and can be taken at once. */
  work(): void;
}

/**
 * Invariant: `#poll` is set iff a task waits for a notice (in `#idle` or `#space`).
 */
export class Control {
  readonly #client: NodeRedisClient;
  readonly #channel: string;
  readonly #handlers: ControlHandlers;
  readonly #loop: EventLoop;
  #sub: NodeRedisClient | null = null;
  #started: Promise<void> | null = null;
  #closed = false;
  readonly #idle = new ParkingLot();
  readonly #space = new ParkingLot();
  #poll: ReturnType<typeof setInterval> | null = null;

  constructor(
    client: NodeRedisClient,
    channel: string,
    handlers: ControlHandlers,
    loop: EventLoop,
  ) {
    this.#client = client;
    this.#channel = channel;
    this.#handlers = handlers;
    this.#loop = loop;
  }

  /** Subscribes (once); resolves when the subscription is in place. */
  start(): Promise<void> {
    // Closed (a cancelled open, a closed queue): a late start must not open a connection
    // nobody will close. A wait then looks every POLL_MS.
    if (this.#closed) return Promise.resolve();
    this.#started ??= this.#subscribe();
    return this.#started;
  }

  async #subscribe(): Promise<void> {
    const sub = this.#client.duplicate();
    this.#sub = sub;
    let reported = false;
    sub.on('error', (error) => {
      if (reported || this.#closed) return;
      reported = true;
      this.#loop.callExceptionHandler({
        message: 'corio/redis: the control connection failed; it reconnects by itself',
        error,
      });
    });
    sub.on('ready', () => {
      reported = false;
      // Whatever was said while we were away is lost: look again.
      this.#wakeAll();
      this.#handlers.work();
    });
    await sub.connect();
    // close() came while it connected (its destroy() may not stop a connect under
    // way): it is ours to end.
    if (this.#isClosed()) {
      sub.destroy();
      return;
    }
    await sub.SUBSCRIBE(this.#channel, (message) => {
      this.#message(message);
    });
  }

  // A method, not the field: a read after an await must not be narrowed away.
  #isClosed(): boolean {
    return this.#closed;
  }

  #message(message: string): void {
    if (message === 'idle') this.#idle.wakeAll(undefined);
    else if (message === 'space') this.#space.wakeAll(undefined);
    else if (message === 'work') this.#handlers.work();
    else if (message.startsWith('[')) {
      const [verb, job, reason] = JSON.parse(message) as [string, string, string];
      if (verb === 'cancel') this.#handlers.cancel(job, reason);
    }
  }

  /**
   * Waits for `notice`, or at most `POLL_MS`: the caller looks again either way.
   *
   * **Cancellation:** a cancellation point; a cancelled waiter leaves nothing behind.
   */
  async wait(notice: Notice, signal: AbortSignal | undefined): Promise<void> {
    await reply(this.start(), signal);
    const lot = notice === 'idle' ? this.#idle : this.#space;
    this.#poll ??= setInterval(() => {
      this.#wakeAll();
    }, POLL_MS);
    try {
      await lot.park(`WorkQueue: waiting for '${notice}'`, signal);
    } finally {
      if (this.#idle.size + this.#space.size === 0) this.#stopPolling();
    }
  }

  /** Wakes every wait for a notice (a shutdown: they look, and see it). */
  wakeAll(): void {
    this.#wakeAll();
  }

  #wakeAll(): void {
    this.#idle.wakeAll(undefined);
    this.#space.wakeAll(undefined);
  }

  #stopPolling(): void {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
  }

  /** Closes the subscription's connection. */
  close(): void {
    this.#closed = true;
    this.#stopPolling();
    this.#sub?.destroy();
    this.#sub = null;
  }
}
