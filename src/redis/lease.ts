/**
 * The leases a worker holds: every delivery it has fetched and not yet settled
 * (handed out or kept for the next `get()`), renewed together every
 * `heartbeat` ms by one owner-checked script call (`XCLAIM … JUSTID` on each
 * entry this consumer still owns at the same delivery count), which also reads
 * the cancel tombstones: a cancel whose Pub/Sub message was lost still lands
 * within one heartbeat, and a lease found lost aborts its delivery's signal.
 *
 * The heartbeat runs on the host's real clock, not on the loop's: the lease it
 * keeps is measured by the Redis server, in real time, and a `VirtualClock`
 * that jumps (or stands still while a task computes) would let it lapse or spin.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<string>({
 *     client, name: 'lease-example', visibilityTimeout: 300, heartbeat: 100,
 *   });
 *   await queue.put('slow job');
 *   const job = await queue.get();
 *   await new Promise((resolve) => setTimeout(resolve, 1000)); // real time: three visibility timeouts
 *   await job.ack(); // the heartbeats kept the lease all along
 *   console.log('acked', job.value, 'on attempt', job.attempt);
 * });
 * client.destroy();
 * // => acked slow job on attempt 1
 * ```
 * @module
 */
import { MAX_TIMER_MS } from '../_internal/validate.js';
import type { EventLoop } from '../index.js';
import type { Commands } from './connection.js';
import type { Delivery } from './delivery.js';
import { HEARTBEAT, script } from './scripts.js';

const HEARTBEAT_SCRIPT = script(HEARTBEAT);

/** Deliveries renewed by one script call: its arguments stay well under Lua's limits. */
const BATCH = 300;

/**
 * Invariants: `#timer` is set iff `#held` is not empty (or a tick must still run
 * for kept entries); at most one heartbeat is in flight (`#beating`).
 */
export class Leases {
  readonly #held = new Set<Delivery<unknown>>();
  readonly #commands: Commands;
  readonly #every: number;
  readonly #loop: EventLoop;
  readonly #tick: () => void;
  #timer: ReturnType<typeof setInterval> | null = null;
  #beating = false;
  #failing = false;

  /** `onTick` runs at every heartbeat (the reader gives back entries kept too long). */
  constructor(commands: Commands, every: number, loop: EventLoop, onTick: () => void) {
    this.#commands = commands;
    this.#every = every;
    this.#loop = loop;
    this.#tick = onTick;
  }

  get size(): number {
    return this.#held.size;
  }

  /** Every delivery held, in the order they came. */
  all(): Delivery<unknown>[] {
    return [...this.#held];
  }

  /** The deliveries of job `id` held here (normally one). */
  find(id: string): Delivery<unknown>[] {
    const found: Delivery<unknown>[] = [];
    for (const d of this.#held) if (d.id === id) found.push(d);
    return found;
  }

  hold(delivery: Delivery<unknown>): void {
    this.#held.add(delivery);
    if (this.#timer === null) {
      this.#timer = setInterval(
        () => {
          this.#beat();
        },
        Math.min(this.#every, MAX_TIMER_MS),
      ); // checked at open; a timer past it fires every ms
      // The queue's connections keep the process alive while it is open; this
      // timer alone must not.
      this.#timer.unref();
    }
  }

  drop(delivery: Delivery<unknown>): void {
    this.#held.delete(delivery);
    if (this.#held.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #beat(): void {
    this.#tick();
    if (this.#beating || this.#held.size === 0) return;
    this.#beating = true;
    this.#renew([...this.#held]).then(
      () => {
        this.#beating = false;
        this.#failing = false;
      },
      (error: unknown) => {
        this.#beating = false;
        // Said once per outage; the leases are retried at the next beat, and a
        // lease that lapsed meanwhile is found lost then.
        if (this.#failing) return;
        this.#failing = true;
        this.#loop.callExceptionHandler({
          message: 'corio/redis: a heartbeat failed; the leases are renewed at the next one',
          error,
        });
      },
    );
  }

  async #renew(held: Delivery<unknown>[]): Promise<void> {
    for (let i = 0; i < held.length; i += BATCH) {
      const batch = held.slice(i, i + BATCH);
      const args: (string | number)[] = [];
      for (const d of batch) args.push(d._entry, d.attempt, d.id);
      const statuses = (await this.#commands.run(HEARTBEAT_SCRIPT, args)) as (number | string)[];
      for (const [j, d] of batch.entries()) d._renewed(statuses[j] as number | string);
    }
  }
}
