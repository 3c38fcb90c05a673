import { TimeoutError, moveOnAfter, run, sleep, timeout, waitFor } from 'corio';

const slowQuery = () => sleep(500, 'rows');

await run(async () => {
  // timeout: the deadline is an error.
  try {
    await timeout(100, slowQuery);
  } catch (err) {
    if (err instanceof TimeoutError) console.log(`timeout: gave up after ${err.ms} ms`);
  }

  // moveOnAfter: the deadline is a normal outcome.
  const cached = (await moveOnAfter(100, slowQuery)) ?? 'stale rows from the cache';
  console.log('moveOnAfter:', cached);

  // A deadline can move while the work runs (asyncio's reschedule).
  const rows = await timeout(100, async (scope) => {
    scope.deadline += 1000; // the server said it needs longer
    return slowQuery();
  });
  console.log('extended deadline:', rows);

  // waitFor: asyncio's wait_for. A task is cancelled and awaited on timeout.
  console.log('waitFor:', await waitFor(() => sleep(10, 'fast'), 100));
});
// => timeout: gave up after 100 ms
// => moveOnAfter: stale rows from the cache
// => extended deadline: rows
// => waitFor: fast
