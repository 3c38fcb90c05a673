// Soak scenarios on what is composed from corio's primitives (bench/soak.ts):
// corio/iter pipelines, pools, retry, the group combinators and shield, each
// with the invariants it checks through `Round`.
import {
  CancelScope,
  FIRST_COMPLETED,
  type Task,
  TimeoutError,
  asCompleted,
  cancelScope,
  createTask,
  gather,
  moveOnAfter,
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
import { type Conn, type Round, type Scenario, rethrowUnless } from './soak-round.js';

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

export const composed: readonly (readonly [string, Scenario])[] = [
  ['pipelines', pipelines],
  ['pools', pools],
  ['retries', retries],
  ['combinators', combinators],
  ['shield', shielded],
];
