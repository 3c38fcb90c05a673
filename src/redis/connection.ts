/**
 * How `corio/redis` talks to Redis: through the node-redis client the user
 * passes (`@redis/client` 6, `createClient()`), by `sendCommand` alone, so any
 * client of that family fits (modules, scripts, RESP 2 or 3, type mappings).
 * Scripts go by `EVALSHA`, falling back to `EVAL` when the server does not know
 * them (a restart); a consumer group that is missing (`NOGROUP`: a restart
 * without persistence) is recreated, reported through the loop's exception
 * handler, and the step retried once.
 *
 * A reply is awaited by `reply()`: a cancellation point that stops waiting at
 * once, without parking the task. A round trip holds a `VirtualClock` still, as
 * a wait on a host promise does, so `timeout(100, () => queue.put(x))` does not
 * expire while the reply is on its way; only a wait for other machines (an
 * empty queue, a full one) parks and lets virtual time jump.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<number>({ client, name: 'connection-example' });
 *   await client.sendCommand(['XGROUP', 'DESTROY', 'corio:{connection-example}', 'workers']);
 *   await queue.put(1); // the group is gone: the put still lands
 *   const job = await queue.get(); // NOGROUP: recreated, reported, retried
 *   console.log('got', job.value);
 *   await job.ack();
 * });
 * client.destroy();
 * // => got 1
 * ```
 * @module
 */
import { CancelledError, type EventLoop } from '../index.js';
import { currentCancelNode } from '../core/lowlevel.js';
import type { Script } from './scripts.js';

/** A value Redis takes as an argument. */
export type RedisArgument = string | Buffer;

/**
 * What `corio/redis` uses of a node-redis client (`@redis/client` 6): every
 * client made by `createClient()` has it. corio sends its commands on this
 * client and opens up to two duplicates of its own (`duplicate()`): one for
 * Pub/Sub, at open, and one for blocking reads, when a `get()` first waits. It
 * closes them with the queue; the client itself stays the caller's to close.
 */
export interface NodeRedisClient {
  sendCommand(
    args: readonly RedisArgument[],
    options?: { readonly typeMapping?: object },
  ): Promise<unknown>;
  duplicate(): NodeRedisClient;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  SUBSCRIBE(
    channel: string,
    listener: (message: string, channel: string) => unknown,
  ): Promise<void>;
}

// Replies in node-redis's plain shapes (strings, numbers, arrays, objects),
// whatever type mapping the caller's client has.
const PLAIN = Object.freeze({ typeMapping: Object.freeze({}) });

/** The error of a Redis reply (node-redis's `SimpleError`/`ErrorReply`), by its message. */
export const replyError = (error: unknown, code: string): boolean =>
  error instanceof Error && error.message.startsWith(code);

/**
 * Sends a queue's commands and scripts on the caller's client.
 *
 * Invariant: a `NOGROUP` reply recreates the group and retries the step once; a
 * second one is thrown.
 */
export class Commands {
  readonly client: NodeRedisClient;
  readonly keys: readonly string[];
  readonly group: string;
  readonly consumer: string;
  readonly channel: string;
  readonly #loop: EventLoop;
  readonly #name: string;

  constructor(
    client: NodeRedisClient,
    keys: readonly string[],
    names: { readonly group: string; readonly consumer: string; readonly channel: string },
    loop: EventLoop,
    name: string,
  ) {
    this.client = client;
    this.keys = keys;
    this.group = names.group;
    this.consumer = names.consumer;
    this.channel = names.channel;
    this.#loop = loop;
    this.#name = name;
  }

  /** One command, its reply in plain shapes. */
  send(args: readonly RedisArgument[]): Promise<unknown> {
    return this.client.sendCommand(args, PLAIN);
  }

  /** Creates the group (from the stream's start, so nothing put before is missed) unless it exists. */
  async createGroup(): Promise<boolean> {
    try {
      await this.send(['XGROUP', 'CREATE', this.keys[0] as string, this.group, '0', 'MKSTREAM']);
      return true;
    } catch (error) {
      if (replyError(error, 'BUSYGROUP')) return false;
      throw error;
    }
  }

  /** Runs `script` with the queue's keys and `group, consumer, channel, ...args`. */
  async run(script: Script, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.#eval(script, args);
    } catch (error) {
      if (!replyError(error, 'NOGROUP')) throw error;
      await this.recreateGroup();
      return await this.#eval(script, args);
    }
  }

  /**
   * Times a `NOGROUP` reply was seen (whoever recreated the group): a lease lost
   * after it is explained by it, not by a silence (`LeaseLostError.groupRecreated`).
   */
  groupLosses = 0;

  /** After a `NOGROUP` reply: recreates the group and says so. */
  async recreateGroup(): Promise<void> {
    this.groupLosses++;
    if (await this.createGroup()) {
      this.#loop.callExceptionHandler({
        message:
          `corio/redis: the consumer group '${this.group}' of the work queue '${this.#name}' ` +
          'was missing (a Redis restart without persistence?); it was recreated, and jobs held ' +
          'before are lost to this group',
      });
    }
  }

  async #eval(script: Script, args: readonly (string | number)[]): Promise<unknown> {
    const tail = [String(this.keys.length), ...this.keys, this.group, this.consumer, this.channel];
    for (const arg of args) tail.push(String(arg));
    try {
      return await this.send(['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      if (!replyError(error, 'NOSCRIPT')) throw error;
      return await this.send(['EVAL', script.source, ...tail]);
    }
  }
}

/**
 * Awaits `pending` as a cancellation point: rejects at once with the
 * `CancelledError` when the calling code is cancelled (or `signal` aborts),
 * without parking the task, so virtual time holds while the reply travels. A
 * reply that arrives after the caller left goes to `late` (an entry fetched for
 * a getter that is gone is kept for the next one).
 *
 * **Cancellation:** always a cancellation point; a cancelled caller stops
 * waiting at once, and the command goes on in Redis (its effect may or may not
 * happen).
 */
export function reply<T>(
  pending: Promise<T>,
  signal: AbortSignal | undefined,
  late?: (value: T) => void,
): Promise<T> {
  const own = currentCancelNode()?.signal;
  if (own === undefined && signal === undefined) return pending;
  // Cancelled already (while `pending` was being started): no abort event will come.
  if (own?.aborted === true || signal?.aborted === true) {
    pending.then(
      (value) => late?.(value),
      () => {},
    );
    return Promise.reject(
      own?.aborted === true ? (own.reason as Error) : signalCancel(signal as AbortSignal),
    );
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const off = (): void => {
      own?.removeEventListener('abort', onOwn);
      signal?.removeEventListener('abort', onSignal);
    };
    const stop = (reason: unknown): void => {
      if (settled) return;
      settled = true;
      off();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(reason);
    };
    const onOwn = (): void => {
      stop(own?.reason);
    };
    const onSignal = (): void => {
      stop(signalCancel(signal as AbortSignal));
    };
    own?.addEventListener('abort', onOwn);
    signal?.addEventListener('abort', onSignal);
    pending.then(
      (value) => {
        if (settled) {
          late?.(value);
          return;
        }
        settled = true;
        off();
        resolve(value);
      },
      (error: unknown) => {
        stop(error);
      },
    );
  });
}

/** The `CancelledError` of a wait whose `signal` aborted (as corio's own waits make it). */
export function signalCancel(signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledError) return reason;
  return new CancelledError('the operation was aborted by its signal', {
    source: 'signal',
    cause: reason,
  });
}
