/**
 * One delivery of a job to this worker: its `value`, its job `id`, which
 * `attempt` it is, a `signal` that aborts when the job must stop here, and the
 * verbs that end it (`ack`, `nack`) or keep it (`extend`). A delivery is a lease:
 * while this worker holds it, its queue renews it every heartbeat; if the lease
 * is lost (the worker was silent past the visibility timeout and another worker
 * took the job), `ack()` and `nack()` throw `LeaseLostError` and the signal
 * aborts, so a job never silently runs twice and is never acked by the wrong worker.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<string>({ client, name: 'delivery-example' });
 *   await queue.put('resize photo.jpg', { id: 'photo.jpg' });
 *   const first = await queue.get();
 *   console.log(first.id, first.attempt, first.value);
 *   await first.nack(); // give it back: it comes again, as attempt 2
 *   const second = await queue.get();
 *   console.log(second.id, second.attempt, String(second));
 *   await second.ack();
 *   console.log(String(second));
 * });
 * client.destroy();
 * // => photo.jpg 1 resize photo.jpg
 * // => photo.jpg 2 Delivery<photo.jpg attempt=2 held>
 * // => Delivery<photo.jpg attempt=2 acked>
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import {
  checkMadeBy,
  checkNumber,
  checkOptions,
  checkString,
  optionNames,
} from '../_internal/validate.js';
import { CancelledError, InvalidStateError } from '../index.js';
import { rejected, throwIfCancelled } from '../core/lowlevel.js';
import { type Commands, reply } from './connection.js';
import { ACK, HEARTBEAT, NACK, RELEASE, type Script, script } from './scripts.js';

/**
 * The lease of a delivery was lost: this worker was silent past the visibility
 * timeout (a blocked event loop, a network partition), the job was handed to
 * another worker, and this one may no longer ack or nack it; or the consumer
 * group was found missing and recreated (a Redis restart without persistence),
 * which forgets every lease held before. Data: the job's `id`, the `attempt`
 * that lost it, and `groupRecreated`, which says which cause it was.
 */
export class LeaseLostError extends Error {
  static {
    this.prototype.name = 'LeaseLostError';
  }
  /** The job's id. */
  readonly id: string;
  /** The delivery that lost its lease. */
  readonly attempt: number;
  /** The consumer group was recreated since the delivery was made: that lost the lease. */
  readonly groupRecreated: boolean;

  constructor(id: string, attempt: number, options?: { readonly groupRecreated?: boolean }) {
    const groupRecreated = options?.groupRecreated === true;
    super(
      `job ${JSON.stringify(id)} (attempt ${attempt}) lost its lease: ` +
        (groupRecreated
          ? 'the consumer group was missing (a Redis restart without persistence?) and was ' +
            'recreated, which forgets the jobs held before'
          : 'it was silent past the visibility timeout and the job may be running on another ' +
            'worker; size the visibility timeout above the longest pause of the event loop'),
    );
    this.id = id;
    this.attempt = attempt;
    this.groupRecreated = groupRecreated;
  }
}

export interface NackOptions {
  /**
   * Ms before the job may be delivered again (default 0: at once). Measured by
   * Redis, and capped at the queue's visibility timeout.
   */
  readonly delay?: number;
  /** Why: stored with the job if this was its last attempt and it goes to the dead-letter stream. */
  readonly reason?: string;
}

const NACK_OPTIONS = optionNames<NackOptions>({ delay: true, reason: true });

/** What a delivery needs of its queue. */
export interface DeliveryHost {
  /** The queue's name (for messages). */
  readonly name: string;
  readonly commands: Commands;
  /** The visibility timeout, in ms. */
  readonly visibility: number;
  /** 0: no limit. */
  readonly maxDeliveries: number;
  /** The delivery left this worker (acked, given back, lost): stop renewing it. */
  drop(delivery: Delivery<unknown>): void;
  /** A job was given back with a delay: tell the workers when it is due. */
  due(ms: number): void;
}

const HELD = 0;
const SETTLING = 1;
const ACKED = 2;
const NACKED = 3;
const RELEASED = 4;
const LOST = 5;
const STATES = ['held', 'settling', 'acked', 'nacked', 'released', 'lost'] as const;

const ACK_SCRIPT = script(ACK);
const NACK_SCRIPT = script(NACK);
const HEARTBEAT_SCRIPT = script(HEARTBEAT);
const RELEASE_SCRIPT = script(RELEASE);

// The token that proves a delivery is made by its queue, not by user code.
const MADE = Symbol('Delivery');

export class Delivery<T> {
  /** The job's value, decoded. */
  readonly value: T;
  /** The job's id: the one given to `put()`, else the id Redis gave its entry. Stable across attempts. */
  readonly id: string;
  /** Which delivery of the job this is: 1 the first time, one more each time it comes back. */
  readonly attempt: number;
  /** @internal The stream entry's id (for the scripts). */
  readonly _entry: string;
  // Invariant: HELD or SETTLING iff the host still renews the lease (it is in the host's held set).
  #state = HELD;
  #controller: AbortController | null = null;
  // Why the job must stop here (the signal's reason), once it must; and serve()'s
  // hook for it, so a job need not make an AbortController nobody reads.
  #stopped: CancelledError | null = null;
  #onStop: ((reason: CancelledError) => void) | null = null;
  // Set when a remote cancel reached this delivery (the reason, maybe '').
  #cancelled: string | null = null;
  // Set when its nack moved the job to the dead-letter stream.
  #deadLettered = false;
  // The host's count of groups found missing when it was made (see #leaseLost).
  readonly #groupLosses: number;
  readonly #host: DeliveryHost;

  private constructor(
    token: symbol,
    host: DeliveryHost,
    entry: string,
    id: string,
    attempt: number,
    value: T,
  ) {
    checkMadeBy('new Delivery()', token === MADE, 'WorkQueue.get()');
    this.#host = host;
    this.#groupLosses = host.commands.groupLosses;
    this._entry = entry;
    this.id = id;
    this.attempt = attempt;
    this.value = value;
  }

  /** @internal Made by the queue only. */
  static _make<T>(host: DeliveryHost, entry: string, id: string, attempt: number, value: T) {
    return new Delivery<T>(MADE, host, entry, id, attempt, value);
  }

  /**
   * Aborts when the job must stop on this worker: a `cancel(id)` from any
   * machine, the lease lost, `shutdown({ immediate: true })`, or the `serve()`
   * running it cancelled. Its reason is a `CancelledError` saying which (a lost
   * lease has the `LeaseLostError` as its `cause`; a cancelled `serve()` gives its
   * own `CancelledError`). Pass it to what the job waits on: `fetch(url, { signal })`.
   */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#stopped !== null) this.#controller.abort(this.#stopped);
    }
    return this.#controller.signal;
  }

  /** @internal The queue handle that got it (taskDone() checks it is its own), by its host. */
  _host(): DeliveryHost {
    return this.#host;
  }

  /** @internal Its nack moved the job to the dead-letter stream (serve() reports it then). */
  _deadLettered(): boolean {
    return this.#deadLettered;
  }

  /** @internal Why the job must stop here, or null: `signal.reason` without making the signal. */
  _stopped(): CancelledError | null {
    return this.#stopped;
  }

  /** @internal serve()'s hook: called once, when the job must stop (null to remove it). */
  _onStop(hook: ((reason: CancelledError) => void) | null): void {
    this.#onStop = hook;
  }

  /** `true` once a `cancel(id)` reached this delivery: the job should stop, and is not retried. */
  cancelled(): boolean {
    return this.#cancelled !== null;
  }

  /** `true` while this worker holds the job: not yet acked, given back or lost. */
  held(): boolean {
    return this.#state <= SETTLING;
  }

  /**
   * Marks the job done: it leaves the queue for good (asyncio's `taskDone()`;
   * the stream entry is deleted, never left to be trimmed).
   *
   * **Cancellation:** a cancellation point. Cancelled while the reply is on its
   * way, the ack may or may not have happened; the delivery is settled by the
   * reply either way (a later `ack()` then throws `InvalidStateError` or
   * succeeds). At-least-once: a job whose ack did not happen runs again.
   *
   * @throws {LeaseLostError} if the lease was lost: nothing was done; the job is another worker's.
   * @throws {InvalidStateError} if the delivery was already acked, given back, or is being settled.
   */
  ack(): Promise<void> {
    return this.#settle('ack', ACK_SCRIPT, [this._entry, this.attempt, this.id], (r) => {
      if (r !== 1) return this.#lostError();
      this.#end(ACKED);
      return undefined;
    });
  }

  /**
   * @internal `ack()` by a script that also fetches in the same round trip
   * (`ack-and-fetch`): `more` receives what it fetched.
   */
  _ackFetching(
    step: Script,
    fetchArgs: readonly (string | number)[],
    more: (entries: unknown) => void,
  ): Promise<void> {
    const args = [this._entry, this.attempt, this.id, ...fetchArgs];
    return this.#settle('ack', step, args, (r) => {
      const [status, entries] = r as [number, unknown];
      if (status !== 1) return this.#lostError();
      this.#end(ACKED);
      more(entries);
      return undefined;
    });
  }

  /**
   * Gives the job back for another attempt, after `delay` ms (measured by Redis).
   * The delay is capped at the visibility timeout: a longer one (`Infinity`
   * too) is accepted, and the job comes back after the visibility timeout, as
   * a job whose worker went silent would. If this was its last allowed attempt
   * (`maxDeliveries`), it goes to the dead-letter stream instead, with `reason`;
   * if it was cancelled, it leaves the queue (no retry).
   *
   * **Cancellation:** a cancellation point; cancelled while the reply is on its
   * way, the nack may or may not have happened (the delivery is settled by the
   * reply either way).
   *
   * @throws {LeaseLostError} if the lease was lost: nothing was done.
   * @throws {InvalidStateError} if the delivery was already acked, given back, or is being settled.
   */
  nack(options?: NackOptions): Promise<void> {
    try {
      checkOptions('Delivery.nack()', 'options', options, NACK_OPTIONS);
      const delay =
        options?.delay === undefined
          ? 0
          : checkNumber('Delivery.nack()', 'options.delay', options.delay, 0);
      checkString('Delivery.nack()', 'options.reason', options?.reason);
      const host = this.#host;
      const args = [
        this._entry,
        this.attempt,
        this.id,
        Math.min(Math.ceil(delay), host.visibility),
        host.visibility,
        host.maxDeliveries,
        options?.reason ?? 'nacked on its last attempt',
        '0',
      ];
      return this.#settle('nack', NACK_SCRIPT, args, (r) => {
        if (r === 0) return this.#lostError();
        this.#deadLettered = r === 3;
        this.#end(r === 2 || r === 3 ? ACKED : NACKED);
        if (r === 1 && delay > 0) host.due(Math.min(delay, host.visibility));
        return undefined;
      });
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Renews the lease now (the queue does it every heartbeat; call it before a
   * long stretch that blocks the event loop, if you must have one).
   *
   * **Cancellation:** a cancellation point; a cancelled caller stops waiting, and
   * the renewal may or may not have happened.
   *
   * @throws {LeaseLostError} if the lease was already lost.
   * @throws {InvalidStateError} if the delivery was acked or given back.
   */
  async extend(): Promise<void> {
    throwIfCancelled();
    this.#check('extend');
    const [status] = (await reply(
      this.#host.commands.run(HEARTBEAT_SCRIPT, [this._entry, this.attempt, this.id]),
      undefined,
    )) as [number | string];
    this._renewed(status);
    if (this.#state === LOST) throw this.#leaseLost();
  }

  /** @internal A heartbeat's status for this delivery: 0 lost, 1 renewed, a string: cancelled (the reason). */
  _renewed(status: number | string): void {
    if (this.#state !== HELD) return; // settling or settled: its own reply decides
    if (status === 0) {
      this.#lose();
    } else if (typeof status === 'string') {
      this._cancel(status);
    }
  }

  /** @internal serve() was cancelled while the job ran: its signal aborts with that reason. */
  _abort(reason: CancelledError): void {
    if (this.held()) this.#abort(reason);
  }

  /** @internal A remote `cancel(id)` reached this delivery. */
  _cancel(reason: string): void {
    if (this.#cancelled !== null || !this.held()) return;
    this.#cancelled = reason;
    const why = reason === '' ? '' : `: ${reason}`;
    this.#abort(new CancelledError(`job ${JSON.stringify(this.id)} was cancelled${why}`));
  }

  /**
   * @internal Gives the job back at once, claimable by any worker (a cancelled
   * serve(), a shutdown); `abort` also aborts the signal. Resolves when Redis
   * has it; a delivery no longer held is skipped.
   */
  static async _release(
    deliveries: readonly Delivery<unknown>[],
    reason: CancelledError | null,
  ): Promise<void> {
    const held = deliveries.filter((d) => d.#state === HELD);
    if (held.length === 0) return;
    const host = (held[0] as Delivery<unknown>).#host;
    const args: (string | number)[] = [host.visibility];
    for (const d of held) {
      d.#end(RELEASED);
      if (reason !== null) d.#abort(reason);
      args.push(d._entry, d.attempt);
    }
    await host.commands.run(RELEASE_SCRIPT, args);
  }

  async #settle(
    verb: string,
    step: Script,
    args: readonly (string | number)[],
    outcome: (reply: unknown) => undefined,
  ): Promise<void> {
    throwIfCancelled();
    this.#check(verb);
    this.#state = SETTLING;
    // The outcome is applied when the reply comes, whether or not the caller still waits.
    const settled = this.#host.commands.run(step, args).then(outcome, (error: unknown) => {
      if (this.#state === SETTLING) this.#state = HELD;
      throw error;
    });
    await reply(settled, undefined);
  }

  #check(verb: string): void {
    if (this.#state === LOST) throw this.#leaseLost();
    if (this.#state !== HELD) {
      throw new InvalidStateError(
        `Delivery.${verb}(): job ${JSON.stringify(this.id)} is already ${STATES[this.#state]}`,
      );
    }
  }

  // Its cause, when known: the group was recreated since this delivery was made.
  #leaseLost(): LeaseLostError {
    const groupRecreated = this.#host.commands.groupLosses > this.#groupLosses;
    return new LeaseLostError(this.id, this.attempt, { groupRecreated });
  }

  #lostError(): never {
    this.#lose();
    throw this.#leaseLost();
  }

  #lose(): void {
    this.#end(LOST);
    const lost = this.#leaseLost();
    this.#abort(
      new CancelledError(`job ${JSON.stringify(this.id)} lost its lease`, { cause: lost }),
    );
  }

  #end(state: number): void {
    this.#state = state;
    this.#host.drop(this);
  }

  #abort(reason: CancelledError): void {
    if (this.#stopped !== null) return;
    this.#stopped = reason;
    this.#onStop?.(reason);
    this.#controller?.abort(reason);
  }

  [inspectSymbol](): string {
    return show('Delivery', [this.id, `attempt=${this.attempt}`, STATES[this.#state] as string], {
      cancelled: this.#cancelled === null ? undefined : 'yes',
    });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}
