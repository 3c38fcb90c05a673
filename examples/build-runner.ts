// A build runner: each step is a shell command with a time limit. A step that
// overruns is killed with everything it started (its process group), and the
// runner goes on; a failing step stops the build.
import { SystemClock, TimeoutError, run, timeout } from 'corio';
import { CalledProcessError, runProcess } from 'corio/node';

interface Step {
  readonly name: string;
  readonly command: string;
  readonly limit: number; // ms
}

const steps: Step[] = [
  { name: 'lint', command: 'echo "0 problems"', limit: 10_000 },
  // A test server in the background and a client that never ends: a tree of processes.
  { name: 'e2e', command: 'sleep 300 & sleep 301; echo unreachable', limit: 300 },
  { name: 'test', command: 'echo "12 passed"; echo "1 failed" >&2; exit 1', limit: 10_000 },
  { name: 'deploy', command: 'echo deployed', limit: 10_000 },
];

async function runStep(step: Step): Promise<boolean> {
  try {
    const done = await timeout(step.limit, () =>
      runProcess('sh', ['-c', step.command], { capture: true, killGrace: 1000 }),
    );
    console.log(`${step.name}: ok, ${String(done.stdout).trim()}`);
    return true;
  } catch (error) {
    if (error instanceof TimeoutError) {
      // runProcess waited until the whole group had exited before this was thrown.
      console.log(`${step.name}: over its ${step.limit} ms limit; its processes were killed`);
      return true; // a flaky e2e suite does not stop this build
    }
    if (error instanceof CalledProcessError) {
      const why = String(error.stderr).trim();
      console.log(`${step.name}: failed with status ${error.returncode} (${why})`);
      return false;
    }
    throw error;
  }
}

// Real commands take real time, and the limits are real-time limits: this
// program names the system clock, so that it measures them even where a test
// makes virtual time the default.
await run(
  async () => {
    for (const step of steps) {
      if (!(await runStep(step))) {
        console.log('build failed');
        return;
      }
    }
    console.log('build passed');
  },
  { clock: new SystemClock() },
);
// => lint: ok, 0 problems
// => e2e: over its 300 ms limit; its processes were killed
// => test: failed with status 1 (1 failed)
// => build failed
