/**
 * `corio/redis`: past one machine. A work queue on Redis Streams consumer groups
 * with corio's `Queue` verbs (`put`, `get`, `taskDone`, `join`, `shutdown`,
 * `for await`), a worker loop (`serve`) and `cancel(id)` from any machine;
 * at-least-once, with leases that a silent worker loses visibly
 * (`LeaseLostError`). Built on the official client, `@redis/client` 6, an
 * optional peer dependency: install it to use this module.
 *
 * @example
 * ```ts
 * import { createClient } from '@redis/client';
 * import { run } from 'corio';
 * import { openWorkQueue } from 'corio/redis';
 *
 * const client = await createClient({ url: process.env['REDIS_URL'] }).connect();
 * await run(async () => {
 *   await using queue = await openWorkQueue<string>({ client, name: 'hello' });
 *   await queue.put('hello from another machine');
 *   const job = await queue.get();
 *   console.log(job.value);
 *   await job.ack();
 * });
 * client.destroy();
 * // => hello from another machine
 * ```
 * @module corio/redis
 */
export type { NodeRedisClient, RedisArgument } from './connection.js';
export { Delivery, LeaseLostError, type NackOptions } from './delivery.js';
export type { JobHandler, ServeOptions } from './serve.js';
export {
  type Codec,
  openWorkQueue,
  type PutOptions,
  WorkQueue,
  type WorkQueueOptions,
  type WorkQueueShutdownOptions,
  type WorkQueueStatistics,
} from './work-queue.js';
