/**
 * The demo (`npm start`): the seed's three asyncio programs, written with corio.
 *
 *   1. an async iterator, consumed with `for await`;
 *   2. an async resource, used with `await using`;
 *   3. `gather` of three tasks that sleep 2 s, 1 s and 3 s: about 3 s in all, not 6.
 *
 * `--virtual` runs it in virtual time: the same output, instantly.
 */
import { gather, getRunningLoop, run, sleep } from 'corio';
import { VirtualClock } from 'corio/testing';

const virtual = process.argv.includes('--virtual');

// 1. An async iterator: counts from `start` to `end`, one number a second.
class AsyncCounter implements AsyncIterableIterator<number> {
  #current: number;
  readonly #end: number;

  constructor(start: number, end: number) {
    this.#current = start;
    this.#end = end;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<number, undefined>> {
    if (this.#current >= this.#end) return { done: true, value: undefined };
    await sleep(1000);
    this.#current += 1;
    return { done: false, value: this.#current };
  }
}

// 2. An async resource: acquiring and releasing it both wait.
class AsyncResource implements AsyncDisposable {
  static async acquire(): Promise<AsyncResource> {
    console.log('Acquiring resource');
    await sleep(1000);
    return new AsyncResource();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    console.log('Releasing resource');
    await sleep(1000);
  }
}

// 3. A task that sleeps, as the seed's `task(name, delay)`.
async function task(name: string, seconds: number): Promise<string> {
  console.log(`Task ${name} started`);
  await sleep(seconds * 1000);
  console.log(`Task ${name} completed`);
  return `Result ${name}`;
}

async function main(): Promise<void> {
  const loop = getRunningLoop();
  const seconds = (since: number): string => `${((loop.time() - since) / 1000).toFixed(1)} s`;

  console.log('# 1. async iterator: for await');
  for await (const n of new AsyncCounter(1, 5)) console.log(n);

  console.log('\n# 2. async resource: await using');
  {
    await using _resource = await AsyncResource.acquire();
    console.log('Using resource');
  }

  console.log('\n# 3. gather: three tasks at once');
  const start = loop.time();
  const results = await gather(
    () => task('A', 2),
    () => task('B', 1),
    () => task('C', 3),
  );
  console.log(results);
  console.log(`All tasks completed in ${seconds(start)} (one after another: 6.0 s)`);
}

await run(main, virtual ? { clock: new VirtualClock() } : {});
