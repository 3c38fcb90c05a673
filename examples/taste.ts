import { run, sleep, TimeoutError, taskGroup, timeout } from 'corio';

async function* ticks(n: number) {
  for (let i = 1; i <= n; i++) {
    await sleep(100);
    yield i;
  }
}

await run(async () => {
  await taskGroup((tg) => {
    tg.spawn(async () => {
      for await (const tick of ticks(3)) console.log('tick', tick);
    });
    tg.spawn(async () => {
      try {
        await timeout(150, () => sleep(1000)); // cancelled at 150 ms, not left running
      } catch (err) {
        if (err instanceof TimeoutError) console.log('slow call timed out');
      }
    });
  });
  console.log('every task finished');
});
// => tick 1
// => slow call timed out
// => tick 2
// => tick 3
// => every task finished
