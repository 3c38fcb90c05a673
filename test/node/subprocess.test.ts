// Processes on the real process table, under the system clock (a child takes
// real time). Bounds on real time are loose: they tell "killed at the grace"
// from "never killed" on a shared, busy machine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { CancelScope, createTask, getRunningLoop, moveOnAfter, run, timeout } from 'corio';
import { createSubprocessExec, createSubprocessShell, type Process } from 'corio/node';
import { VirtualClock } from 'corio/testing';
import { isLive, liveInGroup } from './_processes.js';

const project = join(fileURLToPath(import.meta.url), '..', '..', '..');

test('communicate() sends the input, reads the output to its end and waits for the exit', () =>
  run(async () => {
    await using proc = await createSubprocessExec('sort', [], { stdin: 'pipe', stdout: 'pipe' });
    assert.match(inspect(proc), /^Process<running pid=\d+>$/);
    const { stdout, stderr } = await proc.communicate('pear\napple\nfig\n');
    assert.equal(String(stdout), 'apple\nfig\npear\n');
    assert.equal(stderr, null);
    assert.equal(proc.returncode, 0);
    assert.equal(inspect(proc), `Process<exited returncode=0 pid=${proc.pid}>`);
    assert.deepEqual(proc.args, ['sort']);
  }));

test("stdout and stderr are separate pipes; stderr: 'stdout' reads both through stdout", () =>
  run(async () => {
    const script = 'echo out; echo err >&2';
    await using apart = await createSubprocessShell(script, { stdout: 'pipe', stderr: 'pipe' });
    const a = await apart.communicate();
    assert.deepEqual([String(a.stdout), String(a.stderr)], ['out\n', 'err\n']);
    await using merged = await createSubprocessShell(script, {
      stdout: 'pipe',
      stderr: 'stdout',
    });
    const b = await merged.communicate();
    assert.deepEqual([String(b.stdout).split('\n').sort().join(' '), b.stderr], [' err out', null]);
    assert.deepEqual(merged.args.slice(-2), ['-c', script]);
  }));

test('the streams are corio streams: readline, then write and close stdin', () =>
  run(async () => {
    await using proc = await createSubprocessExec('cat', [], { stdin: 'pipe', stdout: 'pipe' });
    const { stdin, stdout } = proc as Process & { stdin: NonNullable<Process['stdin']> };
    stdin.write('one\ntwo\n');
    assert.equal(String(await stdout?.readline()), 'one\n');
    stdin.close();
    assert.equal(String(await stdout?.read()), 'two\n');
    assert.equal(await proc.wait(), 0);
  }));

test('returncode is -N for a signal, as asyncio says it', () =>
  run(async () => {
    for (const [send, code] of [
      [
        (p: Process) => {
          p.terminate();
        },
        -15,
      ],
      [
        (p: Process) => {
          p.kill();
        },
        -9,
      ],
      [
        (p: Process) => {
          p.sendSignal('SIGINT');
        },
        -2,
      ],
    ] as const) {
      await using proc = await createSubprocessExec('sleep', ['300']);
      send(proc);
      assert.equal(await proc.wait(), code);
      proc.kill(); // after the exit: nothing, no error
    }
  }));

test('wait() is cancel-safe: cancelled from an inner scope, the process runs on', () =>
  run(async () => {
    await using proc = await createSubprocessExec('sleep', ['300']);
    assert.equal(await moveOnAfter(50, () => proc.wait()), undefined);
    assert.equal(proc.returncode, null);
    assert.ok(isLive(proc.pid));
    proc.terminate();
    assert.equal(await proc.wait(), -15);
  }));

test('cancelling the owning scope kills the whole group, and wait() throws after the exit', () =>
  run(async () => {
    let proc: Process | null = null;
    await assert.rejects(
      timeout(100, async () => {
        proc = await createSubprocessShell('sleep 300 & sleep 301 & wait');
        await proc.wait();
      }),
      { name: 'TimeoutError' },
    );
    const p = proc as unknown as Process;
    assert.equal(p.returncode, -15);
    assert.deepEqual(liveInGroup(p.pid), []);
  }));

test('a child that ignores SIGTERM is killed with SIGKILL after killGrace', () =>
  run(async () => {
    const grace = 300;
    let proc: Process | null = null;
    let cancelledAt = 0;
    await new CancelScope().run(async (scope) => {
      proc = await createSubprocessShell('trap "" TERM; echo ready; sleep 300 & wait', {
        stdout: 'pipe',
        killGrace: grace,
      });
      await proc.stdout?.readline();
      cancelledAt = performance.now();
      scope.cancel();
      await proc.wait();
    });
    const elapsed = performance.now() - cancelledAt;
    const p = proc as unknown as Process;
    assert.equal(p.returncode, -9);
    assert.deepEqual(liveInGroup(p.pid), []);
    assert.ok(elapsed >= grace - 1, `killed after ${elapsed} ms, before the grace`);
    assert.ok(elapsed < grace + 1000, `killed after ${elapsed} ms`);
  }));

test('deliverCancel replaces the kill policy; corio waits for the exit after it', () =>
  run(async () => {
    const calls: number[] = [];
    let proc: Process | null = null;
    await moveOnAfter(50, async () => {
      proc = await createSubprocessExec('sleep', ['300'], {
        deliverCancel: (p) => {
          calls.push(p.pid);
          p.sendSignal('SIGINT');
        },
      });
      await proc.wait();
    });
    const p = proc as unknown as Process;
    assert.deepEqual(calls, [p.pid]);
    assert.equal(p.returncode, -2);
  }));

test('a deliverCancel that throws is reported, and the process gets SIGKILL', () =>
  run(async () => {
    const reported: string[] = [];
    getRunningLoop().setExceptionHandler((context) => {
      reported.push(`${context.message}: ${(context.error as Error).message}`);
    });
    let proc: Process | null = null;
    await moveOnAfter(50, async () => {
      proc = await createSubprocessExec('sleep', ['300'], {
        deliverCancel: () => {
          throw new Error('no luck');
        },
      });
      await proc.wait();
    });
    const p = proc as unknown as Process;
    assert.equal(p.returncode, -9);
    assert.deepEqual(reported, [
      `the deliverCancel of process ${p.pid} threw; the process got SIGKILL: no luck`,
    ]);
  }));

test('a second communicate() after a cancelled one returns the output read before', () =>
  run(async () => {
    await using proc = await createSubprocessShell('echo part1; sleep 0.3; echo part2', {
      stdout: 'pipe',
    });
    assert.equal(await moveOnAfter(150, () => proc.communicate()), undefined);
    assert.equal(proc.returncode, null);
    const { stdout } = await proc.communicate();
    assert.equal(String(stdout), 'part1\npart2\n');
  }));

test('the input goes once: a cancelled communicate() keeps sending it, a second may not repeat it', () =>
  run(async () => {
    await using proc = await createSubprocessShell('sleep 0.2; cat', {
      stdin: 'pipe',
      stdout: 'pipe',
    });
    assert.equal(await moveOnAfter(50, () => proc.communicate('sent once\n')), undefined);
    await assert.rejects(proc.communicate('sent once\n'), {
      name: 'InvalidStateError',
      message:
        'Process.communicate(): stdin was taken by an earlier communicate(), which sends its input once; call it again without input',
    });
    assert.equal(String((await proc.communicate()).stdout), 'sent once\n');
  }));

test('a process outlives nothing: the end of its task kills it, run() waits for that', async () => {
  let proc: Process | null = null;
  await run(async () => {
    const starter = createTask(async () => {
      proc = await createSubprocessExec('sleep', ['300']);
    });
    await starter;
    const p = proc as unknown as Process;
    assert.equal(await p.wait(), -15);
    proc = await createSubprocessExec('sleep', ['301']);
  });
  const p = proc as unknown as Process;
  assert.equal(p.returncode, -15, 'run() stopped the one main left running, and waited');
});

test('await using kills a process still running when the block ends, and waits for it', () =>
  run(async () => {
    const block = async (): Promise<Process> => {
      await using proc = await createSubprocessShell('sleep 300 & sleep 301 & wait');
      return proc;
    };
    const proc = await block();
    assert.equal(proc.returncode, -15);
    assert.deepEqual(liveInGroup(proc.pid), []);
  }));

test('processGroup: false signals the child alone; its own children live on', () =>
  run(async () => {
    await using proc = await createSubprocessShell('sleep 300 & echo $!; wait', {
      stdout: 'pipe',
      processGroup: false,
    });
    const grandchild = Number(String(await proc.stdout?.readline()));
    proc.terminate();
    assert.equal(await proc.wait(), -15);
    assert.ok(isLive(grandchild), 'the sleep the shell started still runs');
    process.kill(grandchild, 'SIGKILL');
  }));

test('a parent that calls process.exit() leaves no child group running', async () => {
  const script = [
    "import { createSubprocessShell } from 'corio/node';",
    "const proc = await createSubprocessShell('sleep 300 & sleep 301 & wait');",
    'console.log(proc.pid);',
    'process.exit(0);',
  ].join('\n');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=corio-source', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: project },
  );
  const pgid = Number(stdout.trim());
  assert.ok(pgid > 0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(liveInGroup(pgid), []);
});

test('a scope cancelled before the spawn starts nothing', () =>
  run(async () => {
    await new CancelScope().run(async (scope) => {
      scope.cancel();
      await assert.rejects(createSubprocessExec('sleep', ['300']), { name: 'CancelledError' });
    });
  }));

test('under a VirtualClock, a quick command beats a timeout; a silent one lets time jump', () =>
  run(
    async () => {
      await using quick = await createSubprocessExec('echo', ['hi'], { stdout: 'pipe' });
      const out = await timeout(1000, () => quick.communicate());
      assert.equal(String(out.stdout), 'hi\n');
      assert.equal(getRunningLoop().time(), 0);
      await assert.rejects(
        timeout(1000, async () => {
          const slow = await createSubprocessExec('sleep', ['300']);
          await slow.wait();
        }),
        { name: 'TimeoutError' },
      );
      assert.equal(getRunningLoop().time(), 1000);
    },
    { clock: new VirtualClock() },
  ));

test('bad input is refused at once, naming the argument', async () => {
  const cases: [() => Promise<unknown>, { name: string; message: string }][] = [
    [
      () => createSubprocessExec('sleep', '300' as never),
      {
        name: 'TypeError',
        message: 'createSubprocessExec(): `args` must be an array of strings, got "300"',
      },
    ],
    [
      () => createSubprocessExec('sleep', [300 as never]),
      { name: 'TypeError', message: 'createSubprocessExec(): `args[0]` must be a string, got 300' },
    ],
    [
      () => createSubprocessExec('', []),
      {
        name: 'TypeError',
        message: 'createSubprocessExec(): `file` must be a non-empty string, got ""',
      },
    ],
    [
      () => createSubprocessExec('sleep', ['1'], { killGrace: -1 }),
      {
        name: 'RangeError',
        message:
          'createSubprocessExec(): `options.killGrace` must be a number >= 0 (Infinity for no limit), got -1',
      },
    ],
    [
      () => createSubprocessExec('sleep', ['1'], { killSignal: 'SIGNOPE' as never }),
      {
        name: 'RangeError',
        message:
          'createSubprocessExec(): `options.killSignal` must be a signal name such as \'SIGTERM\', got "SIGNOPE"',
      },
    ],
    [
      () => createSubprocessExec('sleep', ['1'], { cwd: '/no/such/dir' }),
      {
        name: 'TypeError',
        message: 'createSubprocessExec(): `options.cwd` must be a directory: /no/such/dir is none',
      },
    ],
    [
      () => createSubprocessShell('true', { stderr: 'stdout' }),
      {
        name: 'TypeError',
        message: "createSubprocessShell(): `options.stderr` 'stdout' needs `options.stdout` 'pipe'",
      },
    ],
    [
      () => createSubprocessExec('sleep', ['1'], { stdout: 'file' as never }),
      {
        name: 'RangeError',
        message:
          "createSubprocessExec(): `options.stdout` must be 'pipe', 'inherit', 'ignore' or a file descriptor, got \"file\"",
      },
    ],
    [
      () => createSubprocessExec('sleep', ['1'], { killGrase: 10 } as never),
      {
        name: 'TypeError',
        message:
          'createSubprocessExec(): `options.killGrase` is not an option; did you mean `killGrace`?',
      },
    ],
  ];
  for (const [make, expected] of cases) await assert.rejects(make(), expected);
  await run(async () => {
    await assert.rejects(createSubprocessExec('no-such-command-here', []), {
      name: 'Error',
      code: 'ENOENT',
      message: 'cannot start "no-such-command-here": no such file, or not found on PATH (ENOENT)',
    });
    await using proc = await createSubprocessExec('true');
    await assert.rejects(proc.communicate('x'), {
      name: 'InvalidStateError',
      message: "Process.communicate(): `input` needs stdin: 'pipe'",
    });
  });
});
