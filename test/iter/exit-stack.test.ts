import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { InvalidStateError, sleep } from 'corio';
import { AsyncExitStack, SuppressedError, asyncContextManager, retry } from 'corio/iter';
import { assertCheckpoints } from 'corio/testing';
import { Trace, vrun } from '../_helpers.js';

const resource = (trace: Trace, name: string, fail?: Error) => ({
  name,
  async [Symbol.asyncDispose]() {
    await sleep(1);
    trace.log(`release ${name}`);
    if (fail !== undefined) throw fail;
  },
});

test('an exit stack releases everything in reverse order, also after a failure', () =>
  vrun(async () => {
    const trace = new Trace();
    const err = await (async () => {
      await using stack = new AsyncExitStack();
      await stack.enter(resource(trace, 'a'));
      stack.push({
        [Symbol.dispose]() {
          trace.log('release sync b');
        },
      });
      stack.callback((word: string) => {
        trace.log(`callback ${word}`);
      }, 'c');
      await stack.enter(Promise.resolve(resource(trace, 'd')));
      throw new RangeError('body failed');
    })().catch((e: unknown) => e);
    assert.ok(err instanceof RangeError);
    assert.deepEqual(trace.lines, [
      '1 release d',
      '1 callback c',
      '1 release sync b',
      '2 release a',
    ]);
  }));

test('several failing releases combine as await using combines them', () =>
  vrun(async () => {
    const trace = new Trace();
    const first = new Error('first release failed');
    const second = new Error('second release failed');
    const stack = new AsyncExitStack();
    await stack.enter(resource(trace, 'x', first));
    await stack.enter(resource(trace, 'y', second));
    const err = await stack.aclose().catch((e: unknown) => e);
    // y is released first (its error is pending), then x fails: x's error wraps it.
    assert.ok(err instanceof SuppressedError);
    assert.equal(err.name, 'SuppressedError');
    assert.equal((err as unknown as { error: unknown }).error, first);
    assert.equal((err as unknown as { suppressed: unknown }).suppressed, second);
    await stack.aclose();
    assert.throws(() => {
      stack.callback(() => {});
    }, InvalidStateError);
    assert.equal(inspect(stack), 'AsyncExitStack<closed>');
  }));

test('popAll moves the registrations to a new stack', () =>
  vrun(async () => {
    const trace = new Trace();
    const stack = new AsyncExitStack();
    await stack.enter(resource(trace, 'kept'));
    const moved = stack.popAll();
    await stack.aclose();
    assert.deepEqual(trace.lines, []);
    await moved.aclose();
    assert.deepEqual(trace.lines, ['1 release kept']);
  }));

test('enter rejects what cannot be released', () =>
  vrun(async () => {
    const stack = new AsyncExitStack();
    await assert.rejects(stack.enter({} as never), {
      name: 'TypeError',
      message:
        'AsyncExitStack.enter(): `resource` must be disposable (Symbol.asyncDispose or Symbol.dispose), got an object',
    });
  }));

test('asyncContextManager runs the code before and after the yield around the block', () =>
  vrun(async () => {
    const trace = new Trace();
    const managed = asyncContextManager(async function* (name: string) {
      trace.log(`acquire ${name}`);
      await sleep(5);
      try {
        yield name.toUpperCase();
      } finally {
        await sleep(5);
        trace.log(`release ${name}`);
      }
    });
    {
      await using handle = await managed('r');
      trace.log(`use ${handle.value}`);
    }
    const stack = new AsyncExitStack();
    trace.log(`entered ${await stack.enter(managed('s'))}`);
    await stack.aclose();
    assert.deepEqual(trace.lines, [
      '0 acquire r',
      '5 use R',
      '10 release r',
      '10 acquire s',
      '15 entered S',
      '20 release s',
    ]);
  }));

test('a generator must yield exactly once', () =>
  vrun(async () => {
    // eslint-disable-next-line @typescript-eslint/require-await, require-yield -- it returns without yielding
    const none = asyncContextManager(async function* () {
      return;
    });
    await assert.rejects(none(), {
      name: 'InvalidStateError',
      message: 'asyncContextManager(): the generator returned without yielding',
    });
    // eslint-disable-next-line @typescript-eslint/require-await -- yields twice, on purpose
    const twice = asyncContextManager(async function* () {
      yield 1;
      yield 2;
    });
    const handle = await twice();
    await assert.rejects(handle[Symbol.asyncDispose](), {
      message: 'asyncContextManager(): the generator yielded more than once',
    });
    assert.throws(() => asyncContextManager(5 as never), TypeError);
  }));

test('enter(), an asyncContextManager factory and retry() are cancellation points (#11)', () =>
  vrun(async () => {
    const released: string[] = [];
    const stack = new AsyncExitStack();
    await assertCheckpoints(() =>
      stack.enter({
        [Symbol.asyncDispose]: () => {
          released.push('entered resource');
          return Promise.resolve();
        },
      }),
    );
    await stack.aclose();
    assert.deepEqual(released, ['entered resource']);
    let started = false;
    const factory = asyncContextManager(async function* () {
      started = true;
      yield await Promise.resolve(1);
    });
    await assertCheckpoints(() => factory());
    assert.equal(started, false);
    let calls = 0;
    await assertCheckpoints(() =>
      retry(() => {
        calls++;
        return 1;
      }),
    );
    assert.equal(calls, 0);
  }));

test('a resource that arrives after the stack closed is released at once, not lost', () =>
  vrun(async () => {
    const trace = new Trace();
    const stack = new AsyncExitStack();
    const entering = stack.enter(
      sleep(10).then(() => ({
        [Symbol.dispose]: () => {
          trace.log('disposed');
        },
      })),
    );
    await stack.aclose();
    await assert.rejects(entering, {
      name: 'InvalidStateError',
      message:
        'AsyncExitStack.enter(): the stack was closed while the resource was being entered; it was released',
    });
    assert.deepEqual(trace.lines, ['10 disposed']);
  }));
