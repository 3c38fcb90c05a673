// corio/redis on a real redis-server: the Queue verbs, dedup, retries and the
// dead-letter stream, leases (reclaim, renewal, fencing), cancel-safe get(),
// remote cancel, serve() and shutdown. Real time throughout (see _redis.ts).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import {
  CancelScope,
  CancelledError,
  QueueShutDown,
  cancelScope,
  checkpoint,
  createTask,
  getRunningLoop,
  isCancellation,
  moveOnAfter,
  run,
  sleep,
  taskGroup,
} from 'corio';
import { assertCheckpoints } from 'corio/testing';
import { type Delivery, LeaseLostError, type NodeRedisClient, openWorkQueue } from 'corio/redis';
import { type Client, connect, fresh, pause, reports, skip, until, useRedis } from './_redis.js';

const redis = useRedis();

const withClient = async (fn: (client: Client) => Promise<void>): Promise<void> => {
  const client = await connect(redis.server.url);
  try {
    await run(() => fn(client));
  } finally {
    client.destroy();
  }
};

// Stands for fetch(url, { signal: job.signal }) in a handler: a host promise of
// 5 s, not a corio wait, that ends early (rejected) when its signal aborts.
function external(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 5000);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

// A serve() handler that runs external(job.signal) and records whether it
// started and the signal's reason when that work ended (none if it ran its 5 s).
function outsideWork(): {
  readonly seen: { started: boolean; reason: unknown };
  readonly handler: (value: number, job: Delivery<number>) => Promise<void>;
} {
  const seen = { started: false, reason: undefined as unknown };
  const handler = async (_value: number, job: Delivery<number>): Promise<void> => {
    seen.started = true;
    try {
      await external(job.signal);
    } finally {
      seen.reason = job.signal.reason;
    }
  };
  return { seen, handler };
}

describe('WorkQueue: the Queue verbs', { skip }, () => {
  test('put, get and ack: the job leaves the stream; statistics count it', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<{ n: number }>({ client, name: fresh('basic') });
      const id = await queue.put({ n: 1 });
      assert.match(id, /^\d+-\d+$/);
      assert.deepEqual(
        { ...(await queue.statistics()), consumers: 0 },
        { length: 1, pending: 0, waiting: 1, consumers: 0, dead: 0, held: 0, gettersWaiting: 0 },
      );
      const job = await queue.get();
      assert.deepEqual([job.value, job.id, job.attempt], [{ n: 1 }, id, 1]);
      const busy = await queue.statistics();
      assert.deepEqual([busy.length, busy.pending, busy.held], [1, 1, 1]);
      await queue.taskDone(job);
      const done = await queue.statistics();
      assert.deepEqual([done.length, done.pending, done.held], [0, 0, 0]);
      assert.equal(await client.xLen(`corio:{${queue.name}}`), 0);
      await assert.rejects(
        job.ack(),
        /^InvalidStateError: Delivery.ack\(\): job "[^"]+" is already acked$/,
      );
    }));

  test('a put with an id adds nothing while that job is unfinished; after its ack it can come again', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<string>({ client, name: fresh('dedup') });
      assert.equal(await queue.put('a', { id: 'x' }), 'x');
      assert.equal(await queue.put('b', { id: 'x' }), 'x');
      assert.equal((await queue.statistics()).length, 1);
      const job = await queue.get();
      assert.equal(await queue.put('c', { id: 'x' }), 'x'); // running: still a duplicate
      await job.ack();
      await queue.put('d', { id: 'x' });
      const again = await queue.get();
      assert.deepEqual([again.value, again.id, again.attempt], ['d', 'x', 1]);
      await again.ack();
    }));

  test('nack gives the job back at once, as the next attempt; the last one goes to the dead-letter stream', () =>
    withClient(async (client) => {
      const name = fresh('nack');
      await using queue = await openWorkQueue<string>({ client, name, maxDeliveries: 2 });
      await queue.put('flaky', { id: 'f' });
      const first = await queue.get();
      await first.nack();
      const second = await queue.get();
      assert.deepEqual([second.id, second.attempt], ['f', 2]);
      await second.nack({ reason: 'still broken' });
      const stats = await queue.statistics();
      assert.deepEqual([stats.length, stats.pending, stats.dead], [0, 0, 1]);
      const [entry] = (await client.xRange(`corio:{${name}}:dead`, '-', '+')) as {
        message: Record<string, string>;
      }[];
      assert.deepEqual(
        { ...entry?.message, entry: undefined },
        { v: '"flaky"', id: 'f', attempts: '2', error: 'still broken', entry: undefined },
      );
    }));

  test('a nack delay past the visibility timeout is capped at it', () =>
    withClient(async (client) => {
      const name = fresh('nack-cap');
      await using queue = await openWorkQueue<string>({ client, name, visibilityTimeout: 300 });
      await queue.put('later');
      await (await queue.get()).nack({ delay: 1e9 });
      const start = performance.now();
      const again = await moveOnAfter(3000, () => queue.get());
      const waited = performance.now() - start;
      assert.equal(again?.attempt, 2);
      assert.ok(waited >= 250, `back after ${waited.toFixed(0)} ms`);
      await again.ack();
    }));

  test('a value the codec cannot read goes to the dead-letter stream, reported', () =>
    withClient(async (client) => {
      const seen = reports();
      const name = fresh('codec');
      await using queue = await openWorkQueue<number>({ client, name });
      await client.xAdd(`corio:{${name}}`, '*', { v: 'not json' });
      await queue.put(2);
      const job = await queue.get();
      assert.equal(job.value, 2);
      await job.ack();
      await until(async () => (await queue.statistics()).dead === 1);
      assert.match(seen[0]?.message ?? '', /went to the dead-letter stream$/);
    }));

  test('join() waits until every job is acked, on any worker', () =>
    withClient(async (client) => {
      const name = fresh('join');
      await using producer = await openWorkQueue<number>({ client, name });
      await using worker = await openWorkQueue<number>({ client, name });
      for (let i = 0; i < 5; i++) await producer.put(i);
      const acked: number[] = [];
      await taskGroup(async (tg) => {
        tg.spawn(async () => {
          for (let i = 0; i < 5; i++) {
            const job = await worker.get();
            await sleep(5);
            acked.push(job.value);
            await job.ack();
          }
        });
        await producer.join();
        assert.equal(acked.length, 5);
      });
    }));

  test('put() waits while maxsize jobs are unfinished, and goes on when one is acked', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({
        client,
        name: fresh('maxsize'),
        maxsize: 2,
      });
      await queue.put(1);
      await queue.put(2);
      const third = createTask(() => queue.put(3));
      await pause(50);
      assert.equal(third.done(), false);
      const job = await queue.get();
      await job.ack();
      await third;
      assert.equal((await queue.statistics()).length, 2);
    }));

  test('for await takes jobs until the handle is shut down', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: fresh('iterate') });
      for (const n of [1, 2, 3]) await queue.put(n);
      const got: number[] = [];
      for await (const job of queue) {
        got.push(job.value);
        await job.ack();
        if (got.length === 3) await queue.shutdown();
      }
      assert.deepEqual(got, [1, 2, 3]);
      await assert.rejects(queue.put(4), QueueShutDown);
    }));

  test('every waiting method is a cancellation point, also when it need not wait', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: fresh('checkpoints') });
      await queue.put(1);
      await assertCheckpoints(() => queue.put(2));
      await assertCheckpoints(() => queue.get());
      await assertCheckpoints(() => queue.join());
      await assertCheckpoints(() => queue.statistics());
      await assertCheckpoints(() => queue.cancel('x'));
      const job = await queue.get();
      await assertCheckpoints(() => job.ack());
      await assertCheckpoints(() => job.nack());
      await assertCheckpoints(() => job.extend());
      await job.ack();
      assert.equal((await queue.statistics()).length, 0);
    }));

  test('a queue and a delivery print as ClassName<facts>', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: 'printed' });
      await queue.put(1, { id: 'one' });
      const job = await queue.get();
      assert.equal(inspect(queue), 'WorkQueue<"printed" held=1>');
      assert.equal(inspect(job), 'Delivery<one attempt=1 held>');
      await job.ack();
      await queue.shutdown();
      assert.equal(String(queue), 'WorkQueue<"printed" shutdown>');
    }));
});

describe('WorkQueue: bad input', { skip }, () => {
  test("a visibility timeout or heartbeat past a host timer's limit is a RangeError at open", () =>
    withClient(async (client) => {
      const name = fresh('timer-limit');
      await assert.rejects(
        openWorkQueue({ client, name, visibilityTimeout: 1e10 }),
        /^RangeError: openWorkQueue\(\): `options.visibilityTimeout` must be a number >= 10 and <= 2147483647 \(a host timer's limit, about 24.8 days\), got 10000000000$/,
      );
      await assert.rejects(
        openWorkQueue({ client, name, visibilityTimeout: 2 ** 31 - 1, heartbeat: 2 ** 31 }),
        /^RangeError: openWorkQueue\(\): `options.heartbeat` must be a number >= 1 and <= 2147483647/,
      );
      await using longest = await openWorkQueue({ client, name, visibilityTimeout: 2 ** 31 - 1 });
      assert.equal(longest.heartbeat, Math.floor((2 ** 31 - 1) / 3));
    }));

  test('taskDone() refuses a delivery of another queue handle, and leaves it held', () =>
    withClient(async (client) => {
      await using emails = await openWorkQueue<string>({ client, name: fresh('emails') });
      await using images = await openWorkQueue<string>({ client, name: fresh('images') });
      await using emails2 = await openWorkQueue<string>({ client, name: emails.name });
      await emails.put('hello', { id: 'mail-1' });
      const job = await emails.get();
      await assert.rejects(
        images.taskDone(job),
        new RangeError(
          `WorkQueue.taskDone(): \`delivery\` must be a delivery got from this handle of the queue "${images.name}", got one of the queue "${emails.name}"; call \`delivery.ack()\` to ack it there`,
        ),
      );
      await assert.rejects(emails2.taskDone(job), /got one of another handle of it;/);
      assert.equal(job.held(), true);
      assert.equal((await emails.statistics()).length, 1);
      await emails.taskDone(job);
      assert.equal((await emails.statistics()).length, 0);
    }));

  test("an empty job id is a RangeError in put() and cancel(), not 'no id'", () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<string>({ client, name: fresh('empty-id') });
      await assert.rejects(
        queue.put('first', { id: '' }),
        /^RangeError: WorkQueue.put\(\): `options.id` must be a non-empty string, got /,
      );
      await assert.rejects(
        queue.cancel(''),
        /^RangeError: WorkQueue.cancel\(\): `id` must be a non-empty string, got /,
      );
      assert.equal((await queue.statistics()).length, 0);
    }));
});

describe('openWorkQueue() cancelled', { skip }, () => {
  // The client, and the duplicates it makes, calling `step(name)` as each command
  // or connect of the open goes out: a cancel can then land at every await of the open.
  const spying = (client: Client, step: (name: string) => void): NodeRedisClient =>
    new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (key === 'duplicate') return spying(result as Client, step);
          if (key === 'sendCommand') step(String((args[0] as string[])[0]));
          if (key === 'connect' || key === 'SUBSCRIBE') step(key);
          return result;
        };
      },
    });

  const connections = async (client: Client): Promise<number> =>
    (await client.sendCommand<string>(['CLIENT', 'LIST'])).trim().split('\n').length;

  for (const at of ['INFO', 'XGROUP', 'connect', 'SUBSCRIBE']) {
    test(`cancelled as its ${at} is on the way, an open has opened nothing`, () =>
      withClient(async (client) => {
        const before = await connections(client);
        const scope = new CancelScope();
        const spy = spying(client, (name) => {
          if (name === at) scope.cancel();
        });
        const queue = await scope.run(() =>
          openWorkQueue<number>({ client: spy, name: fresh('open-cancel') }),
        );
        assert.equal(queue, undefined);
        assert.equal(scope.cancelledCaught, true);
        await pause(100); // what a leaked open would still do
        assert.equal(await connections(client), before);
      }));
  }
});

describe('WorkQueue: leases', { skip }, () => {
  test('a job held by a worker that went silent is taken after the visibility timeout, as attempt 2', () =>
    withClient(async (client) => {
      const name = fresh('reclaim');
      await using queue = await openWorkQueue<string>({ client, name, visibilityTimeout: 200 });
      await queue.put('orphan');
      // A consumer that reads the job and is never heard from again.
      await client.sendCommand([
        'XREADGROUP',
        'GROUP',
        'workers',
        'ghost',
        'COUNT',
        '1',
        'STREAMS',
        `corio:{${name}}`,
        '>',
      ]);
      const start = performance.now();
      const job = await queue.get();
      const waited = performance.now() - start;
      assert.deepEqual([job.value, job.attempt], ['orphan', 2]);
      assert.ok(waited >= 150, `reclaimed after ${waited} ms`);
      await job.ack();
    }));

  test('heartbeats keep a lease past many visibility timeouts', () =>
    withClient(async (client) => {
      const name = fresh('renew');
      await using worker = await openWorkQueue<string>({ client, name, visibilityTimeout: 100 });
      await using other = await openWorkQueue<string>({ client, name, visibilityTimeout: 100 });
      await worker.put('long');
      const job = await worker.get();
      const stolen = await moveOnAfter(600, () => other.get());
      assert.equal(stolen, undefined);
      await job.ack();
    }));

  test('a lease lost to another worker: the signal aborts and ack throws LeaseLostError; the new holder acks', () =>
    withClient(async (client) => {
      const name = fresh('fence');
      await using a = await openWorkQueue<string>({ client, name, visibilityTimeout: 5000 });
      await using b = await openWorkQueue<string>({ client, name, visibilityTimeout: 5000 });
      await a.put('contested', { id: 'c' });
      const first = await a.get();
      // What a reclaim after a missed lease does: another consumer claims the entry.
      await client.sendCommand([
        'XCLAIM',
        `corio:{${name}}`,
        'workers',
        b.consumer,
        '0',
        first._entry,
      ]);
      await assert.rejects(first.ack(), (error: unknown) => {
        assert.ok(error instanceof LeaseLostError);
        assert.deepEqual([error.id, error.attempt], ['c', 1]);
        return true;
      });
      assert.equal(first.signal.aborted, true);
      assert.ok((first.signal.reason as CancelledError).cause instanceof LeaseLostError);
      assert.equal(first.held(), false);
      assert.equal((await a.statistics()).held, 0);
      // The entry is b's, at delivery 2: b's heartbeat would renew it; a's extend fails.
      await assert.rejects(first.extend(), LeaseLostError);
    }));

  test('a heartbeat that finds the lease lost aborts the signal without an ack', () =>
    withClient(async (client) => {
      const name = fresh('lost-beat');
      await using a = await openWorkQueue<string>({
        client,
        name,
        visibilityTimeout: 300,
        heartbeat: 50,
      });
      await a.put('x');
      const job = await a.get();
      await client.sendCommand(['XCLAIM', `corio:{${name}}`, 'workers', 'thief', '0', job._entry]);
      await until(() => job.signal.aborted, 2000);
      assert.match((job.signal.reason as Error).message, /lost its lease$/);
    }));
});

describe('WorkQueue.get() is cancel-safe', { skip }, () => {
  test('1,000 parked get()s cancelled: all return before the next host turn, and nothing is stranded', () =>
    withClient(async (client) => {
      const name = fresh('parked');
      await using queue = await openWorkQueue<number>({ client, name });
      // A cancelled get() leaves corio's wait at once: it waits for no reply from
      // Redis (the blocking read is ended behind it). So every get() is back
      // before a host callback queued at the cancel runs: no time bound needed.
      let hostTurned = false;
      let late = 0;
      let out = 0;
      await cancelScope(async (scope) => {
        await taskGroup(async (tg) => {
          for (let i = 0; i < 1000; i++) {
            tg.spawn(async () => {
              try {
                await queue.get();
              } finally {
                out++;
                if (hostTurned) late++;
              }
            });
          }
          await until(async () => (await queue.statistics()).gettersWaiting === 1000);
          setImmediate(() => {
            hostTurned = true;
          });
          scope.cancel();
        });
      });
      assert.deepEqual([out, late], [1000, 0], 'every get() returned before the next host turn');
      const stats = await queue.statistics();
      assert.deepEqual([stats.gettersWaiting, stats.pending, stats.held], [0, 0, 0]);
      await queue.put(7);
      const job = await queue.get();
      assert.deepEqual([job.value, job.attempt], [7, 1]);
      await job.ack();
    }));

  test('a job fetched for a get() cancelled at that moment goes to the next get()', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: fresh('race') });
      await queue.put(1);
      // Cancelled while its fetch is on the way: the fetch still takes the job.
      await cancelScope(async (scope) => {
        const get = queue.get();
        scope.cancel();
        await assert.rejects(get, CancelledError);
      });
      await until(async () => (await queue.statistics()).held === 1);
      const job = await queue.get();
      assert.deepEqual([job.value, job.attempt], [1, 1]);
      await job.ack();
    }));

  test('a job fetched for a cancelled get() goes to the very next get(), whose own fetch came back empty', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: fresh('race-next') });
      await queue.put(1);
      await cancelScope(async (scope) => {
        const get = queue.get();
        scope.cancel();
        await assert.rejects(get, CancelledError);
      });
      // Asked before the first fetch's reply is back: its own fetch, behind it, finds nothing.
      const job = await moveOnAfter(1000, () => queue.get());
      assert.deepEqual([job?.value, job?.attempt], [1, 1]);
      await job?.ack();
    }));

  test('a kept job nobody asks for goes back to the other workers within two heartbeats', () =>
    withClient(async (client) => {
      const name = fresh('kept');
      await using a = await openWorkQueue<number>({
        client,
        name,
        visibilityTimeout: 3000,
        heartbeat: 50,
      });
      await using b = await openWorkQueue<number>({
        client,
        name,
        visibilityTimeout: 3000,
        heartbeat: 50,
      });
      await a.put(1);
      await cancelScope(async (scope) => {
        const get = a.get();
        scope.cancel();
        await assert.rejects(get, CancelledError);
      });
      const start = performance.now();
      const job = await b.get();
      assert.ok(performance.now() - start < 1500, 'well before the visibility timeout');
      assert.equal(job.attempt, 2);
      await job.ack();
    }));
});

describe('WorkQueue.cancel()', { skip }, () => {
  test('a job not yet started is removed; an unknown one is not found', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: fresh('cancel-queued') });
      const id = await queue.put(1);
      await queue.put(2, { id: 'two' });
      assert.equal(await queue.cancel(id), true);
      assert.equal(await queue.cancel('two', 'not needed'), true);
      assert.equal(await queue.cancel('two'), false);
      assert.equal(await queue.cancel('nothing'), false);
      assert.equal((await queue.statistics()).length, 0);
    }));

  test('a running job is stopped on the worker that runs it, and not retried', () =>
    withClient(async (client) => {
      const name = fresh('cancel-running');
      await using worker = await openWorkQueue<string>({ client, name });
      await using admin = await openWorkQueue<string>({ client, name });
      await admin.put('endless', { id: 'e' });
      const outcome: string[] = [];
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          worker.serve(async (_value, job) => {
            try {
              await sleep(60_000);
            } catch (error) {
              outcome.push(`${job.id}: ${(error as Error).message}`);
              throw error;
            }
          }),
        );
        await until(async () => (await admin.statistics()).pending === 1);
        assert.equal(await admin.cancel('e', 'the user gave up'), true);
        await admin.join();
        await worker.shutdown();
      });
      assert.deepEqual(outcome, ['e: job "e" was cancelled: the user gave up']);
      assert.equal((await admin.statistics()).dead, 0);
    }));
});

describe('WorkQueue.serve()', { skip }, () => {
  test('a handler that throws is retried after its backoff; one that returns is acked', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<string>({ client, name: fresh('retry') });
      await queue.put('flaky');
      const attempts: number[] = [];
      const backoffs: number[] = [];
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          queue.serve(
            (_value, job) => {
              attempts.push(job.attempt);
              if (job.attempt < 3) throw new Error('not yet');
            },
            {
              backoff: (attempt) => {
                backoffs.push(attempt);
                return 20;
              },
            },
          ),
        );
        await queue.join();
        await queue.shutdown();
      });
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.deepEqual(backoffs, [1, 2]);
    }));

  test('the last failure goes to the dead-letter stream and is reported', () =>
    withClient(async (client) => {
      const seen = reports();
      await using queue = await openWorkQueue<string>({
        client,
        name: fresh('dead'),
        maxDeliveries: 2,
      });
      await queue.put('hopeless', { id: 'h' });
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          queue.serve(() => {
            throw new RangeError('bad input');
          }),
        );
        await queue.join();
        await queue.shutdown();
      });
      assert.equal((await queue.statistics()).dead, 1);
      assert.equal(seen.length, 1);
      assert.match(seen[0]?.message ?? '', /job "h" failed on its last attempt \(2\)/);
      assert.ok(seen[0]?.error instanceof RangeError);
    }));

  test('backoff is not called on the last attempt; the dead-letter report comes after the move', () =>
    withClient(async (client) => {
      const name = fresh('backoff-last');
      const seen: string[] = [];
      let current: Delivery<number> | undefined;
      getRunningLoop().setExceptionHandler(({ message }) => {
        seen.push(`${message} (held: ${String(current?.held())})`);
      });
      await using queue = await openWorkQueue<number>({ client, name, maxDeliveries: 3 });
      await queue.put(1, { id: 'b' });
      const calls: number[] = [];
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          queue.serve(
            (_n, job) => {
              current = job;
              throw new Error('boom');
            },
            {
              backoff: (attempt) => {
                calls.push(attempt);
                throw new Error('backoff broke');
              },
            },
          ),
        );
        await queue.join();
        await queue.shutdown();
      });
      assert.deepEqual(calls, [1, 2]);
      assert.deepEqual(seen, [
        'corio/redis: the backoff function failed; the job is retried at once (held: true)',
        'corio/redis: the backoff function failed; the job is retried at once (held: true)',
        'corio/redis: job "b" failed on its last attempt (3); it was moved to the dead-letter stream (held: false)',
      ]);
      assert.equal((await queue.statistics()).dead, 1);
    }));

  test('a thrown non-Error is stored in the dead-letter stream as util.inspect shows it', () =>
    withClient(async (client) => {
      reports();
      const name = fresh('non-error');
      await using queue = await openWorkQueue<number>({ client, name, maxDeliveries: 1 });
      const thrown: unknown[] = [{ code: 42 }, undefined, 'x'.repeat(5000)];
      for (const [i] of thrown.entries()) await queue.put(i);
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          queue.serve((i) => {
            throw thrown[i];
          }),
        );
        await queue.join();
        await queue.shutdown();
      });
      const dead = (await client.xRange(`corio:{${name}}:dead`, '-', '+')) as {
        message: Record<string, string>;
      }[];
      const errors = dead.map((d) => d.message['error'] ?? '');
      assert.deepEqual(errors.slice(0, 2), [
        'a non-Error was thrown: { code: 42 }',
        'a non-Error was thrown: undefined',
      ]);
      const long = errors[2] ?? '';
      assert.equal(long.length, 1000);
      assert.match(long, /^a non-Error was thrown: 'xxx.*…$/);
    }));

  test('at most `concurrency` jobs run at once', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: fresh('concurrency') });
      for (let i = 0; i < 12; i++) await queue.put(i);
      let running = 0;
      let peak = 0;
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          queue.serve(
            async () => {
              peak = Math.max(peak, ++running);
              await sleep(10);
              running--;
            },
            { concurrency: 4 },
          ),
        );
        await queue.join();
        await queue.shutdown();
      });
      assert.equal(peak, 4);
    }));

  test('cancelling serve() stops its jobs and gives them back at once to another worker', () =>
    withClient(async (client) => {
      const name = fresh('serve-cancel');
      await using a = await openWorkQueue<number>({ client, name, visibilityTimeout: 10_000 });
      await using b = await openWorkQueue<number>({ client, name, visibilityTimeout: 10_000 });
      for (let i = 0; i < 3; i++) await a.put(i);
      const stopped: number[] = [];
      let started = 0;
      await cancelScope(async (scope) => {
        await taskGroup(async (tg) => {
          tg.spawn(() =>
            a.serve(
              async (n) => {
                started++;
                try {
                  await sleep(60_000);
                } catch (error) {
                  if (isCancellation(error)) stopped.push(n);
                  throw error;
                }
              },
              { concurrency: 3 },
            ),
          );
          await until(() => started === 3);
          scope.cancel();
        });
      });
      assert.deepEqual(stopped.sort(), [0, 1, 2]);
      assert.equal((await a.statistics()).held, 0);
      const start = performance.now();
      const again: number[] = [];
      for (let i = 0; i < 3; i++) {
        const job = await b.get();
        again.push(job.attempt);
        await job.ack();
      }
      assert.ok(performance.now() - start < 2000, 'at once, not after the visibility timeout');
      assert.deepEqual(again, [2, 2, 2]);
    }));

  test("cancelling serve() aborts its jobs' signals: work outside corio that honours them stops at once", () =>
    withClient(async (client) => {
      const name = fresh('serve-cancel-signal');
      await using a = await openWorkQueue<number>({ client, name, visibilityTimeout: 10_000 });
      await using b = await openWorkQueue<number>({ client, name, visibilityTimeout: 10_000 });
      await a.put(1, { id: 'j' });
      const { seen, handler } = outsideWork();
      await cancelScope(async (scope) => {
        await taskGroup(async (tg) => {
          tg.spawn(() => a.serve(handler));
          await until(() => seen.started);
          scope.cancel('stop serving');
        });
      });
      // Unaborted, external() would have run its 5 s and left no reason.
      assert.ok(seen.reason instanceof CancelledError);
      assert.equal(seen.reason.message, 'stop serving');
      assert.equal((await a.statistics()).held, 0);
      const again = await moveOnAfter(2000, () => b.get());
      assert.deepEqual([again?.id, again?.attempt], ['j', 2]);
      await again?.ack();
    }));

  test('cancelling serve() while a graceful shutdown waits for its jobs still aborts their signals', () =>
    withClient(async (client) => {
      const name = fresh('serve-cancel-after-shutdown');
      await using a = await openWorkQueue<number>({ client, name, visibilityTimeout: 10_000 });
      await a.put(1, { id: 'j' });
      const { seen, handler } = outsideWork();
      await cancelScope(async (scope) => {
        await taskGroup(async (tg) => {
          tg.spawn(() => a.serve(handler, { concurrency: 2 }));
          await until(() => seen.started);
          // serve() stops fetching and waits for the job it runs ...
          await a.shutdown();
          // A few turns: serve()'s fetch (a slot is free) hears of the shutdown, and
          // only its job is left.
          for (let i = 0; i < 5; i++) await checkpoint();
          // ... and is cancelled while it waits.
          scope.cancel('stop serving');
        });
      });
      // Unaborted, external() would have run its 5 s and left no reason.
      assert.ok(seen.reason instanceof CancelledError);
      assert.equal(seen.reason.message, 'stop serving');
    }));

  test('a graceful shutdown lets the running jobs finish; serve() then returns', () =>
    withClient(async (client) => {
      await using queue = await openWorkQueue<number>({ client, name: fresh('graceful') });
      for (let i = 0; i < 4; i++) await queue.put(i);
      const finished: number[] = [];
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          queue.serve(
            async (n) => {
              await sleep(100);
              finished.push(n);
            },
            { concurrency: 2 },
          ),
        );
        await until(async () => (await queue.statistics()).held === 2);
        await queue.shutdown();
      });
      assert.deepEqual(finished.sort(), [0, 1]);
      assert.deepEqual(
        [(await queue.statistics()).length, (await queue.statistics()).pending],
        [2, 0],
      );
    }));

  test('an immediate shutdown stops the running jobs and gives them back: nothing is lost', () =>
    withClient(async (client) => {
      const name = fresh('immediate');
      await using a = await openWorkQueue<number>({ client, name });
      await using b = await openWorkQueue<number>({ client, name });
      for (let i = 0; i < 2; i++) await a.put(i);
      const stopped: string[] = [];
      let started = 0;
      await taskGroup(async (tg) => {
        tg.spawn(() =>
          a.serve(
            async (_n, job: Delivery<number>) => {
              started++;
              try {
                await sleep(60_000);
              } finally {
                stopped.push((job.signal.reason as Error).message);
              }
            },
            { concurrency: 2 },
          ),
        );
        await until(() => started === 2);
        await a.shutdown({ immediate: true });
      });
      assert.deepEqual(stopped, [
        `the work queue "${name}" was shut down`,
        `the work queue "${name}" was shut down`,
      ]);
      for (let i = 0; i < 2; i++) await (await b.get()).ack();
      assert.equal((await b.statistics()).length, 0);
    }));
});

describe('WorkQueue after a Redis restart without persistence', { skip }, () => {
  test('the group is recreated (NOGROUP), reported, and the worker serves again', () =>
    withClient(async (client) => {
      const seen = reports();
      const name = fresh('restart');
      await using queue = await openWorkQueue<number>({ client, name });
      await queue.put(1);
      await (await queue.get()).ack();
      await redis.server.restart();
      await until(() => client.isReady);
      await queue.put(2);
      const job = await queue.get();
      assert.equal(job.value, 2);
      await job.ack();
      assert.ok(seen.some((r) => /consumer group 'workers' .* was missing/.test(r.message)));
    }));

  test('a job held across the restart: its ack throws LeaseLostError that names the recreated group', () =>
    withClient(async (client) => {
      reports();
      await using queue = await openWorkQueue<number>({ client, name: fresh('restart-held') });
      await queue.put(1, { id: 'held' });
      const job = await queue.get();
      await redis.server.restart();
      await until(() => client.isReady);
      await assert.rejects(job.ack(), (error: unknown) => {
        assert.ok(error instanceof LeaseLostError);
        assert.equal(error.groupRecreated, true);
        assert.equal(
          error.message,
          'job "held" (attempt 1) lost its lease: the consumer group was missing (a Redis restart ' +
            'without persistence?) and was recreated, which forgets the jobs held before',
        );
        return true;
      });
    }));
});
