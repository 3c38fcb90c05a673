/**
 * A work queue that many processes on many machines share: corio's `Queue`
 * (`put`, `get`, `taskDone`, `join`, `shutdown`, `for await`) on a Redis
 * stream and its consumer group, plus `serve()` (a worker's loop) and
 * `cancel(id)` from any machine. Delivery is at-least-once: a job leaves the
 * queue only when acked; a worker that dies has its jobs reclaimed after the
 * visibility timeout; a worker that is silent past it (a blocked event loop)
 * loses its lease, its job's task is cancelled and its ack fails with
 * `LeaseLostError`, so a job never silently runs twice.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run, taskGroup } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<{ url: string }>({ client, name: 'pages' });
 *   await taskGroup(async (tg) => {
 *     tg.spawn(async () => {
 *       for await (const job of queue) { // what a worker process does
 *         console.log('fetching', job.value.url, 'attempt', job.attempt);
 *         await queue.taskDone(job);
 *       }
 *     });
 *     await queue.put({ url: 'https://example.com/' }, { id: 'home' }); // what a producer does
 *     await queue.join();
 *     const { length, pending, dead } = await queue.statistics();
 *     console.log({ length, pending, dead });
 *     await queue.shutdown();
 *   });
 * });
 * client.destroy();
 * // => fetching https://example.com/ attempt 1
 * // => { length: 0, pending: 0, dead: 0 }
 * ```
 * @module
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkBoolean,
  checkCount,
  checkFunction,
  checkInstance,
  checkMadeBy,
  checkObject,
  checkOptions,
  checkSignal,
  checkSize,
  checkString,
  checkTimerMs,
  describe,
  MAX_TIMER_MS,
  optionNames,
} from '../_internal/validate.js';
import {
  CancelledError,
  type EventLoop,
  QueueShutDown,
  cancelScope,
  moveOnAfter,
} from '../index.js';
import {
  currentLoop,
  enterWait,
  rejected,
  type SignalOptions,
  throwIfCancelled,
} from '../core/lowlevel.js';
import { Commands, type NodeRedisClient, reply } from './connection.js';
import { Control } from './control.js';
import { Delivery, type DeliveryHost } from './delivery.js';
import { type FetchHost, Fetcher, type RawEntry } from './fetcher.js';
import { Leases } from './lease.js';
import {
  ACK_AND_FETCH,
  CANCEL,
  NACK,
  NUDGE,
  PUT,
  STATISTICS,
  channelOf,
  keysOf,
  script,
} from './scripts.js';
import { type JobHandler, type ServeOptions, serveJobs } from './serve.js';

/** How values travel: a string each way (default: JSON). */
export interface Codec<T> {
  encode(value: T): string;
  decode(text: string): T;
}

export interface WorkQueueOptions<T> {
  /** A connected node-redis client (`createClient()` of `@redis/client` 6); it stays yours to close. */
  readonly client: NodeRedisClient;
  /** The queue's name: its keys are `corio:{name}…` (one hash tag, so one cluster slot). */
  readonly name: string;
  /** The consumer group its workers share (default `'workers'`). */
  readonly group?: string;
  /** This worker's name in the group (default `host:pid:random`, new for each open). */
  readonly consumer?: string;
  /**
   * Ms a job may go without a heartbeat before another worker takes it (default
   * 30,000; from 10 to 2,147,483,647, a host timer's limit).
   */
  readonly visibilityTimeout?: number;
  /** Ms between two renewals of the leases held (default a third of the visibility timeout; shorter than it). */
  readonly heartbeat?: number;
  /** Deliveries a job gets before it goes to the dead-letter stream `corio:{name}:dead` (default 5). */
  readonly maxDeliveries?: number;
  /** `put()` waits while this many jobs are unfinished (default: no limit; 0 also means none). */
  readonly maxsize?: number;
  /** How values are written and read (default: JSON). */
  readonly codec?: Codec<T>;
}

export interface PutOptions extends SignalOptions {
  /**
   * The job's id: a put whose id is already queued or running adds nothing
   * (dedup), and handlers can key their effects on it (idempotency). Default:
   * the id Redis gives the entry.
   */
  readonly id?: string;
}

export interface WorkQueueShutdownOptions {
  /** Also stop the jobs this worker runs now (their signals abort) and give them back at once. */
  readonly immediate?: boolean;
}

export interface WorkQueueStatistics {
  /** Unfinished jobs: waiting plus pending (acked jobs are deleted, so this is the backlog). */
  readonly length: number;
  /** Jobs delivered to a worker and not yet acked (the group's pending entries). */
  readonly pending: number;
  /** Jobs not yet delivered to any worker. */
  readonly waiting: number;
  /** Consumers the group knows. */
  readonly consumers: number;
  /** Jobs in the dead-letter stream. */
  readonly dead: number;
  /** Deliveries this worker holds (running, or kept for its next `get()`). */
  readonly held: number;
  /** Tasks of this worker waiting in `get()`. */
  readonly gettersWaiting: number;
}

const OPEN_OPTIONS = optionNames<WorkQueueOptions<unknown>>({
  client: 'required',
  name: 'required',
  group: true,
  consumer: true,
  visibilityTimeout: true,
  heartbeat: true,
  maxDeliveries: true,
  maxsize: true,
  codec: true,
});
const PUT_OPTIONS = optionNames<PutOptions>({ id: true, signal: true });
const SHUTDOWN_OPTIONS = optionNames<WorkQueueShutdownOptions>({ immediate: true });
const SERVE_OPTIONS = optionNames<ServeOptions>({ concurrency: true, backoff: true });

const PUT_SCRIPT = script(PUT);
const NACK_SCRIPT = script(NACK);
const CANCEL_SCRIPT = script(CANCEL);
const STATISTICS_SCRIPT = script(STATISTICS);
const NUDGE_SCRIPT = script(NUDGE);
const ACK_AND_FETCH_SCRIPT = script(ACK_AND_FETCH);

const JSON_CODEC: Codec<never> = Object.freeze({
  encode: (value: unknown): string => JSON.stringify(value),
  decode: (text: string): never => JSON.parse(text) as never,
});

const MADE = Symbol('WorkQueue');

/** The longest a tombstone may outlive its cancel: a week (the job's end deletes it anyway). */
const TOMBSTONE_MAX = 7 * 24 * 3600_000;

/**
 * Opens the work queue `name` on the client's Redis (7.0 or newer), creating
 * its stream and consumer group if they do not exist.
 *
 * **Cancellation:** a cancellation point; a cancelled open has opened nothing
 * (the group it may have created stays, as it would anyway).
 *
 * @throws {TypeError} if the client is not a node-redis client, or the server is older than Redis 7.
 * @throws {RangeError} if an option is out of range: `visibilityTimeout` and
 *   `heartbeat` feed host timers, so neither may pass 2,147,483,647 ms.
 */
export async function openWorkQueue<T>(options: WorkQueueOptions<T>): Promise<WorkQueue<T>> {
  const queue = WorkQueue._create<T>(options);
  throwIfCancelled();
  try {
    await reply(queue._open(), undefined);
  } catch (error) {
    queue._closeConnections();
    throw error;
  }
  return queue;
}

export class WorkQueue<T> implements AsyncIterable<Delivery<T>>, AsyncDisposable {
  /** The queue's name. */
  readonly name: string;
  /** The consumer group. */
  readonly group: string;
  /** This worker's consumer name. */
  readonly consumer: string;
  /** Ms without a heartbeat after which another worker takes a job. */
  readonly visibilityTimeout: number;
  /** Ms between two renewals of the leases. */
  readonly heartbeat: number;
  /** Deliveries a job gets before it is dead-lettered (`Infinity`: no limit). */
  readonly maxDeliveries: number;
  /** Unfinished jobs at which `put()` waits (`Infinity`: no limit). */
  readonly maxsize: number;
  readonly #codec: Codec<T>;
  readonly #loop: EventLoop;
  readonly #commands: Commands;
  readonly #leases: Leases;
  readonly #fetcher: Fetcher;
  readonly #control: Control;
  // What the deliveries, the reader and serve() see of the queue: made once.
  readonly #hosting: FetchHost & DeliveryHost;
  // A job cancelled by a message that arrived before its delivery: job id → heartbeat count.
  readonly #recentCancels = new Map<string, { reason: string; beats: number }>();
  #beats = 0;
  #shutdown = false;
  #closed = false;

  /** @internal Made by `openWorkQueue()` only. */
  static _create<T>(options: WorkQueueOptions<T>): WorkQueue<T> {
    return new WorkQueue<T>(MADE, options);
  }

  private constructor(token: symbol, options: WorkQueueOptions<T>) {
    checkMadeBy('new WorkQueue()', token === MADE, 'openWorkQueue()');
    const o = checkOpenOptions(options);
    this.name = o.name;
    this.group = o.group;
    this.consumer = o.consumer;
    this.visibilityTimeout = o.visibilityTimeout;
    this.heartbeat = o.heartbeat;
    this.maxDeliveries = o.maxDeliveries;
    this.maxsize = o.maxsize;
    this.#codec = options.codec ?? JSON_CODEC;
    this.#loop = currentLoop();
    const names = { group: o.group, consumer: o.consumer, channel: channelOf(o.name) };
    this.#commands = new Commands(options.client, keysOf(o.name), names, this.#loop, o.name);
    this.#hosting = this.#host();
    this.#leases = new Leases(this.#commands, this.heartbeat, this.#loop, () => {
      this.#tick();
    });
    this.#fetcher = new Fetcher(this.#hosting);
    this.#control = new Control(
      options.client,
      names.channel,
      {
        cancel: (job, reason) => {
          this.#cancelled(job, reason);
        },
        work: () => {
          this.#fetcher.nudge();
        },
      },
      this.#loop,
    );
  }

  #host(): FetchHost & DeliveryHost {
    const max = this.maxDeliveries === Infinity ? 0 : this.maxDeliveries;
    const tick = Math.max(10, Math.min(1000, Math.floor(this.visibilityTimeout / 4)));
    return {
      name: this.name,
      commands: this.#commands,
      visibility: this.visibilityTimeout,
      maxDeliveries: max,
      tick,
      forget: Math.max(60_000, 10 * this.visibilityTimeout),
      drop: (d: Delivery<unknown>) => {
        this.#leases.drop(d);
      },
      deliveries: (entries: readonly RawEntry[]) => this.#deliveries(entries),
      report: (message: string, error: unknown) => {
        this.#report(message, error);
      },
      giveBack: (deliveries: readonly Delivery<unknown>[]) => {
        this.#giveBack(deliveries, null);
      },
      due: (ms: number) => {
        // Without this the job is found at the next reclaim pass, up to a tick later.
        setTimeout(
          () => {
            if (this.#closed) return;
            this.#commands.run(NUDGE_SCRIPT, []).catch(() => {});
          },
          Math.min(ms + 1, MAX_TIMER_MS),
        ).unref();
      },
    };
  }

  /** @internal */
  async _open(): Promise<void> {
    const info = String(await this.#commands.send(['INFO', 'server']));
    const version = /redis_version:(\d+)\./.exec(info)?.[1];
    if (version !== undefined && Number(version) < 7) {
      throw new TypeError(
        `openWorkQueue(): the server runs Redis ${version}; corio/redis needs Redis 7.0 or newer`,
      );
    }
    // A cancelled open closed the queue while a reply was on its way: it goes no further
    // (and Control.start() opens nothing once closed).
    if (this.#isClosed()) return;
    await this.#commands.createGroup();
    if (this.#isClosed()) return;
    // Subscribed before the first delivery, so a cancel sent while it runs is heard.
    await this.#control.start();
  }

  // A method, not the field: a read after an await must not be narrowed away.
  #isClosed(): boolean {
    return this.#closed;
  }

  /** @internal */
  _closeConnections(): void {
    this.#closed = true;
    this.#leases.close();
    this.#fetcher.close();
    this.#control.close();
  }

  // Raw entries → held deliveries; one that cannot be decoded goes to the dead-letter stream.
  #deliveries(entries: readonly RawEntry[]): Delivery<unknown>[] {
    const made: Delivery<unknown>[] = [];
    for (const [entry, fields, attempt] of entries) {
      const id = fieldOf(fields, 'id') ?? entry;
      let value: T;
      try {
        value = this.#codec.decode(fieldOf(fields, 'v') ?? '');
      } catch (error) {
        this.#bury(entry, attempt, id, error);
        continue;
      }
      const d = Delivery._make<T>(this.#hosting, entry, id, attempt, value) as Delivery<unknown>;
      this.#leases.hold(d);
      const early = this.#recentCancels.get(id);
      if (early !== undefined) d._cancel(early.reason);
      made.push(d);
    }
    return made;
  }

  #bury(entry: string, attempt: number, id: string, error: unknown): void {
    const why = `the value could not be decoded: ${error instanceof Error ? error.message : String(error)}`;
    this.#report(`corio/redis: job ${JSON.stringify(id)} went to the dead-letter stream`, error);
    const args = [entry, attempt, id, 0, this.visibilityTimeout, 0, why, '1'];
    this.#commands.run(NACK_SCRIPT, args).catch((e: unknown) => {
      this.#report(`corio/redis: job ${JSON.stringify(id)} could not be dead-lettered`, e);
    });
  }

  #cancelled(job: string, reason: string): void {
    const held = this.#leases.find(job);
    for (const d of held) d._cancel(reason);
    if (held.length === 0) this.#recentCancels.set(job, { reason, beats: this.#beats });
  }

  #tick(): void {
    this.#beats++;
    for (const [job, { beats }] of this.#recentCancels) {
      if (beats < this.#beats - 2) this.#recentCancels.delete(job);
    }
    const stale = this.#fetcher.stale();
    if (stale.length > 0) this.#giveBack(stale, null);
  }

  #giveBack(deliveries: readonly Delivery<unknown>[], reason: CancelledError | null): void {
    Delivery._release(deliveries, reason).catch((error: unknown) => {
      this.#report(
        'corio/redis: jobs could not be given back; they return after the visibility timeout',
        error,
      );
    });
  }

  #report(message: string, error: unknown): void {
    this.#loop.callExceptionHandler({ message, error });
  }

  /**
   * Adds a job and returns its id. With `id`, a job whose id is already queued
   * or running is not added again (the same id is returned). Waits while
   * `maxsize` jobs are unfinished.
   *
   * **Cancellation:** always a cancellation point. Cancelled while waiting for
   * room, nothing was added; cancelled while the reply is on its way, the job
   * may or may not have been added (a put with an `id` can be repeated safely).
   *
   * @throws {QueueShutDown} if this queue handle was shut down.
   * @throws {RangeError} if `options.id` is empty.
   */
  async put(value: T, options?: PutOptions): Promise<string> {
    checkOptions('WorkQueue.put()', 'options', options, PUT_OPTIONS);
    // An empty id would be taken as none: the dedup its caller counts on, silently lost.
    checkName('WorkQueue.put()', 'options.id', options?.id);
    if (options?.signal !== undefined) checkSignal('WorkQueue.put()', options.signal);
    const signal = options?.signal;
    throwIfCancelled(signal);
    if (this.#shutdown) throw shutDown('put');
    const text = this.#encode(value);
    const limit = this.maxsize === Infinity ? 0 : this.maxsize;
    for (;;) {
      const [status, id] = (await reply(
        this.#commands.run(PUT_SCRIPT, [text, options?.id ?? '', limit]),
        signal,
      )) as [number, string];
      if (status !== 2) return id;
      await this.#control.wait('space', signal);
      if (this.#isShutDown()) throw shutDown('put');
    }
  }

  // A method, not the field: a read after an await must not be narrowed away.
  #isShutDown(): boolean {
    return this.#shutdown;
  }

  #encode(value: T): string {
    const text = this.#codec.encode(value);
    if (typeof text !== 'string') {
      throw new TypeError(
        `WorkQueue.put(): the codec must encode \`value\` as a string, got ${describe(text)}` +
          (value === undefined ? ' (JSON has no undefined: put null, or give a codec)' : ''),
      );
    }
    return text;
  }

  /**
   * Takes the next job: one kept from an earlier fetch, else one reclaimed from
   * a worker that went silent, else the oldest new one; waits while there is
   * none. The delivery is this worker's until it is acked, given back or its
   * lease is lost; the queue renews its lease every heartbeat.
   *
   * **Cancellation:** always a cancellation point, and cancel-safe: a cancelled
   * `get()` has taken nothing; a job fetched for it as it was cancelled is kept
   * for the next `get()` (and given back to the other workers if nobody asks
   * within a heartbeat).
   *
   * @throws {QueueShutDown} if this queue handle was shut down.
   */
  get(options?: SignalOptions): Promise<Delivery<T>> {
    try {
      enterWait('WorkQueue.get()', options);
      return this.#fetcher.take(1, options?.signal, 'get').then(first) as Promise<Delivery<T>>;
    } catch (error) {
      return rejected(error);
    }
  }

  /** @internal For serve(): one to `max` deliveries. */
  _take(max: number): Promise<Delivery<T>[]> {
    return this.#fetcher.take(max, undefined, 'get') as Promise<Delivery<T>[]>;
  }

  /**
   * Marks a job done: `delivery.ack()` (asyncio's `taskDone()`, for a job got
   * from this queue handle; a delivery of another one is refused).
   *
   * **Cancellation:** as `Delivery.ack()`.
   *
   * @throws {LeaseLostError} if the lease was lost: nothing was done.
   * @throws {RangeError} if `delivery` was got from another queue handle: nothing was done.
   */
  async taskDone(delivery: Delivery<T>): Promise<void> {
    // The constructor is private: the check takes the class as a plain function.
    const made = Delivery as unknown as abstract new () => unknown;
    checkInstance('WorkQueue.taskDone()', 'delivery', delivery, made, 'a Delivery');
    const from = delivery._host();
    if (from !== this.#hosting) {
      // Acking it would end a job of another queue (or another worker's lease) silently.
      const other =
        from.name === this.name ? 'another handle of it' : `the queue ${JSON.stringify(from.name)}`;
      throw new RangeError(
        `WorkQueue.taskDone(): \`delivery\` must be a delivery got from this handle of the queue ` +
          `${JSON.stringify(this.name)}, got one of ${other}; call \`delivery.ack()\` to ack it there`,
      );
    }
    await delivery.ack();
  }

  /**
   * Waits until the queue has no unfinished job: nothing waiting, nothing
   * running, on any worker (acked jobs are deleted, so the stream is empty).
   * Woken by the last ack's notice; looks again every second in case it was lost.
   *
   * **Cancellation:** always a cancellation point; a cancelled joiner leaves nothing behind.
   */
  async join(options?: SignalOptions): Promise<void> {
    enterWait('WorkQueue.join()', options);
    const signal = options?.signal;
    const stream = this.#commands.keys[0] as string;
    for (;;) {
      await reply(this.#control.start(), signal);
      if ((await reply(this.#commands.send(['XLEN', stream]), signal)) === 0) return;
      await this.#control.wait('idle', signal);
    }
  }

  /**
   * Shuts this worker's handle down (asyncio 3.13's `shutdown()`, for one
   * machine): `put()` and `get()` fail with `QueueShutDown` from now on (waiting
   * ones at once), jobs fetched and not yet handed out go back to the other
   * workers at once, and `serve()` stops fetching and returns when its running
   * jobs end. With `immediate`, the running jobs are stopped too (their signals
   * abort, `serve()` cancels their tasks) and given back at once. The queue
   * itself, in Redis, goes on for every other worker: nothing is lost.
   *
   * **Cancellation:** a cancellation point on entry; the handle is shut down
   * even if the caller is cancelled while the jobs are being given back.
   */
  async shutdown(options?: WorkQueueShutdownOptions): Promise<void> {
    checkOptions('WorkQueue.shutdown()', 'options', options, SHUTDOWN_OPTIONS);
    checkBoolean('WorkQueue.shutdown()', 'options.immediate', options?.immediate);
    throwIfCancelled();
    const back = this.#shutdown ? [] : this.#fetcher.shut();
    this.#shutdown = true;
    this.#control.wakeAll();
    if (options?.immediate === true) back.push(...this.#leases.all());
    if (back.length === 0) return;
    const reason = new CancelledError(`the work queue ${JSON.stringify(this.name)} was shut down`);
    await cancelScope(
      () =>
        moveOnAfter(this.visibilityTimeout, () =>
          reply(Delivery._release(back, reason), undefined),
        ),
      { shield: true },
    );
  }

  /**
   * Runs `handler(value, job)` on the queue's jobs, at most `concurrency` at
   * once, until the queue handle is shut down; see `serve()`'s outcomes in the
   * module `corio/redis` docs (ack on return, retry on throw, dead-letter on the
   * last attempt, no retry after a cancel, `LeaseLostError` reported).
   *
   * **Cancellation:** cancelling `serve()` stops fetching, aborts the running
   * jobs' signals (with the `CancelledError` as reason), cancels their tasks,
   * waits for them, and gives their jobs back at once to the other workers;
   * then it throws `CancelledError`.
   */
  async serve(handler: JobHandler<T>, options?: ServeOptions): Promise<void> {
    checkFunction('WorkQueue.serve()', 'handler', handler);
    checkOptions('WorkQueue.serve()', 'options', options, SERVE_OPTIONS);
    const concurrency =
      options?.concurrency === undefined
        ? 1
        : checkCount('WorkQueue.serve()', 'options.concurrency', options.concurrency, 1);
    if (options?.backoff !== undefined) {
      checkFunction('WorkQueue.serve()', 'options.backoff', options.backoff);
    }
    throwIfCancelled();
    const host = {
      take: (max: number) => this._take(max),
      ackAndFetch: (job: Delivery<T>) =>
        job._ackFetching(
          ACK_AND_FETCH_SCRIPT,
          [this.#shutdown ? 0 : 1, ...this.#fetcher.fetchArgs()],
          (entries) => {
            this.#fetcher.offer(this.#deliveries(entries as RawEntry[]));
          },
        ),
      maxDeliveries: this.maxDeliveries === Infinity ? 0 : this.maxDeliveries,
      visibility: this.visibilityTimeout,
      report: (message: string, error: unknown) => {
        this.#report(message, error);
      },
    };
    await serveJobs(host, handler, concurrency, options?.backoff ?? (() => 0));
  }

  /**
   * Cancels job `id` wherever it is: a job not yet started is removed; a running
   * one has its `signal` aborted on the worker that runs it (through Pub/Sub,
   * and a tombstone every heartbeat checks, in case the message is lost), and is
   * not retried. Returns false when no unfinished job has that id.
   *
   * **Cancellation:** a cancellation point; cancelled while the reply is on its
   * way, the cancel may or may not have happened.
   *
   * @throws {RangeError} if `id` is empty.
   */
  async cancel(id: string, reason?: string): Promise<boolean> {
    checkName('WorkQueue.cancel()', 'id', id, true);
    checkString('WorkQueue.cancel()', 'reason', reason);
    throwIfCancelled();
    const max = this.maxDeliveries === Infinity ? 1000 : this.maxDeliveries + 1;
    const ttl = Math.min(TOMBSTONE_MAX, this.visibilityTimeout * max + 60_000);
    const status = await reply(
      this.#commands.run(CANCEL_SCRIPT, [id, reason ?? '', ttl]),
      undefined,
    );
    return status !== 0;
  }

  /**
   * The queue's counts in Redis, and this worker's own.
   *
   * **Cancellation:** a cancellation point; nothing changes either way.
   */
  async statistics(): Promise<WorkQueueStatistics> {
    throwIfCancelled();
    const [length, pending, consumers, dead] = (await reply(
      this.#commands.run(STATISTICS_SCRIPT, []),
      undefined,
    )) as [number, number, number, number];
    return Object.freeze({
      length,
      pending,
      waiting: Math.max(0, length - pending),
      consumers,
      dead,
      held: this.#leases.size,
      gettersWaiting: this.#fetcher.waiting,
    });
  }

  /**
   * Shuts the handle down immediately (the jobs it holds go back at once) and
   * closes its own connections; the client passed in stays open. What `await
   * using` calls.
   *
   * **Cancellation:** not a cancellation point: it finishes even in a cancelled
   * task (in a shielded scope, bounded by the visibility timeout).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await cancelScope(() => this.shutdown({ immediate: true }), { shield: true });
    this._closeConnections();
  }

  /** `await using queue = await openWorkQueue(…)`: `close()` at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** `for await (const job of queue)`: gets jobs until the handle is shut down. */
  [Symbol.asyncIterator](): AsyncIterator<Delivery<T>, undefined> {
    return {
      next: async (): Promise<IteratorResult<Delivery<T>, undefined>> => {
        try {
          return { done: false, value: await this.get() };
        } catch (error) {
          if (error instanceof QueueShutDown) return { done: true, value: undefined };
          throw error;
        }
      },
    };
  }

  [inspectSymbol](): string {
    const words = [JSON.stringify(this.name)];
    if (this.#closed) words.push('closed');
    else if (this.#shutdown) words.push('shutdown');
    return show('WorkQueue', words, {
      held: this.#leases.size,
      getters: this.#fetcher.waiting,
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}

const first = (deliveries: readonly Delivery<unknown>[]): Delivery<unknown> =>
  deliveries[0] as Delivery<unknown>;

const shutDown = (fn: string): QueueShutDown =>
  new QueueShutDown(`WorkQueue.${fn}(): the work queue is shut down`);

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

interface Resolved {
  readonly name: string;
  readonly group: string;
  readonly consumer: string;
  readonly visibilityTimeout: number;
  readonly heartbeat: number;
  readonly maxDeliveries: number;
  readonly maxsize: number;
}

function checkOpenOptions(options: WorkQueueOptions<unknown>): Resolved {
  const fn = 'openWorkQueue()';
  checkOptions(fn, 'options', options, OPEN_OPTIONS);
  const client = options.client as unknown as Partial<NodeRedisClient> | null | undefined;
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.sendCommand !== 'function' ||
    typeof client.duplicate !== 'function'
  ) {
    throw new TypeError(
      `${fn}: \`options.client\` must be a node-redis client (createClient() of @redis/client), got ${describe(options.client)}`,
    );
  }
  const name = checkName(fn, 'options.name', options.name, true) as string;
  const group = checkName(fn, 'options.group', options.group) ?? 'workers';
  const consumer =
    checkName(fn, 'options.consumer', options.consumer) ??
    `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const visibilityTimeout =
    options.visibilityTimeout === undefined
      ? 30_000
      : checkTimerMs(fn, 'options.visibilityTimeout', options.visibilityTimeout, 10);
  const heartbeat =
    options.heartbeat === undefined
      ? Math.max(1, Math.floor(visibilityTimeout / 3))
      : checkTimerMs(fn, 'options.heartbeat', options.heartbeat, 1);
  if (heartbeat >= visibilityTimeout) {
    throw new RangeError(
      `${fn}: \`options.heartbeat\` must be shorter than the visibility timeout (${visibilityTimeout} ms), got ${heartbeat}`,
    );
  }
  const maxDeliveries =
    options.maxDeliveries === undefined
      ? 5
      : checkSize(fn, 'options.maxDeliveries', options.maxDeliveries, 1);
  const size =
    options.maxsize === undefined ? 0 : checkSize(fn, 'options.maxsize', options.maxsize, 0);
  if (options.codec !== undefined) {
    checkObject(fn, 'options.codec', options.codec, 'a codec ({ encode, decode })');
    const codec = options.codec as { readonly encode?: unknown; readonly decode?: unknown };
    checkFunction(fn, 'options.codec.encode', codec.encode);
    checkFunction(fn, 'options.codec.decode', codec.decode);
  }
  return {
    name,
    group,
    consumer,
    visibilityTimeout: Math.ceil(visibilityTimeout),
    heartbeat: Math.ceil(heartbeat),
    maxDeliveries,
    maxsize: size === 0 ? Infinity : size,
  };
}

// A name that goes into a Redis key or a consumer name: a non-empty string; a
// queue's name has no braces (they delimit its hash tag).
function checkName(fn: string, arg: string, value: unknown, required = false): string | undefined {
  checkString(fn, arg, value, required);
  if (value === undefined) return undefined;
  if (value === '' || (arg === 'options.name' && /[{}]/.test(value as string))) {
    throw new RangeError(
      `${fn}: \`${arg}\` must be a non-empty string${arg === 'options.name' ? ' without braces' : ''}, got ${describe(value)}`,
    );
  }
  return value as string;
}
