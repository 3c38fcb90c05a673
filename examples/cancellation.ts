import { cancelScope, isCancellation, run, sleep, taskGroup } from 'corio';

async function download(name: string, signal: AbortSignal): Promise<string> {
  // Stands in for fetch(url, { signal }): anything that takes a signal joins in.
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, 50);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
  return name;
}

await run(async () => {
  await cancelScope(async (scope) => {
    await taskGroup((tg) => {
      tg.spawn(async ({ signal }) => {
        try {
          console.log('got', await download('report.pdf', signal));
          await sleep(1000); // the scope is cancelled while this waits
        } catch (err) {
          if (isCancellation(err)) {
            // Cleanup that must await runs in a shielded scope, or it would be
            // cancelled too (cancellation is level-triggered).
            await cancelScope(() => sleep(10), { shield: true });
            console.log('cleaned up');
          }
          throw err; // always let the cancellation propagate
        }
      });
      tg.spawn(async () => {
        await sleep(100);
        scope.cancel('user pressed stop');
      });
    });
  });
  console.log('scope caught its own cancellation; main goes on');
});
// => got report.pdf
// => cleaned up
// => scope caught its own cancellation; main goes on
