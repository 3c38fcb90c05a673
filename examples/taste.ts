import { Queue, run, sleep, TimeoutError, taskGroup, timeout } from 'corio';

await run(async () => {
  const jobs = new Queue<string>(2);
  await taskGroup((tg) => {
    tg.spawn(async () => {
      for (const url of ['/a', '/b', '/slow', '/c']) await jobs.put(url); // waits while full
      jobs.shutdown(); // the consumer drains the queue, then its loop ends
    });
    tg.spawn(async () => {
      for await (const url of jobs) {
        try {
          await timeout(150, () => sleep(url === '/slow' ? 1000 : 100)); // cancelled at 150 ms
          console.log('fetched', url);
        } catch (err) {
          if (err instanceof TimeoutError) console.log('gave up on', url);
        }
      }
    });
  });
  console.log('every task finished');
});
// => fetched /a
// => fetched /b
// => gave up on /slow
// => fetched /c
// => every task finished
