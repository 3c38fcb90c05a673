/**
 * `WorkQueue.serve(handler, { concurrency })`: a worker's main loop. Each job
 * runs as a task in `serve()`'s own task group, at most `concurrency` at once,
 * fetched only when a slot is free (nothing waits locally while another worker
 * is idle). How each job ends:
 *
 * | when | serve() |
 * |---|---|
 * | the handler returns | acks it |
 * | the handler throws | nacks it, retried after `backoff(attempt)` ms |
 * | … on its last attempt (`maxDeliveries`) | moves it to the dead-letter stream (no `backoff`), then reports the error |
 * | a `cancel(id)` reaches it | cancels the task, acks it: no retry |
 * | its lease is lost | cancels the task, reports `LeaseLostError`: the job is another worker's |
 * | `serve()` is cancelled | aborts the job's signal, cancels the task, gives the job back at once, for another worker |
 *
 * `serve()` returns when the queue is shut down, once its jobs have ended.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run, sleep, taskGroup } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<number>({ client, name: 'serve-example' });
 *   for (const n of [1, 2, 3]) await queue.put(n);
 *   const squares: number[] = [];
 *   await taskGroup(async (tg) => {
 *     tg.spawn(() =>
 *       queue.serve(async (n) => {
 *         await sleep(10 * n);
 *         squares.push(n * n);
 *       }, { concurrency: 2 }),
 *     );
 *     await queue.join(); // every job acked
 *     await queue.shutdown(); // serve() returns
 *   });
 *   console.log(squares.sort((a, b) => a - b));
 * });
 * client.destroy();
 * // => [ 1, 4, 9 ]
 * ```
 * @module
 */
import { inspect } from 'node:util';
import {
  CancelScope,
  type CancelledError,
  Event,
  QueueShutDown,
  cancelScope,
  isCancellation,
  moveOnAfter,
  taskGroup,
} from '../index.js';
import { cancelReasonOf, currentCancelNode } from '../core/lowlevel.js';
import { reply } from './connection.js';
import { Delivery, LeaseLostError } from './delivery.js';

export interface ServeOptions {
  /** How many jobs run at once on this worker (default 1). */
  readonly concurrency?: number;
  /**
   * Ms before a job whose handler threw is retried, by attempt (1 for the first);
   * default 0. Called only when the job will be retried: not on its last attempt
   * (`maxDeliveries`), which sends it to the dead-letter stream. Capped at the
   * visibility timeout; a backoff that throws is reported and the job retried at once.
   */
  readonly backoff?: (attempt: number) => number;
}

/** A job's handler: its value, and the delivery (`id`, `attempt`, `signal`). */
export type JobHandler<T> = (value: T, job: Delivery<T>) => unknown;

/** What serve() needs of its queue. */
export interface ServeHost<T> {
  /** One to `max` deliveries, waiting while the queue is empty; `QueueShutDown` once shut down. */
  take(max: number): Promise<Delivery<T>[]>;
  /** Acks a job and fetches the next one in the same round trip, for the slot it frees. */
  ackAndFetch(job: Delivery<T>): Promise<void>;
  /** 0: no limit. */
  readonly maxDeliveries: number;
  /** The visibility timeout: the longest a settling step may take while serve() is cancelled. */
  readonly visibility: number;
  report(message: string, error: unknown): void;
}

/** Runs `handler` on the queue's jobs until the queue is shut down. */
export async function serveJobs<T>(
  host: ServeHost<T>,
  handler: JobHandler<T>,
  concurrency: number,
  backoff: (attempt: number) => number,
): Promise<void> {
  const room = new Event();
  // The jobs running here: their count is the concurrency in use.
  const inFlight = new Set<Delivery<T>>();
  await taskGroup(async (tg) => {
    try {
      for (;;) {
        while (inFlight.size >= concurrency) {
          room.clear();
          await room.wait();
        }
        let batch: Delivery<T>[];
        try {
          batch = await host.take(concurrency - inFlight.size);
        } catch (error) {
          if (!(error instanceof QueueShutDown)) throw error;
          // Shut down: the body waits for the jobs in flight itself, so that a
          // cancellation meanwhile still reaches the catch below.
          while (inFlight.size > 0) {
            room.clear();
            await room.wait();
          }
          return;
        }
        for (const job of batch) {
          inFlight.add(job);
          tg.spawn(
            async () => {
              try {
                await runJob(host, job, handler, backoff);
              } finally {
                inFlight.delete(job);
                room.set();
              }
            },
            { name: `job ${job.id}` },
          );
        }
      }
    } catch (error) {
      // serve() cancelled: its jobs' tasks are cancelled with it, but that reaches
      // corio's waits only, so their signals abort too, or work outside corio that
      // honours them (the handler's fetch) runs to its end and the job stays held
      // all that time. The body is parked in a cancellable wait until no job is in
      // flight, so it hears of the cancellation in the same turn as the jobs; done
      // here, once, rather
      // than by a listener on each job task's signal (an AbortController per job).
      if (isCancellation(error)) for (const job of inFlight) job._abort(error as CancelledError);
      throw error;
    }
  });
}

// One job, start to end; see the module doc for how each outcome is settled.
async function runJob<T>(
  host: ServeHost<T>,
  job: Delivery<T>,
  handler: JobHandler<T>,
  backoff: (attempt: number) => number,
): Promise<void> {
  const node = currentCancelNode();
  let failure: { error: unknown } | null = null;
  // A job cancelled, lost or given back before its task started does not run.
  if (job.held() && job._stopped() === null) {
    const scope = new CancelScope();
    job._onStop((reason) => {
      scope.cancel(reason.message);
    });
    try {
      await scope.run(() => handler(job.value, job));
    } catch (error) {
      failure = { error };
    } finally {
      job._onStop(null);
    }
  }
  const outer = node === null ? null : cancelReasonOf(node);
  if (outer !== null) {
    // serve() is cancelled: the job goes back at once, for another worker.
    await settle(host, job, () => Delivery._release([job as Delivery<unknown>], null));
    throw outer;
  }
  if (!job.held()) {
    const cause: unknown = job._stopped()?.cause;
    if (cause instanceof LeaseLostError) {
      host.report(
        `corio/redis: job ${JSON.stringify(job.id)} lost its lease while it ran here; ` +
          'its task was cancelled, and another worker runs it',
        cause,
      );
    }
    return; // lost, or given back by an immediate shutdown
  }
  if (failure === null || job.cancelled()) {
    await settle(host, job, () => host.ackAndFetch(job));
    return;
  }
  const error = failure.error;
  // On its last attempt the nack moves the job to the dead-letter stream: there is no
  // retry to wait for, so backoff is not asked (and its failure would claim a retry).
  const last = host.maxDeliveries > 0 && job.attempt >= host.maxDeliveries;
  const delay = last ? 0 : delayOf(host, backoff, job);
  await settle(host, job, () => job.nack({ delay, reason: reasonOf(error) }));
  // Said once it is true: a nack that failed was reported by settle(), and a job whose
  // cancel landed meanwhile was finished, not dead-lettered.
  if (job._deadLettered()) {
    host.report(
      `corio/redis: job ${JSON.stringify(job.id)} failed on its last attempt (${job.attempt}); ` +
        'it was moved to the dead-letter stream',
      error,
    );
  }
}

/** The longest error text stored with a dead-lettered job. */
const REASON_MAX = 1000;

// What the dead-letter stream says of a handler's failure: an Error's name and
// message; anything else thrown shown as util.inspect does (not "[object Object]").
function reasonOf(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name}: ${error.message}`
      : `a non-Error was thrown: ${inspect(error, { depth: 2, breakLength: Infinity })}`;
  return text.length <= REASON_MAX ? text : `${text.slice(0, REASON_MAX - 1)}…`;
}

function delayOf<T>(
  host: ServeHost<T>,
  backoff: (attempt: number) => number,
  job: Delivery<T>,
): number {
  try {
    const ms = backoff(job.attempt);
    if (typeof ms === 'number' && ms >= 0) return ms;
    throw new RangeError(`serve(): \`backoff\` must return a number >= 0, got ${String(ms)}`);
  } catch (error) {
    if (isCancellation(error)) throw error;
    host.report('corio/redis: the backoff function failed; the job is retried at once', error);
    return 0;
  }
}

// An ack, nack or release that must happen even while serve() is cancelled: in
// a shielded scope, bounded by the visibility timeout (after it, the lease has
// lapsed anyway). A lost lease or a failed command is reported.
async function settle<T>(
  host: ServeHost<T>,
  job: Delivery<T>,
  step: () => Promise<void>,
): Promise<void> {
  await cancelScope(
    () =>
      moveOnAfter(host.visibility, async () => {
        try {
          await reply(step(), undefined);
        } catch (error) {
          if (isCancellation(error)) throw error;
          if (error instanceof LeaseLostError) {
            host.report(
              `corio/redis: job ${JSON.stringify(job.id)} ran here, but its lease was lost ` +
                'before it was settled; another worker runs it again',
              error,
            );
          } else {
            host.report(
              `corio/redis: job ${JSON.stringify(job.id)} could not be settled; it runs again ` +
                'after the visibility timeout',
              error,
            );
          }
        }
      }),
    { shield: true },
  );
}
