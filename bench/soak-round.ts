// The frame of a soak round (bench/soak.ts): the seeded random source, the
// long-lived primitives every round reuses (`Shared`), the chaos that cancels
// tasks and scopes from outside at random moments, and `Round`, whose checks
// record a failure instead of throwing, so one broken round does not hide the
// rest of the run. The scenarios are in soak-primitives.ts and soak-composed.ts.
import { setMaxListeners } from 'node:events';
import {
  type CancelScope,
  CapacityLimiter,
  Event,
  Lock,
  Queue,
  type ReceiveChannel,
  type SendChannel,
  type Task,
  type TimerHandle,
  getRunningLoop,
  isCancellation,
  openChannel,
  sleep,
  taskGroup,
} from 'corio';
import { Pool } from 'corio/iter';

export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  readonly next = (): number => {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A pooled "connection": `open` goes false when the pool destroys it. */
export interface Conn {
  readonly id: number;
  open: boolean;
}

/** Long-lived primitives, made once per soak and reused by every round. */
export class Shared {
  /** The process's "shutdown" signal: passed as `{ signal }` to many waits, never aborted. */
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  /** The crawler's global concurrency cap. */
  readonly limiter = new CapacityLimiter(8);
  readonly lock = new Lock();
  /** Set only when the process stops: waited on with timeouts, so its waiters come and go. */
  readonly stopping = new Event();
  readonly queue = new Queue<number>(16);
  readonly tx: SendChannel<number>;
  readonly rx: ReceiveChannel<number>;
  readonly conns = { created: 0, destroyed: 0 };
  readonly pool = new Pool<Conn>({
    create: async () => {
      await sleep(1);
      return { id: ++this.conns.created, open: true };
    },
    destroy: (conn) => {
      conn.open = false;
      this.conns.destroyed++;
    },
    max: 4,
    min: 1,
  });
  /** Guarded by `lock`: the count of tasks inside the critical section. */
  inside = 0;

  constructor() {
    [this.tx, this.rx] = openChannel<number>(4);
    // corio adds one 'abort' listener per wait that is given the signal, so more
    // than 10 concurrent waits on it make Node print MaxListenersExceededWarning
    // (not a leak: the soak counts the listeners and checks they go back to 0).
    setMaxListeners(1000, this.signal);
  }
}

/** Cumulative counts of what the rounds did, for the sample table. */
export interface Tally {
  /** Items that went through a queue, a channel or a pipeline and were counted out. */
  items: number;
  /** `TimeoutError`s caught (requests that exceeded their timeout). */
  timeouts: number;
  /** Cancellations injected from outside that reached a running task or scope. */
  injected: number;
  /** Pool leases taken. */
  leases: number;
  /** `retry()` attempts made. */
  attempts: number;
}

/** Injects cancellations at random moments, through loop timers it removes at the round's end. */
export class Chaos {
  readonly #handles: TimerHandle[] = [];
  readonly #tally: Tally;

  constructor(tally: Tally) {
    this.#tally = tally;
  }

  later(ms: number, fn: () => void): void {
    this.#handles.push(getRunningLoop().callLater(ms, fn));
  }

  /** `task.cancel()` after `ms`, if the task is still running then. */
  cancel(task: Task, ms: number): void {
    this.later(ms, () => {
      if (task.cancel('chaos')) this.#tally.injected++;
    });
  }

  /** `scope.cancel()` after `ms`. */
  cancelScope(scope: CancelScope, ms: number): void {
    this.later(ms, () => {
      if (!scope.cancelCalled) this.#tally.injected++;
      scope.cancel('chaos');
    });
  }

  close(): void {
    for (const handle of this.#handles) handle.cancel();
    this.#handles.length = 0;
  }
}

/** One round's context: its random source, its own abort signal, its checks. */
export class Round {
  readonly rng: Rng;
  readonly shared: Shared;
  readonly tally: Tally;
  readonly chaos: Chaos;
  /** Aborted at a random moment in some rounds; passed as `{ signal }` to some waits. */
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  readonly failures: string[] = [];

  constructor(rng: Rng, shared: Shared, tally: Tally) {
    setMaxListeners(1000, this.signal);
    this.rng = rng;
    this.shared = shared;
    this.tally = tally;
    this.chaos = new Chaos(tally);
  }

  check(ok: boolean, what: () => string): void {
    if (!ok) this.failures.push(what());
  }

  /** Checks that `actual` has every field of `expected`, with the same value. */
  expect(name: string, actual: object, expected: Record<string, unknown>): void {
    const got = actual as Record<string, unknown>;
    const wrong = Object.keys(expected).filter((k) => got[k] !== expected[k]);
    this.check(
      wrong.length === 0,
      () => `${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
    );
  }
}

/** Rethrows `error` unless it is one of `kinds`: the errors a scenario expects, and counts. */
export const rethrowUnless = (
  error: unknown,
  ...kinds: (abstract new (
    ...args: never[]
  ) => Error)[]
) => {
  if (!kinds.some((kind) => error instanceof kind)) throw error;
};

/** One kind of work in a round; it records what it finds wrong in `r.failures`. */
export type Scenario = (r: Round) => Promise<void>;

/**
 * Runs one round: the given scenarios at once, in one task group; the round's
 * signal aborted at a random moment in a third of the rounds. Failures go to
 * `r.failures`.
 */
export async function runRound(
  r: Round,
  scenarios: readonly (readonly [string, Scenario])[],
): Promise<void> {
  const { rng } = r;
  if (rng.chance(0.3))
    r.chaos.later(rng.int(1, 60), () => {
      r.controller.abort();
    });
  try {
    await taskGroup((tg) => {
      for (const [name, scenario] of scenarios) {
        tg.spawn(
          async () => {
            try {
              await scenario(r);
            } catch (error) {
              // A cancellation that reached a scenario from the round's signal is
              // part of the work; anything else is a failure.
              if (isCancellation(error) && r.signal.aborted) return;
              r.failures.push(`${name}: threw ${describe(error)}`);
            }
          },
          { name },
        );
      }
    });
  } finally {
    r.chaos.close();
  }
}

export const describe = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
