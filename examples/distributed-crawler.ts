import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { isCancellation, run, TimeoutError, timeout } from 'corio';
import { exponentialBackoff, retry } from 'corio/iter';
import { fetch } from 'corio/node';
import { openWorkQueue } from 'corio/redis';

// examples/crawler.ts past one machine: a producer puts the first page on a
// corio/redis work queue and waits for it to drain; worker processes (on this
// machine here, on many in real life) each crawl 3 pages at a time, and put the
// links they find as new jobs. Delivery is at-least-once, so the handler is
// idempotent: a page is put once (the SADD on `crawl:seen` decides, and the URL
// is the job id), and its result is a SET keyed by the URL, the same however
// often it runs. `node distributed-crawler.ts` starts Redis (unless REDIS_URL
// says where one is), the site, the workers and the producer.
const WORKERS = 3;
const CONCURRENCY = 3;
const QUEUE = 'crawl';

class HttpError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

// One page: 2 s per attempt, 3 attempts (a 404 is not retried). Room for a
// worker that shares the machine with the others, the site and Redis, so that
// only /slow, which never answers, times out.
async function visit(url: string): Promise<{ result: string; links: string[] }> {
  let attempts = 0;
  try {
    const page = await retry(
      (attempt) => {
        attempts = attempt;
        return timeout(2000, async () => {
          await using response = await fetch(url);
          if (!response.ok) throw new HttpError(response.status);
          return await response.text();
        });
      },
      {
        attempts: 3,
        backoff: exponentialBackoff({ initial: 100, jitter: false }),
        retryIf: (error) => !(error instanceof HttpError && error.status < 500),
      },
    );
    const links = [...page.matchAll(/href="([^"]+)"/g)].map(
      (m) => new URL(m[1] as string, url).href,
    );
    return { result: 'ok', links };
  } catch (error) {
    if (isCancellation(error)) throw error;
    const why = error instanceof TimeoutError ? 'timed out' : (error as Error).message;
    return { result: `${why} after ${attempts} attempt${attempts > 1 ? 's' : ''}`, links: [] };
  }
}

async function worker(url: string): Promise<void> {
  const client = await createClient({ url }).connect();
  await run(async () => {
    await using queue = await openWorkQueue<string>({ client, name: QUEUE });
    process.once('SIGTERM', () => {
      void queue.shutdown(); // finish the pages in hand, then leave
    });
    await queue.serve(
      async (page) => {
        const { result, links } = await visit(page);
        for (const link of links) {
          if ((await client.sAdd('crawl:seen', link)) === 1) await queue.put(link, { id: link });
        }
        await client.hSet('crawl:results', page, result);
      },
      { concurrency: CONCURRENCY },
    );
  });
  client.destroy();
}

// The site of examples/crawler.ts: /flaky fails its first request, /slow never answers.
function startSite(): Promise<string> {
  let flakyServed = 0;
  const links = (...paths: string[]): string =>
    paths.map((p) => `<a href="${p}">${p}</a>`).join('');
  const pages: Record<string, string> = {
    '/': links('/about', '/blog', '/flaky', '/slow'),
    '/about': links('/', '/team'),
    '/blog': links('/blog/1', '/blog/2', '/about'),
    '/blog/1': links('/blog/2'),
    '/blog/2': links('/blog/1', '/missing'),
    '/team': '',
    '/flaky': links('/team'),
  };
  const site = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path === '/slow') return;
    if (path === '/flaky' && flakyServed++ === 0) response.statusCode = 503;
    else if (pages[path] === undefined) response.statusCode = 404;
    response.end(pages[path] ?? 'not found');
  });
  site.listen(0, '127.0.0.1');
  site.unref();
  return once(site, 'listening').then(
    () => `http://127.0.0.1:${(site.address() as { port: number }).port}/`,
  );
}

// A redis-server of its own, on a Unix socket in a temp folder.
async function startRedis(): Promise<{ url: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'crawl-redis-'));
  const socket = join(dir, 'redis.sock');
  const server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '']);
  server.on('error', () => {
    console.log(
      'redis-server not found: install it (apt-get install redis-server) or set REDIS_URL',
    );
    process.exit(1);
  });
  const url = `unix://${socket}`;
  for (;;) {
    try {
      (await createClient({ url }).connect()).destroy();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    url,
    stop: () => {
      server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const redis = process.env['REDIS_URL'] === undefined ? await startRedis() : null;
  const url = redis?.url ?? process.env['REDIS_URL'] ?? 'redis://localhost:6379';
  const start = await startSite();
  const client = await createClient({ url }).connect();
  await client.del(['crawl:seen', 'crawl:results']);
  const workers: ChildProcess[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const self = fileURLToPath(import.meta.url);
    workers.push(
      spawn(process.execPath, [...process.execArgv, self, 'worker'], {
        env: { ...process.env, REDIS_URL: url },
        stdio: 'inherit',
      }),
    );
  }
  console.log(`crawling the site with ${WORKERS} workers`);
  await run(async () => {
    await using queue = await openWorkQueue<string>({ client, name: QUEUE });
    await client.sAdd('crawl:seen', start);
    await queue.put(start, { id: start });
    const progress = setInterval(() => {
      void queue.statistics().then(({ length, pending }) => {
        if (process.stderr.isTTY)
          process.stderr.write(`\r${length} pages to go, ${pending} in hand `);
      });
    }, 100);
    await queue.join(); // every page put has been crawled, by some worker
    clearInterval(progress);
  });
  const results = await client.hGetAll('crawl:results');
  for (const [page, result] of Object.entries(results).sort()) {
    console.log(`${page.slice(start.length - 1).padEnd(9)} ${result}`);
  }
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => once(w, 'exit')));
  console.log(`${Object.keys(results).length} pages, each crawled by one of ${WORKERS} workers`);
  client.destroy();
  redis?.stop();
}

if (process.argv[2] === 'worker') await worker(process.env['REDIS_URL'] as string);
else await main();
// => crawling the site with 3 workers
// => /         ok
// => /about    ok
// => /blog     ok
// => /blog/1   ok
// => /blog/2   ok
// => /flaky    ok
// => /missing  HTTP 404 after 1 attempt
// => /slow     timed out after 3 attempts
// => /team     ok
// => 9 pages, each crawled by one of 3 workers
