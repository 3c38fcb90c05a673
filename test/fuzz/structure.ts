/**
 * The fuzzer's structural operations, which run sub-scripts: the scopes
 * (`moveOnAfter`, `timeout`, `waitFor` on a function and on a task,
 * `cancelScope`, `shield`, cleanup in a shielded scope), `taskGroup` with
 * `spawn` and `start`, and the
 * combinators `gather`, `wait`, `asCompleted` and `race`.
 *
 * Their checks are about outcomes and structure:
 * - a scope catches its own cancellation and only its own: when the context around
 *   it was cancelled as its body threw `CancelledError`, the error propagates;
 *   when only its own deadline fired, `timeout` throws `TimeoutError` and
 *   `moveOnAfter` returns `undefined`;
 * - a `taskGroup` whose tasks saw the context around it cancelled does not return
 *   normally (DESIGN: the cancellation propagates, even if the body finished);
 * - nothing ends before the tasks it owns: a group, `race`, `waitFor(task)`, a
 *   gather that resolved and an `asCompleted` that was left all leave no task of
 *   theirs running; `asCompleted` yields each distinct task once.
 */
import {
  asCompleted,
  CancelScope,
  type Task,
  TimeoutError,
  cancelScope,
  createTask,
  currentTask,
  gather,
  isCancellation,
  moveOnAfter,
  race,
  shield,
  sleep,
  taskGroup,
  timeout,
  wait,
  waitFor,
} from 'corio';
import { describe } from './describe.js';
import type { Ctx } from './leaves.js';
import type { Op } from './program.js';
import { FuzzError, type World, cancelledHere, contextProbe } from './world.js';

export type Run = (ops: readonly Op[], ctx: Ctx) => Promise<void>;
type Structural = Extract<
  Op,
  { op: 'scope' | 'group' | 'gather' | 'wait' | 'asCompleted' | 'race' }
>;

const copy = (ctx: Ctx): Ctx => ({ send: ctx.send, recv: ctx.recv });

export function structural(w: World, o: Structural, ctx: Ctx, run: Run): Promise<void> {
  switch (o.op) {
    case 'scope':
      switch (o.how) {
        case 'shield':
          return shielded(w, o.body, ctx, run);
        case 'waitForTask':
          return waitForTask(w, o, ctx, run);
        case 'cleanup':
          return cleanup(w, o, ctx, run);
        default:
          return scoped(w, o, ctx, run);
      }
    case 'group':
      return group(w, o, ctx, run);
    case 'gather':
      return gathered(w, o, ctx, run);
    case 'wait':
      return waited(w, o, ctx, run);
    case 'asCompleted':
      return completions(w, o, ctx, run);
    case 'race':
      return raced(w, o, ctx, run);
  }
}

type ScopeOp = Extract<Op, { op: 'scope' }>;

async function scoped(w: World, o: ScopeOp, ctx: Ctx, run: Run): Promise<void> {
  const outer = contextProbe();
  const box: { scope: CancelScope | null; outerCancelled: boolean } = {
    scope: null,
    outerCancelled: false,
  };
  const body = async (scope: CancelScope): Promise<'done'> => {
    box.scope = scope;
    try {
      await run(o.body, ctx);
      return 'done';
    } catch (error) {
      if (isCancellation(error)) box.outerCancelled = outer();
      throw error;
    }
  };
  const name = o.how;
  let result: 'done' | undefined;
  try {
    switch (o.how) {
      case 'moveOnAfter':
        result = await moveOnAfter(o.ms, body);
        break;
      case 'cancelScope':
        result = await cancelScope((scope) => {
          w.scopes.push(scope);
          return body(scope);
        });
        break;
      case 'timeout':
        result = await timeout(o.ms, body);
        break;
      default:
        result = await waitFor(body, o.ms);
    }
  } catch (error) {
    const scope = box.scope;
    if (error instanceof TimeoutError && (name === 'timeout' || name === 'waitFor')) {
      w.check(
        scope?.cancelCalled === true,
        `${name}: TimeoutError though its deadline did not fire`,
      );
      w.check(!box.outerCancelled, `${name}: turned a cancellation from outside into TimeoutError`);
      return;
    }
    if (isCancellation(error) && scope?.cancelCalled === true && !cancelledHere()) {
      w.violation(
        `${name}: its own ${name === 'cancelScope' ? 'cancellation' : 'deadline'} escaped as CancelledError though nothing outside it was cancelled`,
      );
    }
    throw error;
  }
  const scope = box.scope;
  if (result === undefined) {
    w.check(
      scope?.cancelledCaught === true,
      `${name}: returned undefined without catching its cancellation`,
    );
    w.check(
      !box.outerCancelled,
      `${name}: swallowed a cancellation from outside (the outer scope was cancelled when its body threw)`,
    );
  }
}

// Cleanup that must wait, as Trio teaches it: in a shielded scope, which no
// cancellation from outside reaches.
async function cleanup(w: World, o: ScopeOp, ctx: Ctx, run: Run): Promise<void> {
  try {
    await run(o.body, ctx);
  } finally {
    try {
      await cancelScope(() => sleep(o.ms), { shield: true });
    } catch (error) {
      w.violation(`a shielded cleanup threw ${describe(error)}`);
    }
  }
}

async function waitForTask(w: World, o: ScopeOp, ctx: Ctx, run: Run): Promise<void> {
  const task = w.adopt(createTask(w.tracked(() => run(o.body, copy(ctx)))));
  const cancelledAtEntry = cancelledHere();
  try {
    await waitFor(task, o.ms);
  } catch (error) {
    if (error instanceof TimeoutError) {
      w.check(task.cancelled(), 'waitFor(task): TimeoutError but the task was not cancelled');
      return;
    }
    throw error;
  } finally {
    if (!task.done()) {
      w.violation(
        cancelledAtEntry
          ? 'waitFor(task), called in a cancelled context, threw at once and left its task running, not cancelled'
          : 'waitFor(task): ended while its task still runs',
      );
    }
    w.orphans.add(task);
  }
}

async function shielded(w: World, body: readonly Op[], ctx: Ctx, run: Run): Promise<void> {
  const inner = w.tracked(() => run(body, copy(ctx)));
  const box: { task: Task | null } = { task: null };
  try {
    await shield((t: Task) => {
      box.task = t;
      w.shielded.add(t);
      return inner();
    });
  } finally {
    // A cancelled caller leaves the shielded task running: its outcome is awaited at the end.
    if (box.task !== null) w.orphans.add(box.task);
  }
}

type GroupOp = Extract<Op, { op: 'group' }>;

async function group(w: World, o: GroupOp, ctx: Ctx, run: Run): Promise<void> {
  const outer = contextProbe();
  // Set when a task of the group ended while the context around the group was
  // cancelled: that cancellation came before the group could decide its outcome.
  const seen = { outerCancelled: false, bodyReturned: false };
  const look = () => {
    if (outer()) seen.outerCancelled = true;
  };
  const kids: Task[] = [];
  let result: unknown;
  try {
    result = await taskGroup(async (tg) => {
      if (o.start !== null) {
        const [first, ...rest] = o.start;
        // The child runs its first operation, reports started, then runs the rest.
        const value = await tg.start<number>((status) => {
          kids.push(currentTask() as Task);
          return w.tracked(async () => {
            try {
              await run(first === undefined ? [] : [first], copy(ctx));
              status.started(7);
              await run(rest, copy(ctx));
            } finally {
              look();
            }
          })();
        });
        w.check(value === 7, `tg.start() resolved with ${String(value)}, not the started() value`);
      }
      for (const script of o.children) {
        const task = tg.spawn(
          w.tracked(async () => {
            try {
              await run(script, copy(ctx));
            } finally {
              look();
            }
          }),
        );
        kids.push(w.adopt(task));
      }
      try {
        await run(o.body, ctx);
      } catch (error) {
        if (isCancellation(error)) look();
        throw error;
      }
      if (o.cancel) tg.cancel();
      seen.bodyReturned = true;
      return 'body';
    });
  } finally {
    for (const t of kids) w.check(t.done(), `taskGroup ended before its task ${t.name} did`);
  }
  w.check(
    !seen.outerCancelled,
    'taskGroup returned normally although the scope around it was cancelled while its tasks ran: an outside cancellation was swallowed',
  );
  w.check(
    !seen.bodyReturned || result === 'body',
    `taskGroup returned ${String(result)}, not its body's value`,
  );
}

// The children of a combinator as task functions; `kids[i]` is child i's task once it runs.
function contestants(w: World, scripts: readonly (readonly Op[])[], ctx: Ctx, run: Run) {
  const kids: (Task | undefined)[] = [];
  const fns = scripts.map((script, i) =>
    w.tracked(async () => {
      kids[i] = currentTask();
      await run(script, copy(ctx));
      return 'ok';
    }),
  );
  return { kids, fns };
}

const running = (kids: readonly (Task | undefined)[]) =>
  kids.filter((t): t is Task => t !== undefined && !t.done());

async function gathered(
  w: World,
  o: Extract<Op, { op: 'gather' }>,
  ctx: Ctx,
  run: Run,
): Promise<void> {
  const { kids, fns } = contestants(w, o.children, ctx, run);
  try {
    const results = await gather(...fns, { returnExceptions: o.returnExceptions });
    w.check(
      results.length === fns.length,
      `gather: ${results.length} results for ${fns.length} inputs`,
    );
    results.forEach((r, i) => {
      const t = kids[i];
      if (!o.returnExceptions || (t !== undefined && w.endings.get(t) === 'returned')) {
        w.check(r === 'ok', `gather: result ${i} is ${r}, not its function's value`);
      }
    });
    for (const t of running(kids))
      w.violation(`gather resolved while its task ${t.name} still runs`);
  } catch (error) {
    // The errors after the first stay with their tasks (reported if nobody
    // retrieves them): the program retrieves them at the end.
    for (const t of kids) if (t !== undefined) w.orphans.add(t);
    if (!(error instanceof FuzzError)) throw error;
  }
}

async function waited(w: World, o: Extract<Op, { op: 'wait' }>, ctx: Ctx, run: Run): Promise<void> {
  const { kids, fns } = contestants(w, o.children, ctx, run);
  try {
    const { done, pending } = await wait(fns, {
      returnWhen: o.returnWhen,
      ...(o.timeout === null ? {} : { timeout: o.timeout }),
    });
    w.check(
      done.size + pending.size === fns.length,
      `wait: ${done.size} done + ${pending.size} pending for ${fns.length} inputs`,
    );
    for (const t of done) w.check(t.done(), `wait: ${t.name} reported done while it runs`);
    if (o.timeout === null && o.returnWhen === 'ALL_COMPLETED') {
      w.check(pending.size === 0, `wait(ALL_COMPLETED): ${pending.size} task(s) still pending`);
    }
    if (o.timeout === null && o.returnWhen === 'FIRST_COMPLETED') {
      w.check(done.size > 0, 'wait(FIRST_COMPLETED): returned with no task done');
    }
    for (const t of [...done, ...pending]) w.orphans.add(w.adopt(t));
  } finally {
    for (const t of kids) if (t !== undefined) w.orphans.add(t);
  }
}

async function completions(
  w: World,
  o: Extract<Op, { op: 'asCompleted' }>,
  ctx: Ctx,
  run: Run,
): Promise<void> {
  const { kids, fns } = contestants(w, o.children, ctx, run);
  const [firstFn, ...restFns] = fns;
  // With `dup`, the first input is a task made here and passed twice: asCompleted
  // does not own it (it must not cancel it) and must yield it once.
  const shared = o.dup && firstFn !== undefined ? w.adopt(createTask(firstFn)) : null;
  const inputs = shared === null ? fns : [shared, shared, ...restFns];
  let yields = 0;
  try {
    const it = asCompleted<string>(inputs, o.timeout === null ? undefined : { timeout: o.timeout });
    for await (const _ of it) {
      yields++;
      w.check(
        yields <= fns.length,
        `asCompleted yielded ${yields} results for ${fns.length} distinct tasks`,
      );
      if (o.leaveAfter !== null && yields > o.leaveAfter) break;
    }
  } catch (error) {
    if (!(error instanceof TimeoutError || error instanceof FuzzError)) throw error;
  } finally {
    for (const t of running(kids)) {
      if (t !== shared) w.violation(`asCompleted ended while its task ${t.name} still runs`);
    }
    // A task that failed and was not yielded keeps its error (reported if nobody
    // retrieves it): the program retrieves it at the end.
    for (const t of kids) if (t !== undefined) w.orphans.add(t);
    if (shared !== null) w.orphans.add(shared);
  }
}

async function raced(w: World, o: Extract<Op, { op: 'race' }>, ctx: Ctx, run: Run): Promise<void> {
  const { kids, fns } = contestants(w, o.children, ctx, run);
  try {
    const value = await race(fns);
    w.check(value === 'ok', `race resolved with ${value}, not a contestant's value`);
  } catch (error) {
    if (!(error instanceof FuzzError)) throw error;
  } finally {
    for (const t of running(kids))
      w.violation(`race settled while its contestant ${t.name} still runs`);
  }
}
