/**
 * The fuzzer's leaf operations on the primitives: acquire-hold-release on the
 * locks, semaphores and limiter, wait/notify on the condition, the event and the
 * barrier, put/get on the queue, send/receive/clone/close on the channel, and
 * loans from the pool. Each keeps the world's bookkeeping (holders, items in and
 * out) and checks what must hold at once (mutual exclusion, permit counts, no
 * item twice); a domain error the operation may legitimately meet (a full queue,
 * a closed channel, a broken barrier) ends the operation, anything else
 * propagates.
 */
import {
  BrokenBarrierError,
  BrokenResourceError,
  ClosedResourceError,
  EndOfChannel,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  type ReceiveChannel,
  type SendChannel,
  WouldBlock,
  checkpoint,
  sleep,
} from 'corio';
import type { Leaf } from './program.js';
import { FuzzError, type World } from './world.js';

/** What a script carries along: the channel ends its task uses (clones replace them). */
export interface Ctx {
  send: SendChannel<string>;
  recv: ReceiveChannel<string>;
}

type Opts = { signal: AbortSignal } | undefined;

export async function leaf(w: World, o: Leaf, ctx: Ctx, opts: Opts): Promise<void> {
  switch (o.op) {
    case 'sleep':
      return sleep(o.ms);
    case 'checkpoint':
      return checkpoint();
    case 'fail':
      throw new FuzzError('the fail operation');
    case 'lock':
    case 'sem':
    case 'limiter':
      return hold(w, o, opts);
    case 'condWait':
      return condWait(w, o, opts);
    case 'condNotify':
      return condNotify(w, o);
    case 'eventWait':
      await w.waitOn('event', () => w.event.wait(opts));
      return;
    case 'eventSet':
      w.event.set();
      w.handoff(o.then, 'event');
      return;
    case 'eventClear':
      w.event.clear();
      return;
    case 'barrierWait':
      try {
        const arrived = w.waitOn('barrier', () => w.barrier.wait(opts));
        // The last party wakes the others inside the call: cancel in that same step.
        w.handoff(o.then, 'barrier');
        await arrived;
      } catch (error) {
        if (!(error instanceof BrokenBarrierError)) throw error;
      }
      return;
    case 'barrierAbort':
      w.barrier.abort();
      return;
    case 'barrierReset':
      w.barrier.reset();
      return;
    case 'put':
      return put(w, o, opts);
    case 'putShutdown': {
      // The shutdown comes in the same step as the put's hand-off (and its cancellation).
      const done = put(w, { op: 'put', nowait: false, then: o.then, abortAt: null }, undefined);
      w.shutdownImmediately();
      return done;
    }
    case 'get':
      return get(w, o, opts);
    case 'shutdown':
      if (o.immediate) w.shutdownImmediately();
      else w.queue.shutdown();
      return;
    case 'join':
      await w.queue.join(opts);
      return;
    case 'send':
      return send(w, o, ctx, opts);
    case 'recvAll':
      return receiveAll(w, o, ctx);
    case 'recv':
      return receive(w, o, ctx, opts);
    case 'clone':
      try {
        if (o.end === 'send') ctx.send = ctx.send.clone();
        else ctx.recv = ctx.recv.clone();
      } catch (error) {
        if (!(error instanceof ClosedResourceError)) throw error;
      }
      return;
    case 'close':
      if (o.end === 'send') ctx.send.close();
      else {
        const s = ctx.recv.statistics();
        // Closing the last receive end discards the buffer.
        if (!ctx.recv.isClosed() && s.openReceiveChannels === 1) {
          w.channelDropped += s.currentBufferUsed;
        }
        ctx.recv.close();
      }
      return;
    case 'pool':
      return loan(w, o, opts);
    default:
      throw new Error(`not a primitive operation: ${o.op}`);
  }
}

type HoldOp = Extract<Leaf, { op: 'lock' | 'sem' | 'limiter' }>;

async function hold(w: World, o: HoldOp, opts: Opts): Promise<void> {
  const primitive = o.op === 'lock' ? w.lock : o.op === 'sem' ? w.sem : w.limiter;
  if (o.run) {
    // The release is run()'s own, when fn ends: the hand-off's cancellation
    // comes once run() has returned, by when the next waiter may have resumed.
    await w.waitOn(o.op, () => primitive.run(() => held(w, o), opts));
    w.handoff(o.then, o.op);
    return;
  }
  const guard = await w.waitOn(o.op, () => primitive.acquire(opts));
  try {
    await held(w, o);
  } finally {
    guard.release();
    w.handoff(o.then, o.op);
  }
}

// The critical section: counts the holders while it sleeps.
async function held(w: World, o: HoldOp): Promise<void> {
  const c = w.config;
  if (o.op === 'lock') w.check(++w.lockHolders === 1, 'Lock: two tasks hold the lock at once');
  else if (o.op === 'sem') {
    w.check(
      ++w.semHolders <= c.permits,
      `Semaphore: ${w.semHolders} holders of ${c.permits} permits`,
    );
  } else {
    w.check(
      ++w.limiterHolders <= c.tokens,
      `CapacityLimiter: ${w.limiterHolders} holders of ${c.tokens} tokens`,
    );
  }
  try {
    await sleep(o.hold);
  } finally {
    if (o.op === 'lock') w.lockHolders--;
    else if (o.op === 'sem') w.semHolders--;
    else w.limiterHolders--;
  }
}

// A consumer: takes a token once the predicate holds (asyncio's wait_for pattern).
async function condWait(w: World, o: Extract<Leaf, { op: 'condWait' }>, opts: Opts): Promise<void> {
  const guard = await w.cond.acquire(opts);
  w.check(++w.condHolders === 1, 'Condition: two tasks hold its lock at once');
  try {
    w.condHolders--;
    try {
      await w.waitOn('cond', () => w.cond.waitFor(() => w.tokens > 0, opts));
    } finally {
      // wait() takes the lock back before it returns or throws.
      w.check(++w.condHolders === 1, 'Condition: wait() ended without holding the lock alone');
    }
    w.tokens--;
  } finally {
    w.condHolders--;
    guard.release();
    w.handoff(o.then, 'cond');
  }
}

// A producer: holds the lock a while, adds a token and notifies, holds it a while more
// (so the notified waiter must wait to take the lock back: the window to cancel it in).
async function condNotify(w: World, o: Extract<Leaf, { op: 'condNotify' }>): Promise<void> {
  const guard = await w.cond.acquire();
  w.check(++w.condHolders === 1, 'Condition: two tasks hold its lock at once');
  try {
    await sleep(o.before);
    w.tokens++;
    if (o.all) w.cond.notifyAll();
    else w.cond.notify();
    w.handoff(o.then, 'cond');
    await sleep(o.after);
  } finally {
    w.condHolders--;
    guard.release();
  }
}

type Transfer = Extract<Leaf, { op: 'put' | 'get' | 'send' | 'recv' }>;

function checkQueueSize(w: World): void {
  const q = w.queue;
  if (q.maxsize > 0)
    w.check(q.qsize() <= q.maxsize, `Queue: qsize() ${q.qsize()} > maxsize ${q.maxsize}`);
}

async function put(w: World, o: Transfer, opts: Opts): Promise<void> {
  const item = w.item();
  w.putTried.add(item);
  try {
    if (o.nowait) {
      w.queue.putNowait(item);
      w.handoff(o.then, 'get');
    } else {
      const done = w.waitOn('put', () => w.queue.put(item, opts));
      // A put that does not wait hands its item to a waiting getter inside the
      // call: cancelling now hits that getter before it resumes.
      w.handoff(o.then, 'get');
      await done;
    }
  } catch (error) {
    if (error instanceof QueueFull || error instanceof QueueShutDown) return;
    throw error;
  }
  w.putOk.add(item);
  checkQueueSize(w);
}

async function get(w: World, o: Transfer, opts: Opts): Promise<void> {
  let item: string;
  try {
    if (o.nowait) {
      item = w.queue.getNowait();
      w.handoff(o.then, 'put');
    } else {
      const got = w.waitOn('get', () => w.queue.get(opts));
      w.handoff(o.then, 'put');
      item = await got;
    }
  } catch (error) {
    if (error instanceof QueueEmpty || error instanceof QueueShutDown) return;
    throw error;
  }
  w.check(w.putTried.has(item), `Queue: got ${item}, which nobody put`);
  w.check(!w.got.has(item), `Queue: ${item} was got twice`);
  w.got.add(item);
  w.queue.taskDone();
  checkQueueSize(w);
}

async function send(w: World, o: Transfer, ctx: Ctx, opts: Opts): Promise<void> {
  const value = w.item();
  w.sendTried.add(value);
  try {
    if (o.nowait) {
      ctx.send.sendNowait(value);
      w.handoff(o.then, 'recv');
    } else {
      const sent = w.waitOn('send', () => ctx.send.send(value, opts));
      w.handoff(o.then, 'recv');
      await sent;
    }
  } catch (error) {
    if (
      error instanceof WouldBlock ||
      error instanceof ClosedResourceError ||
      error instanceof BrokenResourceError
    ) {
      w.check(
        error.value === value,
        `Channel: a failed send's ${error.name} carries ${String(error.value)}, not ${value}`,
      );
      return;
    }
    throw error;
  }
  w.sentOk.add(value);
}

async function receive(w: World, o: Transfer, ctx: Ctx, opts: Opts): Promise<void> {
  let value: string;
  try {
    if (o.nowait) {
      value = ctx.recv.receiveNowait();
      w.handoff(o.then, 'send');
    } else {
      const received = w.waitOn('recv', () => ctx.recv.receive(opts));
      w.handoff(o.then, 'send');
      value = await received;
    }
  } catch (error) {
    if (
      error instanceof WouldBlock ||
      error instanceof EndOfChannel ||
      error instanceof ClosedResourceError
    ) {
      return;
    }
    throw error;
  }
  w.check(w.sendTried.has(value), `Channel: received ${value}, which nobody sent`);
  w.check(!w.received.has(value), `Channel: ${value} was received twice`);
  w.received.add(value);
}

// `for await` over the receive end: its own path through the channel (no `receive()`).
async function receiveAll(w: World, o: Extract<Leaf, { op: 'recvAll' }>, ctx: Ctx): Promise<void> {
  let n = 0;
  try {
    for await (const value of ctx.recv) {
      w.check(w.sendTried.has(value), `Channel: received ${value}, which nobody sent`);
      w.check(!w.received.has(value), `Channel: ${value} was received twice`);
      w.received.add(value);
      w.handoff(o.then, 'send');
      if (++n >= o.most) break;
    }
  } catch (error) {
    if (!(error instanceof ClosedResourceError)) throw error;
  }
}

/** Thrown by a `pool.use()` body to have the pool destroy the resource. */
class Discard extends Error {}

async function loan(w: World, o: Extract<Leaf, { op: 'pool' }>, opts: Opts): Promise<void> {
  const use = async (r: number) => {
    w.check(!w.lent.has(r), `Pool: resource ${r} lent to two tasks at once`);
    w.check(!w.destroyed.has(r), `Pool: resource ${r} lent after it was destroyed`);
    w.lent.add(r);
    try {
      await sleep(o.hold);
    } finally {
      w.lent.delete(r);
    }
  };
  if (o.use) {
    try {
      await w.waitOn('pool', () =>
        w.pool.use(async (r) => {
          await use(r);
          if (o.discard) throw new Discard();
        }, opts),
      );
    } catch (error) {
      if (!(error instanceof Discard)) throw error;
    } finally {
      w.handoff(o.then, 'pool');
    }
    return;
  }
  const lease = await w.waitOn('pool', () => w.pool.acquire(opts));
  try {
    await use(lease.value);
  } finally {
    w.handoff(o.then, 'pool');
    if (o.discard) await lease.discard();
    else lease.release();
  }
}
