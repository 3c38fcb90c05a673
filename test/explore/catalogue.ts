// The explore() catalogue: small programs with a race corio's default order
// hides (or shows only sometimes), each with its fixed twin. Each is a test
// function as a user would hand it to explore(): it builds its state afresh and
// throws when the race bit. test/explore/catalogue.test.ts checks a slice of
// the bar in npm test; scripts/explore-catalogue.ts measures all of it.
import {
  ClosedResourceError,
  Event,
  Lock,
  Queue,
  QueueEmpty,
  type TaskStatus,
  cancelScope,
  checkpoint,
  moveOnAfter,
  openChannel,
  sleep,
  taskGroup,
} from 'corio';
import { map } from 'corio/iter';

export interface Program {
  /** What the race is. */
  readonly name: string;
  /** The buggy version: throws (or deadlocks, or leaves a task) in some schedules. */
  readonly bug: () => Promise<void>;
  /** The same program with the race fixed: passes in every schedule. */
  readonly fixed: () => Promise<void>;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

// 1. Check-then-act across an await: two withdrawals both pass the balance check
// before either subtracts. The second starts one turn later, so in corio's own
// order the first has finished by then.
function withdrawals(locked: boolean) {
  return async () => {
    let balance = 100;
    const lock = new Lock();
    const withdraw = async (amount: number) => {
      if (locked) {
        using _ = await lock.acquire();
        if (balance < amount) return;
        await checkpoint(); // write the audit log
        balance -= amount;
        return;
      }
      if (balance < amount) return;
      await checkpoint(); // write the audit log
      balance -= amount;
    };
    await taskGroup((tg) => {
      tg.spawn(() => withdraw(80), { name: 'A' });
      tg.spawn(
        async () => {
          await checkpoint();
          await withdraw(80);
        },
        { name: 'B' },
      );
    });
    check(balance >= 0, `overdrawn: balance ${balance}`);
  };
}

// 2. A lost update across a plain await: B reads the counter, awaits a plain
// promise (no corio wait), and writes back what it read plus one. Both wake at
// the same instant; in corio's order A's increment runs first.
function counter(fixed: boolean) {
  return async () => {
    let count = 0;
    const save = async (value: number) => {
      await Promise.resolve(); // a plain async call: validation, a cache write
      return value;
    };
    await taskGroup((tg) => {
      tg.spawn(
        async () => {
          await sleep(10);
          count += 1;
        },
        { name: 'A' },
      );
      tg.spawn(
        async () => {
          await sleep(10);
          if (fixed) {
            await save(count + 1);
            count += 1; // read and written with no await between
            return;
          }
          const seen = count;
          count = await save(seen + 1);
        },
        { name: 'B' },
      );
    });
    check(count === 2, `lost update: count ${count}`);
  };
}

// 3. Missing tg.start readiness: the client looks the service up right after
// spawning its server, which registers itself when it starts. Corio starts
// tasks in creation order, so the server is always first — in corio's order.
function registry(fixed: boolean) {
  return async () => {
    const services = new Map<string, (x: number) => number>();
    const server = async (ready?: TaskStatus<void>) => {
      services.set('double', (x) => 2 * x);
      ready?.started(undefined);
      await sleep(Infinity);
    };
    await taskGroup(async (tg) => {
      if (fixed) await tg.start((status) => server(status), { name: 'server' });
      else tg.spawn(() => server(), { name: 'server' });
      tg.spawn(
        () => {
          const double = services.get('double');
          check(double !== undefined, 'the service is not registered yet');
          tg.cancel();
        },
        { name: 'client' },
      );
    });
  };
}

// 4. An equal-deadline timer tie: the watchdog checks at exactly the worker's
// deadline. Corio fires equal deadlines in the order they were set (the
// worker's first); nothing promises that across machines, clocks or refactors.
function watchdog(fixed: boolean) {
  return async () => {
    let done = false;
    await taskGroup((tg) => {
      tg.spawn(
        async () => {
          await sleep(100);
          done = true;
        },
        { name: 'worker' },
      );
      tg.spawn(
        async () => {
          await sleep(fixed ? 101 : 100);
          check(done, 'the watchdog fired before the worker finished');
        },
        { name: 'watchdog' },
      );
    });
  };
}

// 5. ABBA: two tasks take two locks in opposite orders. B starts two turns late,
// so in corio's order A holds both before B takes its first.
function abba(fixed: boolean) {
  return async () => {
    const [a, b] = [new Lock(), new Lock()];
    await taskGroup((tg) => {
      tg.spawn(
        async () => {
          using _a = await a.acquire();
          await checkpoint();
          using _b = await b.acquire();
        },
        { name: 'A' },
      );
      tg.spawn(
        async () => {
          await checkpoint();
          await checkpoint();
          const [first, second] = fixed ? [a, b] : [b, a];
          using _first = await first.acquire();
          await checkpoint();
          using _second = await second.acquire();
        },
        { name: 'B' },
      );
    });
  };
}

// 6. A wake-order assumption: both tasks wait for `ready`; the code assumes the
// first waiter (which initialises the shared table) runs before the second.
// Event.set() wakes waiters in FIFO order, but a woken task runs when it runs.
function wakeOrder(fixed: boolean) {
  return async () => {
    const ready = new Event();
    const initialised = new Event();
    let table: Map<string, number> | null = null;
    await taskGroup((tg) => {
      tg.spawn(
        async () => {
          await ready.wait();
          table = new Map([['a', 1]]);
          initialised.set();
        },
        { name: 'init' },
      );
      tg.spawn(
        async () => {
          await ready.wait();
          if (fixed) await initialised.wait();
          check(table !== null, 'the table is not initialised yet');
        },
        { name: 'reader' },
      );
      tg.spawn(
        async () => {
          await sleep(1);
          ready.set();
        },
        { name: 'starter' },
      );
    });
  };
}

// 7. TOCTOU on empty(): check, await something, then get(). The second consumer
// starts a turn late, so in corio's order the item is gone by then.
function toctou(fixed: boolean) {
  return async () => {
    const queue = new Queue<string>();
    queue.putNowait('job');
    const got: string[] = [];
    const consume = async () => {
      if (fixed) {
        try {
          got.push(queue.getNowait());
        } catch (error) {
          if (!(error instanceof QueueEmpty)) throw error;
        }
        return;
      }
      if (!queue.empty()) {
        await checkpoint(); // log "taking a job"
        got.push(await queue.get());
      }
    };
    await taskGroup((tg) => {
      tg.spawn(consume, { name: 'A' });
      tg.spawn(
        async () => {
          await checkpoint();
          await consume();
        },
        { name: 'B' },
      );
    });
    check(got.length === 1, `got ${got.length} jobs`);
  };
}

// 8. Shutdown racing a parked putter: the consumer shuts the queue down once it
// has its two items, while the producer's last put (of a progress marker) may
// still be parked on the full queue. In corio's order it has gone in by then.
function shutdownRace(fixed: boolean) {
  return async () => {
    const queue = new Queue<string>(1);
    const got: string[] = [];
    await taskGroup((tg) => {
      tg.spawn(
        async () => {
          for (const item of ['a', 'b']) await queue.put(item);
          await queue.put('end');
        },
        { name: 'producer' },
      );
      tg.spawn(
        async () => {
          for (;;) {
            const item = await queue.get();
            if (item === 'end') break;
            got.push(item);
            if (!fixed && got.length === 2) break;
          }
          queue.shutdown();
        },
        { name: 'consumer' },
      );
    });
    check(got.join() === 'a,b', `got ${got.join()}`);
  };
}

// 9. Cancel-at-wake leak: a hand-made mailbox whose getter, cancelled just as
// an item is handed to it, drops the item. The getter gives up at 10 ms, the
// item comes at 10 ms: corio fires the getter's deadline first.
class Mailbox<T> {
  readonly #items: T[] = [];
  readonly #waiters: { event: Event; item?: T }[] = [];
  readonly #handsOn: boolean;

  constructor(handsOn: boolean) {
    this.#handsOn = handsOn;
  }

  put(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#items.push(item);
      return;
    }
    waiter.item = item;
    waiter.event.set();
  }

  async get(): Promise<T> {
    if (this.#items.length > 0) return this.#items.shift() as T;
    const waiter: { event: Event; item?: T } = { event: new Event() };
    this.#waiters.push(waiter);
    try {
      await waiter.event.wait();
    } catch (error) {
      const i = this.#waiters.indexOf(waiter);
      if (i >= 0) this.#waiters.splice(i, 1);
      // The fix: an item handed over as the getter was cancelled goes back.
      else if (this.#handsOn && waiter.item !== undefined) this.#items.unshift(waiter.item);
      throw error;
    }
    return waiter.item as T;
  }

  get size(): number {
    return this.#items.length;
  }
}

function mailbox(fixed: boolean) {
  return async () => {
    const box = new Mailbox<string>(fixed);
    let received = 0;
    await taskGroup((tg) => {
      tg.spawn(
        async () => {
          if ((await moveOnAfter(10, () => box.get())) !== undefined) received++;
        },
        { name: 'getter' },
      );
      tg.spawn(
        async () => {
          await sleep(10);
          box.put('letter');
        },
        { name: 'postman' },
      );
    });
    check(received + box.size === 1, 'the letter was lost');
  };
}

// 10. Unshielded cleanup after break: each call of a concurrent map takes a
// connection and gives it back in `finally` with an await. Leaving the loop
// cancels the calls still running, and an unshielded await in their cleanup
// throws at once. Both calls end at 10 ms; in corio's order both have ended
// before the consumer breaks.
function cleanupAfterBreak(fixed: boolean) {
  return async () => {
    let open = 0;
    const release = async () => {
      await checkpoint(); // tell the pool
      open--;
    };
    const call = async (n: number) => {
      open++;
      try {
        await sleep(10);
        return n;
      } finally {
        if (fixed) await cancelScope(release, { shield: true });
        else await release();
      }
    };
    for await (const n of map(call, { concurrency: 2 })([1, 2])) {
      if (n > 0) break;
    }
    check(open === 0, `${open} connection(s) never given back`);
  };
}

// 11. Double close: close() flushes, then marks the connection closed, so two
// closers can both get past the check. The second closer starts a turn late.
class Connection {
  #closed = false;
  #closing = false;
  readonly #markFirst: boolean;

  constructor(markFirst: boolean) {
    this.#markFirst = markFirst;
  }

  async close(): Promise<void> {
    if (this.#markFirst) {
      if (this.#closing) return;
      this.#closing = true;
    } else if (this.#closed) return;
    await checkpoint(); // flush
    if (this.#closed) throw new ClosedResourceError('the connection was closed twice');
    this.#closed = true;
  }
}

function doubleClose(fixed: boolean) {
  return async () => {
    const connection = new Connection(fixed);
    await taskGroup((tg) => {
      tg.spawn(() => connection.close(), { name: 'A' });
      tg.spawn(
        async () => {
          await checkpoint();
          await connection.close();
        },
        { name: 'B' },
      );
    });
  };
}

// 12. A handshake race: the server's heartbeat may send its first ping before the
// handler's welcome, while the client takes the first message for the welcome.
function handshake(fixed: boolean) {
  return async () => {
    const [toServer, serverInbox] = openChannel<string>(Infinity);
    const [toClient, clientInbox] = openChannel<string>(Infinity);
    const welcomed = new Event();
    await taskGroup(async (tg) => {
      tg.spawn(
        async () => {
          const hello = await serverInbox.receive();
          await checkpoint(); // authenticate
          toClient.sendNowait(`welcome ${hello}`);
          welcomed.set();
        },
        { name: 'handler' },
      );
      tg.spawn(
        async () => {
          await checkpoint();
          if (fixed) await welcomed.wait();
          await checkpoint();
          toClient.sendNowait('ping');
        },
        { name: 'heartbeat' },
      );
      await toServer.send('client-1');
      const first = await clientInbox.receive();
      check(first.startsWith('welcome'), `the first message was ${first}`);
    });
  };
}

export const catalogue: readonly Program[] = [
  { name: 'check-then-act across an await', bug: withdrawals(false), fixed: withdrawals(true) },
  { name: 'lost update across a plain await', bug: counter(false), fixed: counter(true) },
  { name: 'missing tg.start readiness', bug: registry(false), fixed: registry(true) },
  { name: 'equal-deadline timer tie', bug: watchdog(false), fixed: watchdog(true) },
  { name: 'ABBA deadlock', bug: abba(false), fixed: abba(true) },
  { name: 'wake-order assumption', bug: wakeOrder(false), fixed: wakeOrder(true) },
  { name: 'TOCTOU on empty()', bug: toctou(false), fixed: toctou(true) },
  { name: 'shutdown racing a parked putter', bug: shutdownRace(false), fixed: shutdownRace(true) },
  { name: 'cancel-at-wake leak', bug: mailbox(false), fixed: mailbox(true) },
  {
    name: 'unshielded cleanup after break',
    bug: cleanupAfterBreak(false),
    fixed: cleanupAfterBreak(true),
  },
  { name: 'double close', bug: doubleClose(false), fixed: doubleClose(true) },
  { name: 'handshake race', bug: handshake(false), fixed: handshake(true) },
];
