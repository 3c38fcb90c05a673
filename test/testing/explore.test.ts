// explore(): schedules, failures of every kind, shrinking, replay tokens and the
// nondeterminism it refuses to pass over.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CancelledError,
  checkpoint,
  createTask,
  DeadlockError,
  Event,
  Lock,
  shield,
  sleep,
  taskGroup,
} from 'corio';
import {
  explore,
  NondeterminismError,
  replaySchedule,
  ScheduleFailure,
  type ExploreOptions,
  type ExploreReport,
} from 'corio/testing';

// explore() resolves with nothing (node:test wants a Promise<void>); the report comes to onReport.
async function reportOf(fn: () => Promise<void>, options?: ExploreOptions): Promise<ExploreReport> {
  let report: ExploreReport | undefined;
  await explore(fn, {
    ...options,
    onReport: (r) => {
      report = r;
    },
  });
  assert.ok(report !== undefined);
  return report;
}

async function failure(
  fn: () => Promise<void>,
  options?: ExploreOptions,
): Promise<ScheduleFailure> {
  try {
    await explore(fn, options);
  } catch (error) {
    if (error instanceof ScheduleFailure) return error;
    throw error;
  }
  assert.fail('explore() found nothing');
}

// A's and B's sleeps end at the same instant; the code assumes A goes on first.
async function tie(): Promise<void> {
  const order: string[] = [];
  await taskGroup((tg) => {
    tg.spawn(
      async () => {
        await sleep(10);
        order.push('A');
      },
      { name: 'A' },
    );
    tg.spawn(
      async () => {
        await sleep(10);
        order.push('B');
      },
      { name: 'B' },
    );
  });
  if (order[0] !== 'A') throw new Error(`B went first: ${order.join()}`);
}

test('the first run is corio default order; a passing test gets a report', async () => {
  let runs = 0;
  const report = await reportOf(
    async () => {
      runs++;
      await taskGroup((tg) => {
        tg.spawn(() => sleep(1));
        tg.spawn(() => sleep(1));
      });
    },
    { runs: 20, seed: 5 },
  );
  assert.equal(report.seed, 5);
  assert.equal(report.runs, 20);
  // The default order runs twice (the second time to check that it is deterministic).
  assert.equal(runs, 21);
  assert.ok(report.schedules > 1 && report.schedules <= 20);
  assert.ok(report.steps > 0);
  assert.equal(report.exhausted, false);
  assert.deepEqual(report.warnings, []);
});

test('a failure carries the cause, the seed, the shrunk deviation, a token and a diagram', async () => {
  const error = await failure(tie, { seed: 1 });
  assert.equal(error.name, 'ScheduleFailure');
  assert.equal(error.kind, 'error');
  assert.equal(error.seed, 1);
  assert.ok(error.run >= 2);
  assert.match((error.cause as Error).message, /B went first/);
  assert.equal(error.deviations.length, 1);
  assert.match(error.message, /B: sleep\(10\)`? went on alone, before|went on in the order/);
  assert.match(error.message, /CORIO_REPLAY=c1\./);
  assert.match(error.token, /^c1\.1\.\d+\.[\w-]*$/);
  assert.ok(error.schedule.length >= error.deviations.length);
  const diagram = error.toMermaid();
  assert.match(diagram, /^sequenceDiagram\n/);
  assert.match(diagram, /loop->>B: resume after sleep\(10\)/);
  // B resumes before A in the diagram: resumptions are drawn when they happen.
  assert.ok(diagram.indexOf('loop->>B: resume') < diagram.indexOf('loop->>A: resume'));
});

test('the same seed explores the same schedules; a token replays the failure exactly', async () => {
  const first = await failure(tie, { seed: 77 });
  const second = await failure(tie, { seed: 77 });
  assert.equal(first.run, second.run);
  assert.equal(first.token, second.token);
  await assert.rejects(replaySchedule(first.token, tie), (error: unknown) => {
    assert.ok(error instanceof ScheduleFailure);
    assert.equal(error.run, 0);
    assert.match(error.message, /when its schedule was replayed/);
    assert.deepEqual(
      error.schedule.map((s) => s.ran),
      first.schedule.map((s) => s.ran),
    );
    return true;
  });
});

test('CORIO_REPLAY makes the matching explore() call replay its token', async (t) => {
  const found = await failure(tie, { seed: 3 });
  process.env['CORIO_REPLAY'] = `c1.0.0.AA,not-a-token,${found.token}`;
  t.after(() => {
    delete process.env['CORIO_REPLAY'];
  });
  const replayed = await failure(tie, { seed: 999 });
  assert.equal(replayed.run, 0);
  assert.equal(replayed.token, found.token);
  // Another test's explore() ignores the token.
  const report = await reportOf(() => sleep(1), { runs: 3 });
  assert.equal(report.runs, 3);
});

test('replaying a schedule the test no longer follows stops with NondeterminismError', async () => {
  const found = await failure(tie, { seed: 3 });
  await assert.rejects(
    replaySchedule(found.token, async () => {
      await taskGroup((tg) => {
        tg.spawn(() => sleep(10), { name: 'X' });
      });
    }),
    (error: unknown) => {
      assert.ok(error instanceof NondeterminismError);
      assert.match(error.message, /nondeterministic test/);
      assert.ok(error.step >= 0);
      return true;
    },
  );
  await assert.rejects(replaySchedule('not a token', tie), TypeError);
  await assert.rejects(replaySchedule('c1.x.1.AA', tie), TypeError);
});

test('a test whose schedule changes from one run to the next is reported as nondeterministic', async () => {
  // What a test reading Math.random or the wall clock does, made certain: with
  // 8 coin flips, a run and its check run took the same steps once in 256,
  // and the test failed then (once in CI, on Node 24).
  let runsSoFar = 0;
  await assert.rejects(
    explore(
      async () => {
        const flip = runsSoFar++ % 2;
        await taskGroup((tg) => {
          for (let i = 0; i < 8; i++) {
            tg.spawn(async () => {
              if (i % 2 === flip) await checkpoint();
            });
          }
        });
      },
      { runs: 5 },
    ),
    NondeterminismError,
  );
});

test('real host work during a run is named in a warning', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.message);
  };
  process.on('warning', onWarning);
  try {
    const report = await reportOf(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        await sleep(1);
      },
      { runs: 2 },
    );
    assert.equal(report.warnings.length, 1);
    assert.match(report.warnings[0] as string, /real host work \(Timeout\)/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(warnings.some((w) => w.includes('real host work')));
  } finally {
    process.off('warning', onWarning);
  }
});

// Busy-waits: makes a real timer due before the next turn of the host loop,
// every time (a timer due fires in the timers phase, before the immediates).
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

// The explorer used to look for host work only once the run had gone idle, on
// a later turn of the host loop: a timer set in a step it dispatched (from an
// immediate) was due by then and fired in that turn's timers phase first, so
// no look saw it and the run had no warning (the test above failed so on a
// busy machine). It now also counts real timers once each step's microtasks
// are done.
test('host work that ends before the run goes idle is named in a warning too', async () => {
  const report = await reportOf(
    async () => {
      await checkpoint();
      await new Promise((resolve) => {
        setTimeout(resolve, 1);
        spin(5);
      });
      await sleep(1);
    },
    { runs: 2 },
  );
  assert.equal(report.warnings.length, 1);
  assert.match(report.warnings[0] as string, /real host work \(Timeout\)/);
});

// Host work alive when the campaign begins and coming and going beside it (a
// heartbeat that re-arms its timer a turn after it fires) is not the test's:
// counted by type against what was alive then, it never rises above it. Lowering
// that count whenever the heartbeat's gap was seen warned here.
test('background host work that comes and goes is not named', async () => {
  let beating = true;
  let stopped!: () => void;
  const stop = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const beat = (): void => {
    if (beating) setTimeout(() => setImmediate(beat), 1);
    else stopped();
  };
  beat(); // armed now, so alive when the campaign begins
  try {
    const report = await reportOf(
      async () => {
        await taskGroup((tg) => {
          tg.spawn(async () => {
            await sleep(10);
            await checkpoint();
          });
          tg.spawn(async () => {
            await sleep(5);
            await checkpoint();
          });
        });
      },
      { runs: 100 },
    );
    assert.deepEqual(report.warnings, []);
  } finally {
    beating = false;
    await stop;
  }
});

// File work in the background while a campaign runs (tsx writing its cache
// does, on a fresh checkout) is not the test's. The check after each step
// counts real timers only: counting every type there named this in a test that
// uses none (the first test of this file, in CI).
test('background file work during a campaign is not named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'corio-explore-'));
  const background = { writing: true };
  const data = Buffer.alloc(1 << 16);
  // Started once the campaign has begun, as tsx's cache writes were.
  const writes = new Promise((resolve) => setImmediate(resolve)).then(() =>
    Promise.all(
      [0, 1, 2, 3].map(async (n) => {
        while (background.writing) await writeFile(join(dir, String(n)), data);
      }),
    ),
  );
  try {
    const report = await reportOf(
      async () => {
        await taskGroup((tg) => {
          tg.spawn(async () => {
            await checkpoint();
            await sleep(1);
          });
          tg.spawn(async () => {
            await checkpoint();
            await checkpoint();
          });
        });
      },
      { runs: 100 },
    );
    assert.deepEqual(report.warnings, []);
  } finally {
    background.writing = false;
    await writes;
    rmSync(dir, { recursive: true });
  }
});

// A deadlock's failure is drawn again in debug mode, whose own recheck timer
// (a ref'd Timeout, armed while the host has other work: here a listening
// server) is not the test's host work.
test("debug mode's own timer is not named as the test's host work", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const error = await failure(
      async () => {
        await taskGroup((tg) => {
          for (let i = 0; i < 3; i++) {
            tg.spawn(async () => {
              try {
                await new Event().wait();
              } finally {
                await shield(async () => {
                  await checkpoint();
                  await checkpoint();
                });
              }
            });
          }
        });
      },
      { runs: 1 },
    );
    assert.doesNotMatch(error.message, /real host work/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a deadlock fails with debug mode DeadlockError and its wait-for cycle', async () => {
  const error = await failure(
    async () => {
      const [a, b] = [new Lock(), new Lock()];
      await taskGroup((tg) => {
        tg.spawn(
          async () => {
            using _a = await a.acquire();
            await checkpoint();
            using _b = await b.acquire();
          },
          { name: 'A' },
        );
        tg.spawn(
          async () => {
            using _b = await b.acquire();
            await checkpoint();
            using _a = await a.acquire();
          },
          { name: 'B' },
        );
      });
    },
    { seed: 1 },
  );
  assert.equal(error.kind, 'deadlock');
  assert.ok(error.cause instanceof DeadlockError);
  assert.deepEqual(error.cause.cycle, ['A', 'Lock.acquire', 'B', 'Lock.acquire', 'A']);
});

test('a wait nothing can end is a deadlock too', async () => {
  const error = await failure(async () => {
    await new Event().wait();
  });
  assert.equal(error.kind, 'deadlock');
  assert.match(error.message, /main waits on Event\.wait/);
});

test('more than maxSteps steps is a livelock', async () => {
  const error = await failure(
    async () => {
      const stop = new Event();
      await taskGroup((tg) => {
        tg.spawn(async () => {
          while (!stop.isSet()) await checkpoint();
        });
        tg.spawn(async () => {
          while (!stop.isSet()) await checkpoint();
        });
      });
    },
    { maxSteps: 50, runs: 1 },
  );
  assert.equal(error.kind, 'livelock');
  assert.match(error.message, /more than 50 steps/);
});

test('tasks left running and errors nobody retrieved are failures', async () => {
  const leftover = await failure(async () => {
    createTask(() => sleep(10), { name: 'forgotten' });
    await sleep(1);
  });
  assert.equal(leftover.kind, 'leftover');
  assert.match(leftover.message, /forgotten \(waiting: sleep\(10\)\)/);

  const unretrieved = await failure(async () => {
    createTask(
      () => {
        throw new RangeError('lost');
      },
      { name: 'thrower' },
    );
    await sleep(1);
  });
  assert.equal(unretrieved.kind, 'unretrieved');
  assert.ok(unretrieved.cause instanceof RangeError);
  assert.match(unretrieved.message, /thrower failed and nobody retrieved its error/);
});

test('awaiting a promise nothing settles is reported as stuck', async () => {
  const error = await failure(async () => {
    await sleep(1);
    await new Promise<void>(() => {});
  });
  assert.equal(error.kind, 'stuck');
  assert.match(error.message, /awaits a promise outside corio/);
});

test('injected cancellations end tasks at their waits, the test task excepted', async () => {
  // A correct program survives them...
  const report = await reportOf(
    async () => {
      const lock = new Lock();
      let inside = 0;
      await taskGroup((tg) => {
        for (let i = 0; i < 3; i++) {
          tg.spawn(async () => {
            using _ = await lock.acquire();
            inside++;
            try {
              await sleep(1);
            } finally {
              inside--;
            }
          });
        }
      });
      if (inside !== 0 || lock.locked()) throw new Error('the lock leaked');
    },
    { injectCancellation: true, runs: 100, seed: 2 },
  );
  assert.equal(report.runs, 100);
  // ...and one that assumes its children finish does not.
  const error = await failure(
    async () => {
      let finished = 0;
      await taskGroup((tg) => {
        tg.spawn(async () => {
          await sleep(1);
          finished++;
        });
      });
      if (finished !== 1) throw new Error('the child did not finish');
    },
    { injectCancellation: true, seed: 4 },
  );
  assert.equal(error.deviations.length, 1);
  assert.match(error.message, /was cancelled \(injected\)/);
  // An injected cancellation that reaches the test's own task is not a failure.
  await explore(
    async () => {
      const child = createTask(() => sleep(5));
      try {
        await child;
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
      }
    },
    { injectCancellation: true, runs: 50, seed: 9 },
  );
});

test('exhaustive search tries every schedule and says so; pct and random find the tie', async () => {
  const report = await reportOf(
    async () => {
      await taskGroup((tg) => {
        tg.spawn(() => sleep(1));
        tg.spawn(() => sleep(1));
      });
    },
    { strategy: 'exhaustive' },
  );
  assert.deepEqual([report.exhausted, report.runs], [true, 39]);
  for (const strategy of ['exhaustive', 'pct', 'random'] as const) {
    const error = await failure(tie, { strategy, seed: 11 });
    assert.equal(error.deviations.length, 1, strategy);
  }
  const unshrunk = await failure(tie, { seed: 11, shrink: false });
  assert.ok(unshrunk.deviations.length >= 1);
});

test('options are validated', async () => {
  await assert.rejects(explore('x' as never), TypeError);
  await assert.rejects(explore(tie, { runs: 0 }), RangeError);
  await assert.rejects(explore(tie, { seed: -1 }), RangeError);
  await assert.rejects(explore(tie, { strategy: 'dfs' as never }), RangeError);
  await assert.rejects(explore(tie, { maxSteps: 1.5 }), RangeError);
  await assert.rejects(explore(tie, { shrink: 1 as never }), TypeError);
  await assert.rejects(explore(tie, null as never), TypeError);
});

// The look that follows real host work kept the process alive only through that
// work: when it ended before the next look and nothing else was alive, Node
// exited with explore() unsettled (exit code 13, "unsettled top-level await"),
// as tsx's transient loader handles made a module-header example do on Node 22
// and 26. Run in a process of its own: that failure ends the process.
test('a run that stalls while host work ends still reaches its verdict (the process is kept alive)', () => {
  const program = `
    import { execFile } from 'node:child_process';
    import { Lock, taskGroup, checkpoint } from 'corio';
    import { explore, ScheduleFailure } from 'corio/testing';
    try {
      await explore(async () => {
        // Host work that ends while every task waits, in the poll phase of
        // Node's loop, after which Node checks whether anything keeps it alive.
        execFile('sleep', ['0.05'], () => {});
        const [a, b] = [new Lock(), new Lock()];
        await taskGroup((tg) => {
          tg.spawn(async () => { using _a = await a.acquire(); await checkpoint(); using _b = await b.acquire(); });
          tg.spawn(async () => { using _b = await b.acquire(); await checkpoint(); using _a = await a.acquire(); });
        });
      }, { runs: 1, seed: 1, shrink: false });
      console.log('passed');
    } catch (error) {
      console.log(error instanceof ScheduleFailure ? error.kind : String(error));
    }
  `;
  // Inside the package, so that 'corio' resolves to it.
  const dir = mkdtempSync(join(process.cwd(), 'test', '.explore-'));
  const file = join(dir, 'host-work-ends.mts');
  writeFileSync(file, program);
  try {
    const out = spawnSync(
      process.execPath,
      ['--conditions=corio-source', '--import', 'tsx', file],
      { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(out.stderr.includes('unsettled top-level await'), false, out.stderr);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'deadlock');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
