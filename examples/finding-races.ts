import { sleep, taskGroup } from 'corio';
import { explore, replaySchedule, ScheduleFailure } from 'corio/testing';

// A cache in front of a slow loader. Two requests for the same key: the second
// arrives just as the first one's load completes. Does the key load once?
function makeCache(singleFlight: boolean) {
  const values = new Map<string, string>();
  const loading = new Map<string, Promise<string>>();
  let loads = 0;
  const load = (key: string) => {
    loads++;
    return sleep(10, `value of ${key}`); // the database
  };
  async function get(key: string): Promise<string> {
    const hit = values.get(key);
    if (hit !== undefined) return hit;
    if (!singleFlight) {
      const value = await load(key);
      values.set(key, value);
      return value;
    }
    // The fix: concurrent misses share one load.
    let pending = loading.get(key);
    if (pending === undefined) {
      pending = load(key);
      loading.set(key, pending);
    }
    const value = await pending;
    values.set(key, value);
    loading.delete(key);
    return value;
  }
  return { get, loads: () => loads };
}

const loadsOnce = (singleFlight: boolean) => async () => {
  const cache = makeCache(singleFlight);
  await taskGroup((tg) => {
    tg.spawn(() => cache.get('user:1'), { name: 'A' });
    tg.spawn(
      async () => {
        await sleep(10);
        await cache.get('user:1');
      },
      { name: 'B' },
    );
  });
  if (cache.loads() !== 1) throw new Error(`loaded ${cache.loads()} times`);
};

// corio's own order runs A's wake-up first, so a plain run() passes every time.
// explore() tries other orders, and finds the one that loads twice.
const test = loadsOnce(false);
try {
  await explore(test, { seed: 1 });
} catch (error) {
  if (!(error instanceof ScheduleFailure)) throw error;
  console.log(error.message);
  console.log(error.toMermaid());
  // The token replays exactly that schedule, here or from CORIO_REPLAY in CI.
  await replaySchedule(error.token, test).catch((again: unknown) => {
    console.log('replayed:', again instanceof ScheduleFailure && again.kind);
  });
}

// The single-flight version passes every schedule explore() tries.
await explore(loadsOnce(true), {
  seed: 1,
  onReport: (report) => {
    console.log(`fixed: ${report.runs} runs, ${report.schedules} schedules, all passed`);
  },
});
// => explore(): the test failed in run 4 of 200 (seed 1): Error: loaded 2 times
// => It left corio's default order at 1 step(s) (shrunk from 4):
// =>   step 2 at 10 ms: `B: sleep(10)` went on alone, before `A: sleep(10)`
// => Replay it: CORIO_REPLAY=c1.1.4.Bjy-tjEyuAIBAQ (with your test command), or replaySchedule(token, test).
// => error.toMermaid() draws the failing run; error.schedule lists every step.
// => sequenceDiagram
// =>     participant main
// =>     participant loop as event loop
// =>     participant A
// =>     participant B
// =>     main->>loop: run(main)
// =>     loop->>A: schedule A
// =>     loop->>B: schedule B
// =>     main-->>loop: await TaskGroup.join
// =>     A-->>loop: await sleep(10)
// =>     B-->>loop: await sleep(10)
// =>     Note over loop: 0.010 s
// =>     loop->>B: resume after sleep(10)
// =>     B-->>loop: await sleep(10)
// =>     loop->>A: resume after sleep(10)
// =>     A-->>loop: completed
// =>     Note over loop: 0.020 s
// =>     loop->>B: resume after sleep(10)
// =>     B-->>loop: completed
// =>     loop->>main: all tasks completed
// =>     main--xloop: failed: loaded 2 times
// =>
// => replayed: error
// => fixed: 200 runs, 19 schedules, all passed
