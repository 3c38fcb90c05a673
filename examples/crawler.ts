import { once } from 'node:events';
import { createServer } from 'node:http';
import { CapacityLimiter, isCancellation, run, TimeoutError, taskGroup, timeout } from 'corio';
import { exponentialBackoff, retry } from 'corio/iter';
import { fetch } from 'corio/node';

// A crawler: at most 3 requests at once, 500 ms per request, up to 3 attempts
// each, and Ctrl-C cancels everything, leaving no request open.
const CONCURRENCY = 3;
const PER_REQUEST_MS = 500;
const ATTEMPTS = 3;

let open = 0; // requests in flight, counted by the crawler itself

class HttpError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

async function get(url: string): Promise<string> {
  open++;
  try {
    await using response = await fetch(url); // cancelled with the task: aborted
    if (!response.ok) throw new HttpError(response.status);
    return await response.text();
  } finally {
    open--;
  }
}

async function crawl(start: string): Promise<Map<string, string>> {
  const results = new Map<string, string>();
  const seen = new Set([start]);
  const slots = new CapacityLimiter(CONCURRENCY);
  await taskGroup((tg) => {
    const visit = (url: string): void => {
      tg.spawn(async () => {
        using _slot = await slots.acquire();
        let attempts = 0;
        try {
          const page = await retry(
            (attempt) => {
              attempts = attempt;
              return timeout(PER_REQUEST_MS, () => get(url));
            },
            {
              attempts: ATTEMPTS,
              backoff: exponentialBackoff({ initial: 100, jitter: false }),
              // A timeout or a server error may pass; a 404 will not.
              retryIf: (error) => !(error instanceof HttpError && error.status < 500),
            },
          );
          results.set(url, 'ok');
          for (const [, href] of page.matchAll(/href="([^"]+)"/g)) {
            const link = new URL(href as string, url).href;
            if (!seen.has(link)) {
              seen.add(link);
              visit(link);
            }
          }
        } catch (error) {
          if (isCancellation(error)) throw error;
          const why = error instanceof TimeoutError ? 'timed out' : (error as Error).message;
          results.set(url, `${why} after ${attempts} attempt${attempts > 1 ? 's' : ''}`);
        }
      });
    };
    visit(start);
  });
  return results;
}

// A small site on loopback: /flaky fails its first request, /slow never answers.
let requests = 0;
let flakyServed = 0;
const links = (...paths: string[]): string => paths.map((p) => `<a href="${p}">${p}</a>`).join('');
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
  requests++;
  const path = request.url ?? '/';
  if (path === '/slow') return; // never answers
  if (path === '/flaky' && flakyServed++ === 0) response.statusCode = 503;
  else if (pages[path] === undefined) response.statusCode = 404;
  response.end(pages[path] ?? 'not found');
});

const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort(); // Ctrl-C
});

// `node crawler.ts <url>` crawls that site; without one, the local site.
let start = process.argv[2];
if (start === undefined) {
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  start = `http://127.0.0.1:${(site.address() as { port: number }).port}/`;
  console.log('crawling the site');
} else console.log(`crawling ${start}`);
const origin = new URL(start).origin;
try {
  const results = await run(() => crawl(start), { signal: controller.signal });
  for (const [url, result] of [...results].sort()) {
    console.log(`${url.slice(origin.length).padEnd(9)} ${result}`);
  }
} catch (error) {
  if (!isCancellation(error)) throw error;
  console.log('interrupted');
  process.exitCode = 130;
}
console.log(`requests open: ${open}`);
site.close();
site.closeAllConnections();
if (requests > 0) console.log(`the site served ${requests} requests`);
// => crawling the site
// => /         ok
// => /about    ok
// => /blog     ok
// => /blog/1   ok
// => /blog/2   ok
// => /flaky    ok
// => /missing  HTTP 404 after 1 attempt
// => /slow     timed out after 3 attempts
// => /team     ok
// => requests open: 0
// => the site served 12 requests
