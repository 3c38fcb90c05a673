/**
 * An event flag tasks can wait for (asyncio's `Event`): `set()` wakes every waiter
 * and lets later `wait()`s through until `clear()`.
 *
 * @example
 * ```ts
 * import { Event, run, sleep, taskGroup } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(async () => {
 *   const ready = new Event();
 *   await taskGroup(async (tg) => {
 *     tg.spawn(async () => { await ready.wait(); console.log('go!', String(ready)); });
 *     await sleep(10);
 *     console.log(String(ready));
 *     ready.set();
 *   });
 * }, { clock: new VirtualClock() });
 * // => Event<unset waiters=1>
 * // => go! Event<set>
 * ```
 * @module
 */
import { inspectSymbol, show } from '../_internal/inspect.js';
import { ParkingLot } from '../core/parking-lot.js';
import {
  enterWait,
  parkThen,
  rejected,
  resumed,
  type SignalOptions,
  type Suspension,
} from '../core/suspend.js';

// One fulfilled promise for every wait on a set event: it never changes once settled.
const TRUE: Promise<true> = Promise.resolve(true);

const afterWait = (s: Suspension): true => {
  resumed(s);
  return true;
};

export interface EventStatistics {
  readonly isSet: boolean;
  readonly tasksWaiting: number;
}

/** @deprecated The same as `SignalOptions`, the one options type of every wait. */
export type WaitOptionsWithSignal = SignalOptions;

export class Event {
  #set = false;
  // Created on first wait: most events are set before anyone waits, or never waited on.
  #waiters: ParkingLot | null = null;

  /** `true` while the flag is set. */
  isSet(): boolean {
    return this.#set;
  }

  /** Sets the flag and wakes every waiting task. Idempotent. */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    this.#waiters?.wakeAll(undefined);
  }

  /** Clears the flag: later `wait()`s block until the next `set()`. */
  clear(): void {
    this.#set = false;
  }

  /**
   * Waits until the flag is set; returns `true` (asyncio).
   *
   * **Cancellation:** always a cancellation point, even when the flag is set. A
   * task cancelled while waiting leaves the event untouched and no waiter behind.
   *
   * @throws {CancelledError} if the task, scope or `signal` is cancelled.
   */
  wait(options?: SignalOptions): Promise<true> {
    // Not async (see sleep()): one shared reaction ends every wait.
    try {
      enterWait('Event.wait()', options);
      if (this.#set) return TRUE;
      return parkThen(
        (this.#waiters ??= new ParkingLot()).enqueue('Event.wait', options?.signal),
        afterWait,
      );
    } catch (error) {
      return rejected(error);
    }
  }

  statistics(): EventStatistics {
    return Object.freeze({ isSet: this.#set, tasksWaiting: this.#waiters?.size ?? 0 });
  }

  [inspectSymbol](): string {
    return show('Event', [this.#set ? 'set' : 'unset'], { waiters: this.#waiters?.size });
  }

  toString(): string {
    return this[inspectSymbol]();
  }
}
