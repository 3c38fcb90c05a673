import { createTask, getRunningLoop, run, sleep, timeout } from 'corio';
import { VirtualClock, waitAllTasksBlocked } from 'corio/testing';

// A retry loop with hour-long waits, tested instantly and deterministically.
async function pollUntilReady(check: () => boolean): Promise<number> {
  let attempts = 0;
  while (!check()) {
    attempts++;
    await sleep(3_600_000);
  }
  return attempts;
}

await run(
  async () => {
    let ready = false;
    const poller = createTask(() => pollUntilReady(() => ready));
    await waitAllTasksBlocked(); // the poller is asleep; time has not moved
    console.log('blocked at', getRunningLoop().time());
    await sleep(3 * 3_600_000 + 1);
    ready = true;
    console.log('attempts:', await poller, 'at hour', getRunningLoop().time() / 3_600_000);
    await timeout(1000, () => sleep(10));
    console.log('timeouts run on the same clock');
  },
  { clock: new VirtualClock() },
);
// => blocked at 0
// => attempts: 4 at hour 4
// => timeouts run on the same clock
