/**
 * The demo (`npm start`): the seed's three asyncio programs, written with corio.
 *
 *   1. an async iterator, consumed with `for await`;
 *   2. an async resource, used with `await using`;
 *   3. `gather` of three tasks that sleep 2 s, 1 s and 3 s: about 3 s in all, not 6.
 *      This part runs traced: its sequence diagram (Mermaid), HTML timeline and
 *      Perfetto trace are written to a folder (`--out DIR`; default
 *      `$TMPDIR/corio-demo`), and the demo prints where.
 *
 * `--virtual` runs it in virtual time: the same output, instantly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTask, gather, getRunningLoop, run, sleep } from 'corio';
import { VirtualClock } from 'corio/testing';
import { Tracer, toChromeTrace, toHTML, toMermaid } from 'corio/trace';

const virtual = process.argv.includes('--virtual');
const outAt = process.argv.indexOf('--out');
const outDir = outAt > 0 ? (process.argv[outAt + 1] as string) : join(tmpdir(), 'corio-demo');

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
  console.log('# 1. async iterator: for await');
  for await (const n of new AsyncCounter(1, 5)) console.log(n);

  console.log('\n# 2. async resource: await using');
  {
    await using _resource = await AsyncResource.acquire();
    console.log('Using resource');
  }
}

async function gatherMain(): Promise<void> {
  const loop = getRunningLoop();
  console.log('\n# 3. gather: three tasks at once');
  const start = loop.time();
  const results = await gather(
    createTask(() => task('A', 2), { name: 'A' }),
    createTask(() => task('B', 1), { name: 'B' }),
    createTask(() => task('C', 3), { name: 'C' }),
  );
  console.log(results);
  console.log(
    `All tasks completed in ${((loop.time() - start) / 1000).toFixed(1)} s (one after another: 6.0 s)`,
  );
}

const clock = () => (virtual ? { clock: new VirtualClock() } : {});
await run(main, clock());

// Part 3 again, recorded: the seed's diagram, drawn from this run.
const tracer = new Tracer();
await run(gatherMain, { ...clock(), trace: tracer });
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'gather.mmd'), toMermaid(tracer));
writeFileSync(
  join(outDir, 'gather.html'),
  toHTML(tracer, { title: 'corio demo: gather of A, B, C' }),
);
writeFileSync(join(outDir, 'gather.trace.json'), JSON.stringify(toChromeTrace(tracer)));
console.log(`\nThe run of part 3, drawn: ${outDir}`);
console.log('  gather.mmd         Mermaid sequence diagram');
console.log('  gather.html        timeline: open it in a browser');
console.log('  gather.trace.json  Chrome trace: open it in ui.perfetto.dev');
