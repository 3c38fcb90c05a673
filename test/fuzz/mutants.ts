/**
 * Deliberate breakages of corio, to show the fuzzer catches bugs: each is one
 * textual replacement in one file of `src/`, applied by `npm run fuzz:mutants` to
 * a temporary copy of the project (never to the real `src/`). A `search` must
 * occur exactly once in its file; the runner reports a mutant whose text is gone
 * (the code moved on) as stale rather than as caught.
 */
export interface Mutant {
  readonly name: string;
  /** What the breakage does, as a bug report would say it. */
  readonly bug: string;
  /** Relative to the project root. */
  readonly file: string;
  readonly search: string;
  readonly replace: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'semaphore-permit-leaks',
    bug: 'Semaphore: a waiter cancelled as a permit is handed to it keeps the permit (it leaks)',
    file: 'src/sync/semaphore.ts',
    search: 'onUnclaimed: () => {\n          this.release();\n        },',
    replace: 'onUnclaimed: () => {},',
  },
  {
    name: 'semaphore-release-counts-twice',
    bug: 'Semaphore.release() hands the permit to a waiter and also counts it free',
    file: 'src/sync/semaphore.ts',
    search: 'if (this.#waiters?.wakeOne(undefined) !== true) this.#value++;',
    replace: 'this.#waiters?.wakeOne(undefined);\n    this.#value++;',
  },
  {
    name: 'lock-release-no-handoff',
    bug: 'Lock.release() wakes a waiter but unlocks too, so another task can barge in',
    file: 'src/sync/lock.ts',
    search: 'if (this.#waiters?.wakeOne(undefined) !== true) this.#locked = false;',
    replace: 'this.#waiters?.wakeOne(undefined);\n    this.#locked = false;',
  },
  {
    name: 'limiter-unclaimed-hook-removed',
    bug: 'CapacityLimiter: a waiter cancelled as a token is handed to it keeps the token',
    file: 'src/sync/capacity-limiter.ts',
    search:
      'onUnclaimed: (_, borrower) => {\n          this.releaseOnBehalfOf(borrower);\n        },',
    replace: 'onUnclaimed: () => {},',
  },
  {
    name: 'condition-wakeup-lost',
    bug: 'Condition: a waiter notified, then cancelled while taking the lock back, does not pass the notification on',
    file: 'src/sync/condition.ts',
    search: '      this.#waiters.wakeOne(undefined);\n      throw error;',
    replace: '      throw error;',
  },
  {
    name: 'event-set-wakes-nobody',
    bug: 'Event.set() sets the flag but wakes none of the waiting tasks',
    file: 'src/sync/event.ts',
    search: '    this.#waiters?.wakeAll(undefined);\n',
    replace: '',
  },
  {
    name: 'queue-put-dropped',
    bug: 'Queue: a put that had to wait for room resolves without putting its item',
    file: 'src/queue/queue.ts',
    search: "if (this.#isShutDown()) throw this.#shutDownError('put');\n    this.#enqueue(item);",
    replace: "if (this.#isShutDown()) throw this.#shutDownError('put');",
  },
  {
    name: 'channel-receiver-loses-value',
    bug: 'Channel: a receiver cancelled as a value is handed to it loses the value',
    file: 'src/queue/channel.ts',
    search: 'new ParkingLot<T>({ committed: true });',
    replace: 'new ParkingLot<T>();',
  },
  {
    name: 'group-join-skips-last-child',
    bug: "A task group's join (its nursery's) returns while one child is still running",
    file: 'src/core/nursery.ts',
    search: 'if (this.#living === 0) return RESOLVED;',
    replace: 'if (this.#living <= 1) return RESOLVED;',
  },
  {
    name: 'scope-swallows-outer-cancel',
    bug: 'A cancel scope whose own deadline fired also catches a cancellation from outside',
    file: 'src/core/cancel-scope.ts',
    search:
      'return this.shielded || this.parent === null || effectiveCancel(this.parent) === null;',
    replace: 'return true;',
  },
  {
    name: 'waiter-left-in-list',
    bug: "A waiter whose task is cancelled stays in its primitive's wait list",
    file: 'src/core/parking-lot.ts',
    search: '  (s.owner as ParkingLot<unknown>)._unlink(s);\n  return true;',
    replace: '  return true;',
  },
  {
    name: 'unclaimed-hand-off-dropped',
    bug: 'The kernel drops what a waiter cancelled at the moment it is woken was handed (for every primitive)',
    file: 'src/core/suspend.ts',
    search: '    s.kind.unclaimed?.(s);\n',
    replace: '',
  },
];
