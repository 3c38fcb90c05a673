// The HTML timeline, checked in a real browser: Debian's chromium, driven headless
// through playwright-core. Without a chromium the test says it is skipped, and why.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Lock, run, sleep, taskGroup } from 'corio';
import { VirtualClock } from 'corio/testing';
import { Tracer, toHTML, toLanes } from 'corio/trace';

// The DOM types the page callbacks use (the project compiles without the DOM lib).
interface Element {
  getAttribute(name: string): string | null;
}
interface Box {
  getBBox(): { width: number };
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts', import.meta.url));

test('the HTML timeline draws every lane and span, and hovering shows the details', async (t) => {
  if (CHROMIUM === undefined) {
    t.skip('no chromium at /usr/bin/chromium: .ci/run installs it with apt-get install chromium');
    return;
  }
  const tracer = new Tracer();
  await run(
    async () => {
      const lock = new Lock();
      await taskGroup((tg) => {
        for (let i = 0; i < 10; i++) {
          tg.spawn(
            async () => {
              await sleep(10 * (i + 1));
              await lock.run(() => sleep(25));
            },
            { name: `worker-${i}` },
          );
        }
      });
    },
    { clock: new VirtualClock(), trace: tracer },
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'trace-timeline.html');
  writeFileSync(file, toHTML(tracer, { title: 'ten workers and a lock' }));

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 500 } });
    await page.goto(pathToFileURL(file).href);
    const lanes = await page
      .locator('g.lane')
      .evaluateAll((gs: Element[]) => gs.map((g) => g.getAttribute('data-task')));
    assert.deepEqual(lanes, ['main', ...Array.from({ length: 10 }, (_, i) => `worker-${i}`)]);
    // Every span of the model is drawn: running and waiting, for every task.
    const spans = await page.locator('rect.span').count();
    const expected = toLanes(tracer.events()).lanes.reduce((n, lane) => n + lane.spans.length, 0);
    assert.ok(expected > 40);
    assert.equal(spans, expected);
    // Every span is drawn with a size on the page.
    const sizes = await page
      .locator('rect.span')
      .evaluateAll((rs: Box[]) => rs.map((r) => r.getBBox().width));
    assert.ok(sizes.every((w) => w >= 1));
    const lockWait = page.locator('rect.waiting[data-detail*="Lock.acquire"]').first();
    await lockWait.hover();
    const tip = page.locator('#tip');
    assert.equal(await tip.isVisible(), true);
    assert.match((await tip.textContent()) ?? '', /^worker-\d: waiting on Lock\.acquire, /);
    await page.screenshot({ path: join(ARTIFACTS, 'trace-timeline.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
