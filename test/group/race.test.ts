import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, ExceptionGroup, createTask, getRunningLoop, race, sleep } from 'corio';
import { Trace, outcome, vrun } from '../_helpers.js';

test('race returns the first value after cancelling and awaiting the losers', () =>
  vrun(async () => {
    const trace = new Trace();
    const contestant = (name: string, ms: number) => async () => {
      try {
        await sleep(ms);
        return name;
      } catch (err) {
        await sleep(0).catch(() => {});
        trace.log(`${name} cancelled`);
        throw err;
      }
    };
    const winner = await race([
      contestant('slow', 100),
      contestant('fast', 10),
      contestant('mid', 50),
    ]);
    trace.log(`winner ${winner}`);
    assert.deepEqual(trace.lines, ['10 slow cancelled', '10 mid cancelled', '10 winner fast']);
    assert.equal(getRunningLoop().statistics().timers, 0);
  }));

test('race throws the first error as itself', () =>
  vrun(async () => {
    await assert.rejects(
      race([
        () => sleep(100, 'late'),
        async () => {
          await sleep(5);
          throw new RangeError('first');
        },
      ]),
      (err: unknown) => err instanceof RangeError && err.message === 'first',
    );
  }));

test('race throws a loser’s real error even when another contestant won', () =>
  vrun(async () => {
    const err = await race([
      () => sleep(1, 'win'),
      async () => {
        try {
          await sleep(100);
        } catch {
          throw new TypeError('cleanup failed');
        }
        return 'never';
      },
    ]).catch((e: unknown) => e);
    // Nothing is dropped: the one real error is thrown as itself.
    assert.ok(err instanceof TypeError);
    assert.equal(err.message, 'cleanup failed');
  }));

test('race groups the errors when several contestants fail', () =>
  vrun(async () => {
    const failing = (message: string) => async () => {
      await sleep(5);
      throw new Error(message);
    };
    const err = await race([failing('one'), failing('two')]).catch((e: unknown) => e);
    assert.ok(err instanceof ExceptionGroup);
    assert.deepEqual(
      err.errors.map((e) => (e as Error).message),
      ['one', 'two'],
    );
  }));

test('a cancelled race cancels every contestant', () =>
  vrun(async () => {
    const caller = createTask(() => race([() => sleep(100, 'a'), () => sleep(200, 'b')]));
    await sleep(10);
    caller.cancel();
    assert.equal(await outcome(caller), 'CancelledError');
    assert.equal(getRunningLoop().statistics().timers, 0);
  }));

test('race validates its arguments', () =>
  vrun(async () => {
    await assert.rejects(race([]), {
      name: 'RangeError',
      message: 'race(): `fns` must hold at least one function',
    });
    await assert.rejects(race([() => 1, 'x' as never]), {
      name: 'TypeError',
      message: 'race(): `fns[1]` must be a function, got "x"',
    });
    assert.ok(new CancelledError() instanceof Error);
  }));
