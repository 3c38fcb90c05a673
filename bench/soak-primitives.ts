// Soak scenarios on corio's primitives (bench/soak.ts): a crawler's fan-out under
// limits and timeouts, queues and channels with several producers and consumers,
// Lock, Condition and Event. Each builds fresh primitives, also leans on the
// long-lived ones in `Shared`, and checks its own invariants (items conserved,
// every statistics() back to idle) through `Round`.
import {
  Condition,
  Event,
  Queue,
  QueueShutDown,
  Semaphore,
  type Task,
  TimeoutError,
  isCancellation,
  moveOnAfter,
  openChannel,
  shield,
  sleep,
  taskGroup,
  timeout,
  wait,
} from 'corio';
import { type Round, type Scenario, rethrowUnless } from './soak-round.js';

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

export const primitives: readonly (readonly [string, Scenario])[] = [
  ['crawl', crawl],
  ['queue', queueShutdown],
  ['long-queue', longQueue],
  ['channels', channels],
  ['long-channel', longChannel],
  ['lock', lockWork],
  ['condition', conditionBuffer],
  ['events', events],
];
