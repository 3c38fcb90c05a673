// runProcess on the real process table, under the system clock.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, timeout } from 'corio';
import { CalledProcessError, runProcess } from 'corio/node';
import { liveInGroup } from './_processes.js';

test('runProcess returns how the command ended, with the output it was asked to capture', () =>
  run(async () => {
    const done = await runProcess('tr', ['a-z', 'A-Z'], { input: 'hello', capture: true });
    assert.deepEqual(
      { ...done, stdout: String(done.stdout), stderr: String(done.stderr) },
      { args: ['tr', 'a-z', 'A-Z'], returncode: 0, stdout: 'HELLO', stderr: '' },
    );
    const quiet = await runProcess('sh', ['-c', 'echo out; echo err >&2'], {
      capture: { stderr: true },
      stdout: 'ignore',
    });
    assert.deepEqual([quiet.stdout, String(quiet.stderr)], [null, 'err\n']);
  }));

test('a non-zero exit is a CalledProcessError with the data; check: false returns it', () =>
  run(async () => {
    const error = await runProcess('sh', ['-c', 'echo partial; exit 3'], { capture: true }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e as CalledProcessError,
    );
    assert.ok(error instanceof CalledProcessError);
    assert.equal(error.name, 'CalledProcessError');
    assert.equal(error.message, 'sh -c "echo partial; exit 3" exited with status 3');
    assert.deepEqual(
      [error.returncode, error.cmd, String(error.stdout), String(error.stderr)],
      [3, ['sh', '-c', 'echo partial; exit 3'], 'partial\n', ''],
    );
    const done = await runProcess('sh', ['-c', 'kill -TERM $$'], { check: false });
    assert.equal(done.returncode, -15);
    await assert.rejects(runProcess('sh', ['-c', 'kill -KILL $$']), {
      message: 'sh -c "kill -KILL $$" was killed by signal 9',
    });
  }));

test("the child's stdin is empty unless input is given", () =>
  run(async () => {
    const done = await timeout(5000, () => runProcess('cat', [], { capture: true }));
    assert.equal(String(done.stdout), '');
  }));

test('a cancelled runProcess leaves no process in the group, and throws after the exit', () =>
  run(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corio-run-process-'));
    try {
      const pidFile = join(dir, 'pgid');
      const t0 = performance.now();
      await assert.rejects(
        timeout(300, () =>
          runProcess('sh', ['-c', `echo $$ > ${pidFile}; sleep 300 & sleep 301 & wait`]),
        ),
        { name: 'TimeoutError' },
      );
      const pgid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(pgid > 0);
      assert.deepEqual(liveInGroup(pgid), []);
      assert.ok(performance.now() - t0 < 2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test('a runProcess whose child ignores SIGTERM ends after killGrace, its group killed', () =>
  run(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corio-run-process-'));
    try {
      const pidFile = join(dir, 'pgid');
      const script = `trap "" TERM; echo $$ > ${pidFile}; sleep 300 & wait`;
      const t0 = performance.now();
      await assert.rejects(
        timeout(100, () => runProcess('sh', ['-c', script], { killGrace: 200 })),
        { name: 'TimeoutError' },
      );
      const elapsed = performance.now() - t0;
      assert.deepEqual(liveInGroup(Number(readFileSync(pidFile, 'utf8'))), []);
      assert.ok(elapsed >= 299, `ended after ${elapsed} ms, before timeout + grace`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test('its signal stops it as a cancellation does', () =>
  run(async () => {
    await assert.rejects(runProcess('sleep', ['300'], { signal: AbortSignal.timeout(50) }), {
      name: 'CancelledError',
    });
  }));

test('bad input is refused at once, naming the argument', () =>
  run(async () => {
    await assert.rejects(runProcess('true', [], { capture: true, stdout: 'inherit' }), {
      name: 'TypeError',
      message: 'runProcess(): `options.capture` and `options.stdout` both say where stdout goes',
    });
    await assert.rejects(runProcess('true', [], { input: 'x', stdin: 'inherit' }), {
      name: 'TypeError',
      message: 'runProcess(): `options.input` and `options.stdin` both say what stdin is',
    });
    await assert.rejects(runProcess('true', [], { capture: 'yes' as never }), {
      name: 'TypeError',
      message:
        'runProcess(): `options.capture` must be a boolean or { stdout?, stderr? }, got "yes"',
    });
    await assert.rejects(runProcess('true', [], { inputs: 'x' } as never), {
      name: 'TypeError',
      message: 'runProcess(): `options.inputs` is not an option; did you mean `input`?',
    });
    await assert.rejects(runProcess('true', 'x' as never), {
      name: 'TypeError',
      message: 'runProcess(): `args` must be an array of strings, got "x"',
    });
  }));
