// The work of one soak round (bench/soak.ts): what corio users do, all at once,
// on the system clock, with cancellations from outside at random moments. Each
// scenario builds fresh primitives and also leans on long-lived ones (`Shared`,
// made once per soak), because a leak shows where objects outlive the work. Every
// scenario checks its own invariants (items conserved, every statistics() back to
// idle) through `Round.check`, which records a failure instead of throwing, so
// one broken round does not hide the rest of the run.
import { setMaxListeners } from 'node:events';
import {
  CancelScope,
  CapacityLimiter,
  Condition,
  Event,
  FIRST_COMPLETED,
  Lock,
  Queue,
  QueueShutDown,
  type ReceiveChannel,
  Semaphore,
  type SendChannel,
  type Task,
  type TimerHandle,
  TimeoutError,
  asCompleted,
  cancelScope,
  createTask,
  gather,
  getRunningLoop,
  isCancellation,
  moveOnAfter,
  openChannel,
  race,
  shield,
  sleep,
  taskGroup,
  timeout,
  wait,
} from 'corio';
import {
  Pool,
  buffer,
  chunk,
  exponentialBackoff,
  map,
  merge,
  pipe,
  range,
  retry,
} from 'corio/iter';

/** mulberry32: a small seeded PRNG, so a seed replays a run's random choices. */
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
class Chaos {
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
const rethrowUnless = (error: unknown, ...kinds: (abstract new (...args: never[]) => Error)[]) => {
  if (!kinds.some((kind) => error instanceof kind)) throw error;
};

// 1. A crawler: fan out requests under a global CapacityLimiter and a per-host
// Semaphore, each request under timeout(); some exceed it, some are cancelled.
async function crawl(r: Round): Promise<void> {
  const { rng, shared } = r;
  const perHost = new Semaphore(rng.int(1, 4));
  const permits = perHost.value;
  const n = rng.int(10, 40);
  const o = { started: 0, ok: 0, timedOut: 0, cancelled: 0 };
  const tasks: Task[] = [];
  await taskGroup((tg) => {
    for (let i = 0; i < n; i++) {
      const ms = rng.int(0, 30);
      const signal = rng.chance(0.3) ? r.signal : shared.signal;
      const task = tg.spawn(async () => {
        o.started++;
        try {
          using _slot = await shared.limiter.acquire({ signal: shared.signal });
          using _host = await perHost.acquire({ signal });
          await timeout(20, () => sleep(ms, undefined, { signal }));
          o.ok++;
        } catch (error) {
          if (error instanceof TimeoutError) {
            o.timedOut++;
            r.tally.timeouts++;
            return;
          }
          if (isCancellation(error)) o.cancelled++;
          throw error;
        }
      });
      if (rng.chance(0.15)) r.chaos.cancel(task, rng.int(0, 40));
      tasks.push(task);
    }
  });
  r.check(
    o.started === o.ok + o.timedOut + o.cancelled,
    () => `crawl: ${o.started} requests started, ${o.ok}+${o.timedOut}+${o.cancelled} ended`,
  );
  r.check(
    tasks.every((t) => t.done()),
    () => 'crawl: a request task outlived its group',
  );
  r.expect('crawl Semaphore', perHost.statistics(), { value: permits, tasksWaiting: 0 });
}

// 2. Producers and consumers on a fresh Queue, ended by shutdown() (after join())
// or by shutdown({ immediate: true }) at a random moment.
async function queueShutdown(r: Round): Promise<void> {
  const { rng } = r;
  const q = new Queue<number>(rng.int(1, 8));
  const immediate = rng.chance(0.3);
  const perProducer = rng.int(5, 40);
  const c = { put: 0, got: 0, dropped: 0 };
  await taskGroup(async (tg) => {
    const producers = Array.from({ length: rng.int(1, 3) }, () =>
      tg.spawn(async () => {
        try {
          for (let k = 0; k < perProducer; k++) {
            if (k % 4 === 0) await sleep(1);
            await q.put(k, { signal: r.signal });
            c.put++;
          }
        } catch (error) {
          rethrowUnless(error, QueueShutDown);
        }
      }),
    );
    const consumers = Array.from({ length: rng.int(1, 4) }, () =>
      tg.spawn(async () => {
        try {
          for (;;) {
            const item = await q.get();
            try {
              c.got++;
              if (item % 3 === 0) await sleep(1);
            } finally {
              q.taskDone();
            }
          }
        } catch (error) {
          rethrowUnless(error, QueueShutDown);
        }
      }),
    );
    // The first consumer is never cancelled, so the queue always drains.
    for (const t of consumers.slice(1)) if (rng.chance(0.3)) r.chaos.cancel(t, rng.int(0, 30));
    for (const t of producers) if (rng.chance(0.15)) r.chaos.cancel(t, rng.int(0, 30));
    if (immediate) {
      await sleep(rng.int(1, 40));
      c.dropped += q.qsize();
      q.shutdown({ immediate: true });
    } else {
      await wait(producers);
      await q.join();
      q.shutdown();
    }
  });
  r.tally.items += c.got;
  r.check(
    c.put === c.got + c.dropped + q.qsize(),
    () => `Queue: ${c.put} put, ${c.got} got + ${c.dropped} dropped + ${q.qsize()} left`,
  );
  r.expect('Queue after shutdown', q.statistics(), {
    size: 0,
    tasksWaiting: 0,
    unfinishedTasks: 0,
    shutdown: true,
  });
}

// 3. The long-lived Queue: asyncio's worker pattern (put everything, join(), then
// cancel the workers blocked in get()).
async function longQueue(r: Round): Promise<void> {
  const { rng, shared } = r;
  const q = shared.queue;
  const n = rng.int(10, 60);
  const c = { put: 0, got: 0 };
  await taskGroup(async (tg) => {
    const producer = tg.spawn(async () => {
      for (let k = 0; k < n; k++) {
        await q.put(k, { signal: shared.signal });
        c.put++;
      }
    });
    const workers = Array.from({ length: rng.int(1, 3) }, () =>
      tg.spawn(async () => {
        for (;;) {
          await q.get({ signal: shared.signal });
          try {
            c.got++;
            if (rng.chance(0.2)) await sleep(1);
          } finally {
            q.taskDone();
          }
        }
      }),
    );
    if (rng.chance(0.2)) r.chaos.cancel(producer, rng.int(0, 20));
    for (const w of workers.slice(1)) if (rng.chance(0.3)) r.chaos.cancel(w, rng.int(0, 20));
    await wait([producer]);
    await q.join({ signal: shared.signal });
    tg.cancel();
  });
  r.tally.items += c.got;
  r.check(c.put === c.got, () => `long-lived Queue: ${c.put} put, ${c.got} got`);
  r.expect('long-lived Queue', q.statistics(), {
    size: 0,
    tasksWaiting: 0,
    unfinishedTasks: 0,
  });
}

// 4. A fresh channel with several senders and several receivers (clones); some
// receivers are cancelled, the rest drain it.
async function channels(r: Round): Promise<void> {
  const { rng } = r;
  const [tx, rx] = openChannel<number>(rng.int(0, 4));
  const perSender = rng.int(5, 30);
  const c = { sent: 0, received: 0 };
  await taskGroup((tg) => {
    for (let s = rng.int(1, 3); s > 0; s--) {
      const mine = tx.clone();
      tg.spawn(async () => {
        using send = mine;
        for (let k = 0; k < perSender; k++) {
          if (k % 5 === 0) await sleep(1);
          await send.send(k);
          c.sent++;
        }
      });
    }
    const receivers = Array.from({ length: rng.int(1, 4) }, () => {
      const mine = rx.clone();
      return tg.spawn(async () => {
        using receive = mine;
        for await (const item of receive) {
          c.received++;
          if (item % 7 === 0) await sleep(1);
        }
      });
    });
    tx.close();
    rx.close();
    for (const t of receivers.slice(1)) if (rng.chance(0.4)) r.chaos.cancel(t, rng.int(0, 30));
  });
  r.tally.items += c.received;
  r.check(c.sent === c.received, () => `channel: ${c.sent} sent, ${c.received} received`);
  r.expect('channel', rx.statistics(), {
    currentBufferUsed: 0,
    openSendChannels: 0,
    openReceiveChannels: 0,
    tasksWaiting: 0,
  });
}

// 5. The long-lived channel: receivers signal progress through a Condition; the
// sender's task waits on it until everything sent was received, then stops them.
async function longChannel(r: Round): Promise<void> {
  const { rng, shared } = r;
  const progress = new Condition();
  const n = rng.int(10, 50);
  const c = { sent: 0, received: 0 };
  await taskGroup(async (tg) => {
    const sender = tg.spawn(async () => {
      for (let k = 0; k < n; k++) {
        await shared.tx.send(k, { signal: shared.signal });
        c.sent++;
      }
    });
    const receivers = Array.from({ length: rng.int(1, 3) }, () =>
      tg.spawn(async () => {
        for (;;) {
          await shared.rx.receive({ signal: shared.signal });
          c.received++;
          // Shielded: a receiver cancelled after taking an item must still tell
          // the sender's task, or it would wait with its predicate true.
          await shield(() =>
            progress.run(() => {
              progress.notifyAll();
            }),
          );
        }
      }),
    );
    if (rng.chance(0.2)) r.chaos.cancel(sender, rng.int(0, 20));
    for (const t of receivers.slice(1)) if (rng.chance(0.3)) r.chaos.cancel(t, rng.int(0, 20));
    await wait([sender]);
    await progress.run(() => progress.waitFor(() => c.received === c.sent));
    tg.cancel();
  });
  r.tally.items += c.received;
  r.check(c.sent === c.received, () => `long-lived channel: ${c.sent} sent, ${c.received} got`);
  r.expect('long-lived channel', shared.rx.statistics(), {
    currentBufferUsed: 0,
    tasksWaiting: 0,
  });
  r.expect('channel Condition', progress.statistics(), { tasksWaiting: 0 });
  r.expect('channel Condition lock', progress.statistics().lock, {
    locked: false,
    tasksWaiting: 0,
  });
}

// 6. The long-lived Lock around a critical section with an await inside; some
// waiters give up (moveOnAfter), some are cancelled.
async function lockWork(r: Round): Promise<void> {
  const { rng, shared } = r;
  let violations = 0;
  await taskGroup((tg) => {
    for (let w = rng.int(2, 8); w > 0; w--) {
      const patience = rng.chance(0.3) ? rng.int(1, 10) : Infinity;
      const task = tg.spawn(async () => {
        for (let k = rng.int(1, 6); k > 0; k--) {
          await moveOnAfter(patience, async () => {
            using _held = await shared.lock.acquire({ signal: shared.signal });
            if (++shared.inside !== 1) violations++;
            try {
              await sleep(1);
            } finally {
              shared.inside--;
            }
          });
        }
      });
      if (rng.chance(0.2)) r.chaos.cancel(task, rng.int(0, 20));
    }
  });
  r.check(violations === 0, () => `Lock: ${violations} tasks entered a held lock`);
  r.expect('long-lived Lock', shared.lock.statistics(), { locked: false, tasksWaiting: 0 });
}

// 7. A bounded buffer on a fresh Condition: consumers waitFor() items, some with a
// timeout; the producer closes it when done.
async function conditionBuffer(r: Round): Promise<void> {
  const { rng } = r;
  const cond = new Condition();
  const items: number[] = [];
  const c = { produced: 0, consumed: 0, closed: false };
  await taskGroup(async (tg) => {
    const consumers = Array.from({ length: rng.int(1, 4) }, (_, i) =>
      tg.spawn(async () => {
        for (;;) {
          const item = await cond.run(async () => {
            const ready = () => items.length > 0 || c.closed;
            // A consumer other than the first gives up waiting now and then.
            if (i > 0 && rng.chance(0.2)) {
              await moveOnAfter(rng.int(1, 5), () => cond.waitFor(ready));
            } else {
              await cond.waitFor(ready);
            }
            return items.shift();
          });
          if (item === undefined) {
            if (c.closed) return;
            continue;
          }
          c.consumed++;
          await sleep(rng.int(0, 2));
        }
      }),
    );
    for (const t of consumers.slice(1)) if (rng.chance(0.3)) r.chaos.cancel(t, rng.int(0, 20));
    for (let k = rng.int(5, 30); k > 0; k--) {
      if (k % 3 === 0) await sleep(1);
      await cond.run(() => {
        items.push(k);
        c.produced++;
        cond.notify();
      });
    }
    await cond.run(() => {
      c.closed = true;
      cond.notifyAll();
    });
  });
  r.tally.items += c.consumed;
  r.check(
    c.produced === c.consumed + items.length && items.length === 0,
    () => `Condition buffer: ${c.produced} produced, ${c.consumed} consumed, ${items.length} left`,
  );
  r.expect('Condition', cond.statistics(), { tasksWaiting: 0 });
  r.expect('Condition lock', cond.statistics().lock, { locked: false, tasksWaiting: 0 });
}

// 8. Events: the long-lived, never-set `stopping` Event waited on with timeouts
// (a shutdown check), and a fresh start gate that some waiters leave early.
async function events(r: Round): Promise<void> {
  const { rng, shared } = r;
  const gate = new Event();
  const o = { started: 0, passed: 0, cancelled: 0 };
  await taskGroup(async (tg) => {
    for (let w = rng.int(2, 10); w > 0; w--) {
      const patience = rng.int(1, 15);
      const signal = rng.chance(0.5) ? r.signal : shared.signal;
      const task = tg.spawn(async () => {
        o.started++;
        try {
          await moveOnAfter(patience, () => shared.stopping.wait({ signal: shared.signal }));
          await gate.wait({ signal });
          o.passed++;
        } catch (error) {
          if (isCancellation(error)) o.cancelled++;
          throw error;
        }
      });
      if (rng.chance(0.2)) r.chaos.cancel(task, rng.int(0, 20));
    }
    await sleep(rng.int(1, 20));
    gate.set();
  });
  r.check(
    o.started === o.passed + o.cancelled,
    () => `Event: ${o.started} waiters, ${o.passed} passed, ${o.cancelled} cancelled`,
  );
  r.expect('long-lived Event', shared.stopping.statistics(), { isSet: false, tasksWaiting: 0 });
  r.expect('gate Event', gate.statistics(), { isSet: true, tasksWaiting: 0 });
}

// A source that sleeps between items, like a paginated API.
async function* pages(from: number, to: number, ms: number): AsyncGenerator<number> {
  for (let i = from; i < to; i++) {
    if (i % 3 === 0) await sleep(ms);
    yield i;
  }
}

const sumTo = (n: number): number => (n * (n - 1)) / 2;

// 9. corio/iter pipelines: map({ concurrency }) → chunk({ within }), merge and
// buffer, consumed whole, left early (break), or cut short by moveOnAfter.
async function pipelines(r: Round): Promise<void> {
  const { rng } = r;
  const n = rng.int(20, 80);
  const ending = rng.int(0, 2);
  let seen = 0;
  let sum = 0;
  const mapped = pipe(
    range(0, n),
    map(
      async (x) => {
        await sleep(rng.int(0, 3));
        return x;
      },
      { concurrency: rng.int(1, 8) },
    ),
    chunk(rng.int(2, 10), { within: rng.int(1, 5) }),
  );
  const stopAt = rng.int(1, n);
  await moveOnAfter(ending === 2 ? rng.int(1, 30) : Infinity, async () => {
    for await (const batch of mapped) {
      for (const x of batch) sum += x;
      seen += batch.length;
      if (ending === 1 && seen >= stopAt) break;
    }
  });
  if (ending === 0) {
    r.check(seen === n && sum === sumTo(n), () => `map/chunk: ${seen} of ${n} items, sum ${sum}`);
  }
  r.tally.items += seen;

  const k = rng.int(5, 20);
  let merged = 0;
  let mergedSum = 0;
  const early = rng.chance(0.3);
  await moveOnAfter(rng.chance(0.3) ? rng.int(1, 20) : Infinity, async () => {
    for await (const x of pipe(
      merge(pages(0, k, 1), pages(k, 2 * k, 2), range(2 * k, 3 * k)),
      buffer(rng.int(1, 4)),
    )) {
      merged++;
      mergedSum += x;
      if (early && merged === k) break;
    }
  });
  if (merged === 3 * k) {
    r.check(mergedSum === sumTo(3 * k), () => `merge/buffer: sum ${mergedSum} of ${3 * k} items`);
  }
  r.check(merged <= 3 * k, () => `merge/buffer: ${merged} items from ${3 * k}`);
  r.tally.items += merged;
}

// 10. Pools: leases from the long-lived pool (some discarded, some under a timeout),
// and a fresh pool with validate, idleTimeout and acquireTimeout, drained at the end.
async function pools(r: Round): Promise<void> {
  const { rng, shared } = r;
  const conns = { created: 0, destroyed: 0 };
  const fresh = new Pool<Conn>({
    create: async () => {
      await sleep(rng.int(0, 3));
      return { id: ++conns.created, open: true };
    },
    destroy: (conn) => {
      conn.open = false;
      conns.destroyed++;
    },
    // A ping: async, so a cancellation can arrive while it runs.
    validate: async (conn) => {
      await sleep(rng.int(0, 1));
      return conn.open && rng.next() > 0.1;
    },
    max: rng.int(1, 4),
    idleTimeout: rng.int(1, 10),
    acquireTimeout: 30,
  });
  let closedLent = 0;
  await taskGroup((tg) => {
    for (let w = rng.int(2, 10); w > 0; w--) {
      const pool = rng.chance(0.5) ? shared.pool : fresh;
      const task = tg.spawn(async () => {
        try {
          if (rng.chance(0.3)) {
            await pool.use(async (conn) => {
              r.tally.leases++;
              if (!conn.open) closedLent++;
              await sleep(rng.int(0, 5));
              if (rng.chance(0.1)) throw new Error('broken connection');
            });
            return;
          }
          await timeout(rng.int(5, 40), async () => {
            await using lease = await pool.acquire({ signal: shared.signal });
            r.tally.leases++;
            if (!lease.value.open) closedLent++;
            await sleep(rng.int(0, 5));
            if (rng.chance(0.1)) await lease.discard();
          });
        } catch (error) {
          if (error instanceof TimeoutError) r.tally.timeouts++;
          else if (!(error instanceof Error && error.message === 'broken connection')) throw error;
        }
      });
      if (rng.chance(0.15)) r.chaos.cancel(task, rng.int(0, 20));
    }
  });
  await fresh.drain();
  r.check(closedLent === 0, () => `Pool: ${closedLent} destroyed connections were lent`);
  r.expect('fresh Pool after drain', fresh.statistics(), { size: 0, inUse: 0, tasksWaiting: 0 });
  r.check(
    conns.created === conns.destroyed,
    () => `fresh Pool: ${conns.created} created, ${conns.destroyed} destroyed`,
  );
  const stats = shared.pool.statistics();
  r.expect('long-lived Pool', stats, { inUse: 0, tasksWaiting: 0 });
  r.check(
    stats.size === shared.conns.created - shared.conns.destroyed && stats.size <= stats.max,
    () =>
      `long-lived Pool: size ${stats.size}, ${shared.conns.created} created, ${shared.conns.destroyed} destroyed`,
  );
}

// 11. retry() with exponential backoff around flaky calls, some under timeout().
async function retries(r: Round): Promise<void> {
  const { rng } = r;
  await taskGroup((tg) => {
    for (let w = rng.int(1, 6); w > 0; w--) {
      const failRate = rng.next();
      const call = () =>
        retry(
          async () => {
            r.tally.attempts++;
            await sleep(rng.int(0, 4));
            if (rng.next() < failRate) throw new Error('flaky');
          },
          {
            attempts: 4,
            backoff: exponentialBackoff({ initial: 2, max: 16, random: rng.next }),
          },
        );
      const task = tg.spawn(async () => {
        try {
          await (rng.chance(0.3) ? timeout(rng.int(5, 30), call) : call());
        } catch (error) {
          if (error instanceof TimeoutError) r.tally.timeouts++;
          else if (!(error instanceof Error && error.message === 'flaky')) throw error;
        }
      });
      if (rng.chance(0.15)) r.chaos.cancel(task, rng.int(0, 30));
    }
  });
}

// 12. race, gather, wait and asCompleted over small sleeps.
async function combinators(r: Round): Promise<void> {
  const { rng } = r;
  const delays = Array.from({ length: rng.int(2, 6) }, () => rng.int(0, 15));
  const winner = await race(delays.map((ms, i) => () => sleep(ms, i)));
  r.check(
    winner >= 0 && winner < delays.length,
    () => `race: winner ${winner} of ${delays.length}`,
  );

  const results = await gather(
    () => sleep(rng.int(0, 5), 'a'),
    async () => {
      await sleep(rng.int(0, 5));
      throw new Error('gathered');
    },
    sleep(rng.int(0, 5), 'c'),
    { returnExceptions: true },
  );
  r.check(
    results[0] === 'a' && results[1] instanceof Error && results[2] === 'c',
    () => `gather: ${String(results)}`,
  );

  const tasks = delays.map((ms) => createTask(() => sleep(ms, ms)));
  const { done, pending } = await wait(tasks, {
    returnWhen: FIRST_COMPLETED,
    timeout: rng.int(1, 10),
  });
  for (const t of pending) t.cancel();
  await wait(tasks);
  r.check(
    done.size + pending.size === tasks.length,
    () => `wait: ${done.size} done + ${pending.size} pending of ${tasks.length}`,
  );

  let yielded = 0;
  const stopAfter = rng.int(1, delays.length);
  try {
    for await (const _ of asCompleted(
      delays.map((ms) => () => sleep(ms)),
      { timeout: rng.int(5, 20) },
    )) {
      if (++yielded === stopAfter) break;
    }
  } catch (error) {
    rethrowUnless(error, TimeoutError);
    r.tally.timeouts++;
  }
}

// 13. Work that must finish (a commit) inside scopes cancelled from outside at
// random moments: shield(task) lets the caller go at once while the commit runs
// on (asyncio), cancelScope(fn, { shield: true }) holds the caller until it is done.
async function shielded(r: Round): Promise<void> {
  const { rng } = r;
  const c = { started: 0, committed: 0 };
  const commits: Task[] = [];
  const commit = async (): Promise<void> => {
    await sleep(rng.int(0, 5));
    c.committed++;
  };
  await taskGroup((tg) => {
    for (let w = rng.int(1, 6); w > 0; w--) {
      const scope = new CancelScope();
      r.chaos.cancelScope(scope, rng.int(0, 20));
      const detached = rng.chance(0.5);
      tg.spawn(() =>
        scope.run(async () => {
          await sleep(rng.int(0, 10));
          c.started++;
          if (detached) {
            const task = createTask(commit);
            commits.push(task);
            await shield(task);
          } else {
            await cancelScope(commit, { shield: true });
          }
          await sleep(rng.int(0, 10));
        }),
      );
    }
  });
  if (commits.length > 0) await wait(commits);
  r.check(c.started === c.committed, () => `shield: ${c.started} started, ${c.committed} done`);
}

/** The scenarios of a round, all run at once in one task group. */
export const scenarios: readonly (readonly [string, (r: Round) => Promise<void>])[] = [
  ['crawl', crawl],
  ['queue', queueShutdown],
  ['long-queue', longQueue],
  ['channels', channels],
  ['long-channel', longChannel],
  ['lock', lockWork],
  ['condition', conditionBuffer],
  ['events', events],
  ['pipelines', pipelines],
  ['pools', pools],
  ['retries', retries],
  ['combinators', combinators],
  ['shield', shielded],
];

/**
 * Runs one round: every scenario at once; the round's signal aborted at a random
 * moment in a third of the rounds. Failures go to `r.failures`.
 */
export async function runRound(
  r: Round,
  selected: readonly (readonly [string, (r: Round) => Promise<void>])[] = scenarios,
): Promise<void> {
  const { rng } = r;
  if (rng.chance(0.3))
    r.chaos.later(rng.int(1, 60), () => {
      r.controller.abort();
    });
  try {
    await taskGroup((tg) => {
      for (const [name, scenario] of selected) {
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
