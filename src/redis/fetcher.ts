/**
 * How deliveries reach the tasks that ask for them. A `get()` that finds an
 * entry kept locally takes it; otherwise it fetches in one round trip (the
 * reclaim pass, then new entries); if the queue is empty, it parks, and one
 * blocking `XREADGROUP … BLOCK` on a connection of its own serves every parked
 * getter in FIFO order. The read belongs to the queue, not to a task: when the
 * last getter leaves (cancelled), `CLIENT UNBLOCK` ends it at once, and an
 * entry that still arrives is kept for the next `get()` (given back to other
 * workers if nobody asks within a heartbeat). So `get()` is cancel-safe: a
 * cancelled `get()` has taken nothing, and nothing is lost.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { moveOnAfter, run } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<string>({ client, name: 'fetcher-example' });
 *   const nothing = await moveOnAfter(100, () => queue.get()); // empty: cancelled after 100 ms
 *   console.log(nothing);
 *   await queue.put('late');
 *   const job = await queue.get();
 *   console.log(job.value);
 *   await job.ack();
 * });
 * client.destroy();
 * // => undefined
 * // => late
 * ```
 * @module
 */
import { QueueShutDown } from '../index.js';
import {
  parkThen,
  rejected,
  resumed,
  type Suspension,
  suspend,
  throwIfCancelled,
  type WaitKind,
  wake,
  fail,
} from '../core/lowlevel.js';
import {
  type Commands,
  type NodeRedisClient,
  replyError,
  reply,
  type RedisArgument,
} from './connection.js';
import { Delivery } from './delivery.js';
import { FETCH, script } from './scripts.js';

const FETCH_SCRIPT = script(FETCH);

/** The most entries one read asks for. */
const MAX_READ = 1000;

/** An entry as the scripts and `XREADGROUP` give it: id, fields, delivery count. */
export type RawEntry = readonly [string, readonly string[], number];

/** What the reader needs of its queue. */
export interface FetchHost {
  readonly commands: Commands;
  /** Ms a blocking read waits before it looks again (the reclaim pass runs then). */
  readonly tick: number;
  /** The visibility timeout (the reclaim pass's min idle time), in ms. */
  readonly visibility: number;
  /** 0: no limit. */
  readonly maxDeliveries: number;
  /** Ms a consumer with nothing pending may be silent before the reclaim pass forgets it. */
  readonly forget: number;
  /** Makes and holds the deliveries of raw entries (an entry that cannot be decoded is buried). */
  deliveries(entries: readonly RawEntry[]): Delivery<unknown>[];
  /** Reports an error nobody else can receive. */
  report(message: string, error: unknown): void;
  /** Gives deliveries back at once (fetched after a shutdown): other workers take them. */
  giveBack(deliveries: readonly Delivery<unknown>[]): void;
}

// A getter waits with its wanted count as the ticket and is woken with its deliveries.
const GETTER: WaitKind = {
  abort: (s) => (s.owner as Fetcher)._leave(s as Suspension<Delivery<unknown>[]>),
  unclaimed: (s) => {
    (s.owner as Fetcher)._giveBack(s.value as Delivery<unknown>[]);
  },
  describe: () => 'WorkQueue.get()',
  waitingOn: () => null,
};

const claimed = (s: Suspension<Delivery<unknown>[]>): Delivery<unknown>[] => {
  resumed(s);
  return s.value as Delivery<unknown>[];
};

// A reply of XREADGROUP: RESP2 `[[stream, entries]]`, RESP3 `{stream: entries}`, or null.
function entriesOf(raw: unknown): RawEntry[] {
  if (raw === null || raw === undefined) return [];
  const streams = Array.isArray(raw)
    ? (raw as [string, unknown][]).map(([, e]) => e)
    : raw instanceof Map
      ? [...(raw as Map<string, unknown>).values()]
      : Object.values(raw as Record<string, unknown>);
  const entries = (streams[0] ?? []) as [string, string[]][];
  return entries.map(([id, fields]) => [id, fields, 1] as const);
}

/**
 * Invariants:
 * - `#waiting` counts the parked getters, linked from `#first`; `#wanted` sums their tickets.
 * - `#reading` iff the read loop runs; it runs while a getter waits and the queue is open.
 * - An entry is kept (`#kept`) only while no getter waits.
 */
export class Fetcher {
  readonly #host: FetchHost;
  #first: Suspension<Delivery<unknown>[]> | null = null;
  #last: Suspension<Delivery<unknown>[]> | null = null;
  #waiting = 0;
  #wanted = 0;
  #kept: Delivery<unknown>[] = [];
  // The heartbeat count at which each kept entry was kept (parallel to #kept).
  #keptAt: number[] = [];
  #beats = 0;
  #reading = false;
  #blocking: Promise<NodeRedisClient> | null = null;
  #blockingId: string | null = null;
  #shut = false;
  #closed = false;

  constructor(host: FetchHost) {
    this.#host = host;
  }

  get waiting(): number {
    return this.#waiting;
  }

  get kept(): number {
    return this.#kept.length;
  }

  /**
   * One to `max` deliveries, waiting while the queue is empty.
   *
   * **Cancellation:** always a cancellation point; a cancelled caller has taken
   * nothing, and whatever was fetched for it is kept for the next caller.
   */
  take(max: number, signal: AbortSignal | undefined, fn: string): Promise<Delivery<unknown>[]> {
    try {
      throwIfCancelled(signal);
      if (this.#shut) throw shutDown(fn);
      if (this.#kept.length > 0 && this.#waiting === 0) {
        this.#keptAt.splice(0, max);
        return Promise.resolve(this.#kept.splice(0, max));
      }
      if (this.#waiting === 0 && !this.#reading) return this.#fetchFirst(max, signal, fn);
      return this.#park(max, signal);
    } catch (error) {
      return rejected(error);
    }
  }

  async #fetchFirst(
    max: number,
    signal: AbortSignal | undefined,
    fn: string,
  ): Promise<Delivery<unknown>[]> {
    const got = await reply(this.#fetch(max), signal, (late) => {
      this.#deliver(late);
    });
    try {
      throwIfCancelled(signal); // cancelled as the reply came: keep it for the next getter
    } catch (error) {
      this.#deliver(got);
      throw error;
    }
    if (got.length > 0) return got;
    if (this.#isShut()) throw shutDown(fn);
    return this.#park(max, signal);
  }

  #park(max: number, signal: AbortSignal | undefined): Promise<Delivery<unknown>[]> {
    // A fetch of a getter cancelled meanwhile may have come back while ours was on its
    // way (Redis answers in order): what it kept is ours, not a reason to block.
    if (this.#kept.length > 0 && this.#waiting === 0) {
      this.#keptAt.splice(0, max);
      return Promise.resolve(this.#kept.splice(0, max));
    }
    const s = suspend<Delivery<unknown>[]>('WorkQueue.get()', this, GETTER, signal, max);
    s.prev = this.#last;
    if (this.#last === null) this.#first = s;
    else this.#last.next = s;
    this.#last = s;
    this.#waiting++;
    this.#wanted += max;
    if (!this.#reading) void this.#read();
    return parkThen(s, claimed);
  }

  // A method, not the field: a read after an await must not be narrowed away.
  #isShut(): boolean {
    return this.#shut;
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  #unlink(s: Suspension<Delivery<unknown>[]>): void {
    if (s.prev === null) this.#first = s.next as Suspension<Delivery<unknown>[]> | null;
    else s.prev.next = s.next;
    if (s.next === null) this.#last = s.prev as Suspension<Delivery<unknown>[]> | null;
    else s.next.prev = s.prev;
    s.prev = s.next = null;
    this.#waiting--;
    this.#wanted -= s.ticket as number;
  }

  /** @internal A parked getter was cancelled: it leaves, and the read stops with the last one. */
  _leave(s: Suspension<Delivery<unknown>[]>): boolean {
    this.#unlink(s);
    if (this.#waiting === 0) this.#unblock();
    return true;
  }

  /** @internal A getter was cancelled as deliveries were handed to it: they go to the next one. */
  _giveBack(deliveries: Delivery<unknown>[]): void {
    this.#kept.unshift(...deliveries);
    this.#keptAt.unshift(...deliveries.map(() => this.#beats));
    this.#serveKept();
  }

  // Hands deliveries to the parked getters, first come first served; the rest are kept.
  #deliver(got: readonly Delivery<unknown>[]): void {
    if (this.#shut) {
      if (got.length > 0) this.#host.giveBack(got);
      return;
    }
    // Kept entries are older than `got`: they go first (and none should be kept
    // while a getter waits; this holds the invariant whichever path broke it).
    this.#serveKept();
    let i = 0;
    while (i < got.length && this.#first !== null) {
      const s = this.#first;
      const n = Math.min(s.ticket as number, got.length - i);
      this.#unlink(s);
      wake(s, got.slice(i, i + n));
      i += n;
    }
    for (; i < got.length; i++) {
      this.#kept.push(got[i] as Delivery<unknown>);
      this.#keptAt.push(this.#beats);
    }
  }

  #serveKept(): void {
    while (this.#first !== null && this.#kept.length > 0) {
      const s = this.#first;
      const n = s.ticket as number;
      this.#unlink(s);
      this.#keptAt.splice(0, n);
      wake(s, this.#kept.splice(0, n));
    }
  }

  // One round trip: the reclaim pass (when due), then new entries.
  async #fetch(max: number): Promise<Delivery<unknown>[]> {
    const host = this.#host;
    const raw = (await host.commands.run(FETCH_SCRIPT, [
      Math.min(max, MAX_READ),
      ...this.fetchArgs(),
    ])) as RawEntry[];
    return host.deliveries(raw);
  }

  // The read loop: a chain of host promises, owned by the queue, not by a task.
  async #read(): Promise<void> {
    this.#reading = true;
    let failures = 0;
    try {
      while (this.#waiting > 0 && !this.#isShut()) {
        let got: Delivery<unknown>[] = [];
        try {
          got = await this.#blockingRead(Math.min(this.#wanted, MAX_READ));
          if (got.length === 0 && this.#waiting > 0 && !this.#isShut()) {
            got = await this.#fetch(Math.min(this.#wanted, MAX_READ));
          }
          failures = 0;
        } catch (error) {
          if (this.#isShut()) break;
          if (failures++ === 0) {
            this.#host.report('corio/redis: a read failed; it is retried', error);
          }
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(this.#host.tick, 25 << failures)),
          );
        }
        this.#deliver(got);
      }
    } finally {
      this.#reading = false;
    }
  }

  async #blockingRead(want: number): Promise<Delivery<unknown>[]> {
    const host = this.#host;
    const conn = await this.#connection();
    const args: RedisArgument[] = [
      'XREADGROUP',
      'GROUP',
      host.commands.group,
      host.commands.consumer,
      'COUNT',
      String(want),
      'BLOCK',
      String(host.tick),
      'STREAMS',
      host.commands.keys[0] as string,
      '>',
    ];
    try {
      return host.deliveries(entriesOf(await conn.sendCommand(args, { typeMapping: {} })));
    } catch (error) {
      if (!replyError(error, 'NOGROUP')) throw error;
      await host.commands.recreateGroup();
      return [];
    }
  }

  #connection(): Promise<NodeRedisClient> {
    if (this.#closed) return Promise.reject(shutDown('get'));
    this.#blocking ??= (async () => {
      const conn = this.#host.commands.client.duplicate();
      conn.on('error', () => {
        // The read that failed reports it; the connection reconnects by itself.
      });
      conn.on('ready', () => {
        // A new connection has a new id: ask for it again (CLIENT UNBLOCK needs it).
        this.#blockingId = null;
        void conn.sendCommand(['CLIENT', 'ID'], { typeMapping: {} }).then(
          (id) => {
            this.#blockingId = String(id);
          },
          () => {},
        );
      });
      await conn.connect();
      // Closed while it connected: close() found no connection to end.
      if (this.#isClosed()) {
        conn.destroy();
        throw shutDown('get');
      }
      return conn;
    })();
    return this.#blocking;
  }

  // Ends the blocking read at once (it returns nothing, as on its timeout).
  #unblock(): void {
    const id = this.#blockingId;
    if (!this.#reading || id === null) return;
    this.#host.commands.send(['CLIENT', 'UNBLOCK', id]).catch(() => {});
  }

  /** The fetch step's arguments after `want` (visibility, maxDeliveries, gatePx, forgetMs). */
  fetchArgs(): (string | number)[] {
    const host = this.#host;
    return [host.visibility, host.maxDeliveries, host.tick, host.forget];
  }

  /** Deliveries fetched on the side (by an ack): to the waiting getters, else kept. */
  offer(deliveries: readonly Delivery<unknown>[]): void {
    this.#deliver(deliveries);
  }

  /** A job was given back somewhere: an idle read looks again at once (the reclaim pass takes it). */
  nudge(): void {
    if (this.#waiting > 0) this.#unblock();
  }

  /** Every heartbeat: entries kept since the beat before are given back to the other workers. */
  stale(): Delivery<unknown>[] {
    this.#beats++;
    let n = 0;
    while (n < this.#keptAt.length && (this.#keptAt[n] as number) < this.#beats - 1) n++;
    this.#keptAt.splice(0, n);
    return this.#kept.splice(0, n);
  }

  /** Stops: waiting getters fail with `QueueShutDown`, the read ends; returns the kept entries. */
  shut(): Delivery<unknown>[] {
    this.#shut = true;
    for (let s = this.#first; s !== null; s = this.#first) {
      this.#unlink(s);
      fail(s, shutDown('get'));
    }
    this.#unblock();
    this.#keptAt = [];
    return this.#kept.splice(0);
  }

  /** Closes the blocking connection. */
  close(): void {
    this.#closed = true;
    const blocking = this.#blocking;
    this.#blocking = null;
    void blocking?.then(
      (conn) => {
        conn.destroy();
      },
      () => {},
    );
  }
}

const shutDown = (fn: string): QueueShutDown =>
  new QueueShutDown(`WorkQueue.${fn}(): the work queue is shut down`);
