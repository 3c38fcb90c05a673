// Helpers of the corio/redis tests. They run against a real redis-server of their
// own (scripts/redis-server.ts: a Unix socket in a temp folder, stopped by pid)
// and on the system clock: the leases they test are measured by Redis in real
// time, so a virtual clock could not stand in for it. Without redis-server the
// suites report themselves skipped, with the reason.
import { after, before } from 'node:test';
import { createClient } from '@redis/client';
import { type ExceptionContext, getRunningLoop } from 'corio';
import {
  noRedis,
  type RedisServerOptions,
  type RunningRedis,
  startRedis,
} from '../../scripts/redis-server.js';

/** `describe(…, { skip })`: the reason when there is no redis-server, else false. */
export const skip: string | false = noRedis ?? false;

export type Client = Awaited<ReturnType<typeof connect>>;

/** A connected client of the test's server. */
export async function connect(url: string) {
  const client = createClient({ url });
  client.on('error', () => {});
  return client.connect();
}

/** Starts one server for the file's suites (unless skipped) and stops it after them. */
export function useRedis(options?: RedisServerOptions): { readonly server: RunningRedis } {
  const holder: { server: RunningRedis | null } = { server: null };
  before(async () => {
    if (skip === false) holder.server = await startRedis(options);
  });
  after(async () => {
    await holder.server?.dispose();
  });
  return {
    get server(): RunningRedis {
      if (holder.server === null) throw new Error('no server');
      return holder.server;
    },
  };
}

let count = 0;
/** A queue name of its own for each test. */
export const fresh = (what: string): string => `${what}-${process.pid}-${count++}`;

/** Real time passing (the tests run on the system clock). */
export const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (in real time, up to `ms`) until `ok()` holds. */
export async function until(ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const start = performance.now();
  while (!(await ok())) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await pause(5);
  }
}

/** Collects what the running loop's exception handler is given, from now on. */
export function reports(): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  getRunningLoop().setExceptionHandler((context) => {
    seen.push(context);
  });
  return seen;
}
