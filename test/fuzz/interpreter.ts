/**
 * Runs one fuzz program in virtual time and returns what went wrong.
 *
 * The main task starts the workers, arms the timed cancellations and the
 * done-callback ones, then supervises: whenever every task is blocked it checks
 * the world's invariants, until the program's horizon; then it cancels whatever
 * still runs and gives it a grace period of virtual time to end (a task that does
 * not is a hang). Once all have ended it checks that every primitive is at rest,
 * that each task's outcome matches how its function ended, that no timer was
 * left behind, and, after `run()` returned, that the loop's exception handler
 * was never called (no error lost).
 *
 * Every cancellation point a leaf operation passes is checked too: it may throw
 * `CancelledError` only in a cancelled context (or for an aborted signal), and
 * then the next checkpoint must throw again (level-triggered cancellation).
 */
import {
  type ExceptionContext,
  ExceptionGroup,
  type Task,
  checkpoint,
  createTask,
  getRunningLoop,
  isCancellation,
  run,
  sleep,
} from 'corio';
import { VirtualClock, waitAllTasksBlocked } from 'corio/testing';
import * as cancelTree from '../../src/core/cancel-node.js';
import { describe } from './describe.js';
import { atRest, quiescent } from './invariants.js';
import { iterOp } from './iter-ops.js';
import { type Ctx, leaf } from './leaves.js';
import type { Leaf, Op, Program } from './program.js';
import { structural } from './structure.js';
import { FuzzError, World, cancelledHere } from './world.js';

/** Virtual ms after which the supervisor cancels whatever still runs. */
export const HORIZON = 150;
/** Virtual ms a cancelled program has to end before it counts as hung. */
export const GRACE = 500;

export interface Outcome {
  readonly violations: readonly string[];
}

async function runScript(w: World, ops: readonly Op[], ctx: Ctx): Promise<void> {
  for (const o of ops) await runOp(w, o, ctx);
}

async function runOp(w: World, o: Op, ctx: Ctx): Promise<void> {
  w.counter.ops++;
  const name = o.op === 'scope' ? o.how : o.op;
  w.log(`${name} starts`);
  try {
    switch (o.op) {
      case 'scope':
      case 'group':
      case 'gather':
      case 'wait':
      case 'asCompleted':
      case 'race':
        await structural(w, o, ctx, (ops, c) => runScript(w, ops, c));
        break;
      default:
        await leafOp(w, o, ctx);
    }
    w.log(`${name} ends`);
  } catch (error) {
    w.log(`${name} throws ${describe(error)}`);
    throw error;
  }
}

async function leafOp(w: World, o: Leaf, ctx: Ctx): Promise<void> {
  const opts = 'abortAt' in o ? w.signal(o.abortAt) : undefined;
  try {
    switch (o.op) {
      case 'map':
      case 'forEach':
      case 'merge':
      case 'pipeline':
      case 'buffer':
      case 'chunk':
        await iterOp(w, o);
        break;
      default:
        await leaf(w, o, ctx, opts);
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    const inCancelled = cancelledHere();
    if (!inCancelled && opts?.signal.aborted !== true) {
      w.violation(
        `${o.op}: ${describe(error)} though neither its task, its scope nor its signal was cancelled`,
      );
    }
    // Only the signal aborted: the script goes on.
    if (!inCancelled) return;
    await checkpoint().then(
      () => {
        w.violation(
          `${o.op}: a checkpoint after the cancellation returned: cancellation is not level-triggered`,
        );
      },
      () => {},
    );
    throw error;
  }
}

const expectedFailure = (error: unknown): boolean =>
  error instanceof FuzzError ||
  (error instanceof ExceptionGroup && error.errors.every(expectedFailure));

async function worker(w: World, script: readonly Op[], ctx: Ctx): Promise<void> {
  try {
    await runScript(w, script, ctx);
  } catch (error) {
    if (isCancellation(error)) throw error;
    if (!expectedFailure(error)) w.violation(`unexpected error: ${describe(error)}`);
  }
}

// The checkpoints' count of cancelled nodes in force (cancel-node.ts); absent in
// a revision older than the count, as `npm run fuzz:mutants -- --against` runs.
const cancelsInForce = (cancelTree as { cancelsInForce?: () => number }).cancelsInForce;

async function main(p: Program, w: World): Promise<void> {
  const loop = getRunningLoop();
  // Compared with the count at the end, not with 0: a program abandoned as hung
  // in this process leaves its nodes counted, and must not fail the next ones.
  const inForceBefore = cancelsInForce?.() ?? 0;
  const workers = p.workers.map((script, i) =>
    w.adopt(
      createTask(
        w.tracked(() => worker(w, script, { send: w.send, recv: w.recv })),
        { name: `w${i}`, eager: p.eager },
      ),
    ),
  );
  for (const c of p.cancels) {
    w.timers.push(
      loop.callAt(c.at, () => {
        if (c.scope) w.cancelScope(c.target);
        else w.cancelTask(c.target, `timed cancellation at ${c.at}`);
      }),
    );
  }
  for (const l of p.links) {
    (workers[l.from % workers.length] as Task).addDoneCallback(() => {
      w.cancelTask(l.to, 'cancelled from a done callback');
    });
  }
  const living = () => w.tasks.filter((t) => !t.done());
  while (loop.time() < HORIZON && living().length > 0 && w.violations.length === 0) {
    await waitAllTasksBlocked();
    quiescent(w);
    await sleep(1);
  }
  for (let alive = living(); alive.length > 0; alive = living()) {
    if (loop.time() >= HORIZON + GRACE) {
      w.violation(
        `hang: ${alive.map(String).join(', ')} still running ${GRACE} ms after being cancelled`,
      );
      return;
    }
    for (const t of alive) {
      w.cancelledDirectly.add(t);
      t.cancel('fuzz: the program is over');
    }
    await sleep(1);
  }
  for (const h of w.timers) h.cancel();
  for (const t of w.orphans) await Promise.resolve(t).catch(() => {});
  if (w.violations.length > 0) return;
  atRest(w);
  checkEndings(w);
  const stats = loop.statistics();
  w.check(stats.tasksLiving === 1, `${stats.tasksLiving - 1} task(s) still living at the end`);
  w.check(stats.timers === 0, `${stats.timers} timer(s) left behind`);
  // Nothing of this program is cancelled now: a count left higher would turn off
  // the checkpoints' fast path for good (cancel-node.ts), and a lower one would
  // break it.
  const inForce = cancelsInForce?.() ?? 0;
  w.check(
    inForce === inForceBefore,
    `${inForce - inForceBefore} cancelled node(s) still counted in force (${inForce}, ${inForceBefore} before the program)`,
  );
}

function checkEndings(w: World): void {
  for (const t of w.tasks) {
    const ending = w.endings.get(t);
    const cancelled = t.cancelled();
    if (ending === undefined) {
      w.check(cancelled, `${t.name} never ran its function yet did not end cancelled`);
    } else {
      w.check(
        cancelled === (ending === 'cancelled'),
        `${t.name}: its function ${ending === 'returned' ? 'returned' : ending === 'failed' ? 'threw an error' : 'threw CancelledError'} but the task reports cancelled() ${cancelled}`,
      );
    }
    if (w.shielded.has(t) && cancelled && !w.cancelledDirectly.has(t)) {
      w.violation(`${t.name} ran shielded yet ended cancelled though nobody cancelled it`);
    }
  }
}

/**
 * Runs `p` in virtual time. `counter.ops` counts the operations as they start,
 * so a caller that gives up on a hung program still knows how many ran.
 */
export async function execute(
  p: Program,
  signal: AbortSignal,
  counter: { ops: number },
  trace: ((line: string) => void) | null = null,
): Promise<Outcome> {
  const reports: ExceptionContext[] = [];
  let world: World | null = null;
  const violations: string[] = [];
  try {
    await run(
      () => {
        getRunningLoop().setExceptionHandler((context) => {
          reports.push(context);
        });
        world = new World(p.config, counter, trace);
        return main(p, world);
      },
      { clock: new VirtualClock(), signal },
    );
  } catch (error) {
    violations.push(`run() threw ${describe(error)}`);
  }
  const w = world as World | null;
  if (w !== null) violations.unshift(...w.violations);
  for (const r of reports) {
    violations.push(
      `the loop's exception handler was called: ${r.message}${r.error === undefined ? '' : `: ${describe(r.error)}`}`,
    );
  }
  return { violations };
}
