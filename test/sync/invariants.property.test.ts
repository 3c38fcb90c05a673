// Property-based test (fast-check): random programs of acquire, release, put, get,
// cancellation and timeouts over a Lock, a Semaphore and a bounded Queue, run in
// virtual time. Whenever every task is blocked (no hand-off in flight), and again
// at the end, the invariants must hold:
// - permits are conserved (free + held = total) and nobody waits while one is free;
// - every item put is got exactly once or is still in the queue;
// - no waiter stays registered after its task ended.
// The seed is pinned, so a failure replays; fast-check prints the shrunk program.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Lock,
  Queue,
  Semaphore,
  createTask,
  getRunningLoop,
  isCancellation,
  moveOnAfter,
  run,
  sleep,
} from 'corio';
import { VirtualClock, waitAllTasksBlocked } from 'corio/testing';

// `thenCancel`: right after its hand-off (a release, a put, a get) the worker
// cancels another worker in the same synchronous step, which is exactly when a
// woken waiter has been handed something but has not resumed yet.
type Op =
  | {
      readonly kind: 'lock' | 'sem';
      readonly hold: number;
      readonly limit: number | null;
      readonly thenCancel: number | null;
    }
  | {
      readonly kind: 'put' | 'get';
      readonly limit: number | null;
      readonly thenCancel: number | null;
    }
  | { readonly kind: 'sleep'; readonly ms: number };

// Later than any planned event: cancels (<= 30) and 8 ops of at most 8 ms each.
const HORIZON = 120;

const limit = fc.option(fc.integer({ min: 0, max: 8 }), { nil: null });
const thenCancel = fc.option(fc.nat({ max: 5 }), { nil: null, freq: 2 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('lock' as const, 'sem' as const),
    hold: fc.integer({ min: 0, max: 5 }),
    limit,
    thenCancel,
  }),
  fc.record({ kind: fc.constantFrom('put' as const, 'get' as const), limit, thenCancel }),
  fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 5 }) }),
);
interface Program {
  readonly permits: number;
  readonly maxsize: number;
  readonly workers: Op[][];
  readonly cancels: { readonly worker: number; readonly at: number }[];
}

const program: fc.Arbitrary<Program> = fc.record({
  permits: fc.integer({ min: 1, max: 3 }),
  maxsize: fc.integer({ min: 1, max: 3 }),
  workers: fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 6 }),
  cancels: fc.array(fc.record({ worker: fc.nat(), at: fc.integer({ min: 0, max: 30 }) }), {
    maxLength: 4,
  }),
});

async function check(p: Program): Promise<void> {
  await run(
    async () => {
      const lock = new Lock();
      const sem = new Semaphore(p.permits);
      const queue = new Queue<string>(p.maxsize);
      let lockHolders = 0;
      let semHolders = 0;
      const put = new Set<string>();
      const got: string[] = [];
      const within = <T>(ms: number | null, fn: () => Promise<T>) =>
        ms === null ? fn() : moveOnAfter(ms, fn);

      const workers: ReturnType<typeof createTask<void>>[] = [];
      const cancelWorker = (target: number | null) => {
        if (target !== null) workers[target % workers.length]?.cancel();
      };
      const holdWhile = async (kind: 'lock' | 'sem', hold: number, then: number | null) => {
        const guard = await (kind === 'lock' ? lock : sem).acquire();
        if (kind === 'lock') lockHolders++;
        else semHolders++;
        try {
          await sleep(hold);
        } finally {
          if (kind === 'lock') lockHolders--;
          else semHolders--;
          guard.release();
          cancelWorker(then);
        }
      };

      const scripts = p.workers.map((script, w) =>
        createTask(async () => {
          try {
            for (const [i, o] of script.entries()) {
              switch (o.kind) {
                case 'lock':
                case 'sem':
                  await within(o.limit, () => holdWhile(o.kind, o.hold, o.thenCancel));
                  break;
                case 'put': {
                  const item = `${w}.${i}`;
                  await within(o.limit, async () => {
                    await queue.put(item);
                    put.add(item);
                    cancelWorker(o.thenCancel);
                  });
                  break;
                }
                case 'get':
                  await within(o.limit, async () => {
                    got.push(await queue.get());
                    cancelWorker(o.thenCancel);
                  });
                  break;
                case 'sleep':
                  await sleep(o.ms);
              }
            }
          } catch (err) {
            if (!isCancellation(err)) throw err;
          }
        }),
      );
      workers.push(...scripts);
      for (const { worker, at } of p.cancels) {
        createTask(async () => {
          await sleep(at);
          workers[worker % workers.length]?.cancel();
        });
      }

      const invariants = (where: string) => {
        const s = sem.statistics();
        assert.equal(s.value + semHolders, p.permits, `${where}: semaphore permits are conserved`);
        assert.ok(
          s.value === 0 || s.tasksWaiting === 0,
          `${where}: nobody waits while a permit is free`,
        );
        const l = lock.statistics();
        assert.equal(l.locked, lockHolders === 1, `${where}: the lock is held iff a task holds it`);
        assert.ok(l.locked || l.tasksWaiting === 0, `${where}: nobody waits for a free lock`);
        const q = queue.statistics();
        assert.ok(
          q.size === 0 || q.gettersWaiting === 0,
          `${where}: no getter waits while items are queued`,
        );
        assert.ok(
          queue.full() || q.puttersWaiting === 0,
          `${where}: no putter waits while a slot is free`,
        );
        assert.equal(new Set(got).size, got.length, `${where}: no item is got twice`);
        for (const item of got) assert.ok(put.has(item), `${where}: ${item} was got but never put`);
      };

      // A worker may wait forever (a get nobody feeds): after the last planned
      // event, the remaining workers are cancelled, which must leave nothing behind.
      while (workers.some((w) => !w.done()) && getRunningLoop().time() < HORIZON) {
        await waitAllTasksBlocked();
        invariants(`t=${getRunningLoop().time()}`);
        // Let time move: every task is blocked, so only a timer can wake one.
        await sleep(1);
      }
      for (const w of workers) w.cancel();
      for (const w of workers) await Promise.resolve(w).catch(() => {});
      invariants('end');
      const remaining: string[] = [];
      while (!queue.empty()) remaining.push(queue.getNowait());
      assert.deepEqual(
        [...got, ...remaining].sort(),
        [...put].sort(),
        'every item put is got once or still queued',
      );
      assert.equal(
        sem.statistics().tasksWaiting + lock.statistics().tasksWaiting,
        0,
        'no waiter left behind',
      );
      assert.equal(queue.statistics().tasksWaiting, 0, 'no getter or putter left behind');
    },
    { clock: new VirtualClock() },
  );
}

test('locks, semaphores and queues keep their invariants under random cancellation', async () => {
  await fc.assert(fc.asyncProperty(program, check), { seed: 20261124, numRuns: 1000 });
});
