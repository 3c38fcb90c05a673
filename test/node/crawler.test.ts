// examples/crawler.ts against a loopback site whose pages never answer: Ctrl-C
// (SIGINT) cancels the crawl, and no request is left open.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { root } from '../../scripts/examples.js';

test('Ctrl-C cancels the crawl; every request is aborted before the crawler exits', async () => {
  let open = 0;
  let peak = 0;
  let seen = 0;
  const opened: (() => void)[] = [];
  const site = createServer((request, response) => {
    seen++;
    open++;
    peak = Math.max(peak, open);
    response.once('close', () => {
      open--; // answered, or aborted by the client
    });
    if (request.url === '/')
      response.end('<a href="/1">1</a><a href="/2">2</a><a href="/3">3</a><a href="/4">4</a>');
    // every other page hangs
    for (const wake of opened.splice(0)) wake();
  });
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  const url = `http://127.0.0.1:${(site.address() as { port: number }).port}/`;
  try {
    const child = spawn(
      process.execPath,
      ['--conditions=corio-source', '--import', 'tsx', join(root, 'examples', 'crawler.ts'), url],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = once(child, 'exit');
    // Wait until three pages hang (the crawler's limit), then press Ctrl-C.
    while (open < 3) await new Promise<void>((resolve) => opened.push(resolve));
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130, stdout);
    assert.deepEqual(stdout.trimEnd().split('\n'), [
      `crawling ${url}`,
      'interrupted',
      'requests open: 0',
    ]);
    assert.equal(peak, 3, 'at most 3 requests at once');
    assert.equal(seen, 4, 'the root, then three of its four links');
    for (let i = 0; i < 100 && open > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(open, 0);
  } finally {
    site.close();
    site.closeAllConnections();
  }
});
