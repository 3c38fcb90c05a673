import { CapacityLimiter, run, sleep, taskGroup } from 'corio';
import { forEach, map, pipe } from 'corio/iter';

// Stands in for an HTTP call: a wait, then a result.
const fetchSize = async (url: string): Promise<number> => {
  await sleep(10);
  return url.length;
};
const urls = Array.from({ length: 100 }, (_, i) => `https://example.test/page/${i}`);

await run(async () => {
  // Results not needed in order: forEach, 8 at a time. Up to 8 workers call
  // fetchSize item after item: forEach makes no task per item.
  let total = 0;
  await forEach(
    urls,
    async (url) => {
      const size = await fetchSize(url);
      total += size;
    },
    { concurrency: 8 },
  );
  console.log('forEach:', total);

  // Results in the source's order: map, 8 at a time.
  const sizes: number[] = [];
  for await (const size of pipe(urls, map(fetchSize, { concurrency: 8 }))) sizes.push(size);
  console.log('map:', sizes.length, 'results, first', sizes[0], 'last', sizes.at(-1));

  // A task per item behind a limiter: the same work, and the costliest shape
  // per item (a task and a wait each). Keep it for items that need a task of
  // their own: a name, their own cancellation, a place in the task tree.
  const limiter = new CapacityLimiter(8);
  let viaTasks = 0;
  await taskGroup((tg) => {
    for (const url of urls) {
      tg.spawn(
        () =>
          limiter.run(async () => {
            const size = await fetchSize(url);
            viaTasks += size;
          }),
        { name: url },
      );
    }
  });
  console.log('a task per item:', viaTasks);

  // Many sleeps in one task are waits of that task, not tasks.
  const woke = await Promise.all([30, 10, 20].map((ms) => sleep(ms, ms)));
  console.log('slept:', woke.join(', '));
});
// => forEach: 2790
// => map: 100 results, first 27 last 28
// => a task per item: 2790
// => slept: 30, 10, 20
