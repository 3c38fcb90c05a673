/**
 * What the fuzzer checks of the world's primitives against its bookkeeping:
 * `quiescent()` the invariants that hold whenever every task is blocked (no
 * hand-off in flight), `atRest()` that, once every task has ended, each primitive
 * is back to no waiters and no holders and every item is accounted for.
 */
import type { World } from './world.js';

/** The invariants that hold whenever every task is blocked. */
export function quiescent(w: World): void {
  const c = w.config;
  const lock = w.lock.statistics();
  w.check(
    lock.locked === (w.lockHolders === 1),
    `Lock: locked=${lock.locked} but ${w.lockHolders} holder(s)`,
  );
  w.check(
    lock.locked || lock.tasksWaiting === 0,
    `Lock: free while ${lock.tasksWaiting} task(s) wait`,
  );

  const sem = w.sem.statistics();
  w.check(
    sem.value + w.semHolders === c.permits,
    `Semaphore: value ${sem.value} + ${w.semHolders} holder(s) != ${c.permits} permits`,
  );
  w.check(
    sem.value === 0 || sem.tasksWaiting === 0,
    `Semaphore: value ${sem.value} while ${sem.tasksWaiting} wait`,
  );

  const lim = w.limiter.statistics();
  w.check(
    lim.borrowedTokens === w.limiterHolders,
    `CapacityLimiter: ${lim.borrowedTokens} borrowed but ${w.limiterHolders} holder(s)`,
  );
  w.check(
    lim.borrowedTokens === c.tokens || lim.tasksWaiting === 0,
    `CapacityLimiter: ${lim.borrowedTokens}/${c.tokens} borrowed while ${lim.tasksWaiting} wait`,
  );

  const cond = w.cond.statistics();
  w.check(
    cond.lock.locked === (w.condHolders === 1),
    `Condition: locked=${cond.lock.locked} but ${w.condHolders} holder(s)`,
  );
  w.check(
    w.tokens === 0 || cond.tasksWaiting === 0 || cond.lock.locked,
    `Condition: ${cond.tasksWaiting} waiter(s) asleep while the predicate is true (${w.tokens} token(s)) and nobody holds the lock: a lost wake-up`,
  );

  const ev = w.event.statistics();
  w.check(!ev.isSet || ev.tasksWaiting === 0, `Event: set while ${ev.tasksWaiting} task(s) wait`);

  const bar = w.barrier.statistics();
  w.check(bar.nWaiting < c.parties, `Barrier: ${bar.nWaiting} waiting of ${c.parties} parties`);
  w.check(!bar.broken || bar.nWaiting === 0, `Barrier: broken while ${bar.nWaiting} wait`);

  queueInvariants(w);
  channelInvariants(w);
  poolInvariants(w);
}

function queueInvariants(w: World): void {
  const q = w.queue.statistics();
  if (q.maxsize > 0)
    w.check(q.size <= q.maxsize, `Queue: qsize() ${q.size} > maxsize ${q.maxsize}`);
  w.check(
    q.size === 0 || q.gettersWaiting === 0,
    `Queue: ${q.size} item(s) while ${q.gettersWaiting} getter(s) wait`,
  );
  w.check(
    w.queue.full() || q.puttersWaiting === 0,
    `Queue: not full while ${q.puttersWaiting} putter(s) wait`,
  );
  w.check(
    !q.shutdown || q.tasksWaiting === 0,
    `Queue: shut down while ${q.tasksWaiting} task(s) wait`,
  );
  w.check(
    !w.immediate || q.size === 0,
    `Queue: ${q.size} item(s) in the queue after shutdown({ immediate: true })`,
  );
  w.check(
    q.unfinishedTasks === q.size,
    `Queue: unfinishedTasks ${q.unfinishedTasks} but ${q.size} item(s) queued (each get is followed by taskDone)`,
  );
  for (const item of w.got)
    w.check(w.putOk.has(item), `Queue: ${item} was got but its put did not succeed`);
}

function channelInvariants(w: World): void {
  const ch = w.send.statistics();
  w.check(
    ch.currentBufferUsed <= ch.maxBufferSize,
    `Channel: ${ch.currentBufferUsed} value(s) buffered, capacity ${ch.maxBufferSize}`,
  );
  w.check(
    ch.currentBufferUsed === 0 || ch.tasksWaitingReceive === 0,
    `Channel: ${ch.currentBufferUsed} value(s) buffered while ${ch.tasksWaitingReceive} receiver(s) wait`,
  );
  w.check(
    ch.tasksWaitingSend === 0 || ch.tasksWaitingReceive === 0,
    `Channel: ${ch.tasksWaitingSend} sender(s) and ${ch.tasksWaitingReceive} receiver(s) wait at once`,
  );
  for (const v of w.received)
    w.check(w.sentOk.has(v), `Channel: ${v} was received but its send did not succeed`);
}

function poolInvariants(w: World): void {
  const p = w.pool.statistics();
  w.check(p.size <= p.max, `Pool: size ${p.size} > max ${p.max}`);
  w.check(p.inUse === w.lent.size, `Pool: inUse ${p.inUse} but ${w.lent.size} lease(s) held`);
  w.check(
    p.size === p.idle + p.inUse + w.creating + w.validating,
    `Pool: size ${p.size} != idle ${p.idle} + in use ${p.inUse} + creating ${w.creating} + validating ${w.validating}: a slot leaked`,
  );
  w.check(
    p.tasksWaiting === 0 || (p.size === p.max && p.idle === 0),
    `Pool: ${p.tasksWaiting} waiter(s) while size ${p.size}/${p.max} and ${p.idle} idle`,
  );
}

/** Once every task has ended: nothing waits, nothing is held, every item is accounted for. */
export function atRest(w: World): void {
  quiescent(w);
  const c = w.config;
  w.check(
    !w.lock.locked() && w.lock.statistics().tasksWaiting === 0,
    `Lock not at rest: ${String(w.lock)}`,
  );
  const sem = w.sem.statistics();
  w.check(
    sem.value === c.permits && sem.tasksWaiting === 0,
    `Semaphore not at rest: ${String(w.sem)}`,
  );
  const lim = w.limiter.statistics();
  w.check(
    lim.borrowedTokens === 0 && lim.tasksWaiting === 0,
    `CapacityLimiter not at rest: ${String(w.limiter)}`,
  );
  const cond = w.cond.statistics();
  w.check(!cond.lock.locked && cond.tasksWaiting === 0, `Condition not at rest: ${String(w.cond)}`);
  w.check(w.event.statistics().tasksWaiting === 0, `Event not at rest: ${String(w.event)}`);
  w.check(w.barrier.nWaiting === 0, `Barrier not at rest: ${String(w.barrier)}`);

  const q = w.queue.statistics();
  w.check(q.tasksWaiting === 0, `Queue not at rest: ${String(w.queue)}`);
  const lost = w.putOk.size - w.got.size - w.dropped - q.size;
  w.check(
    lost >= 0 && lost <= w.droppable,
    `Queue: ${w.putOk.size} item(s) put != ${w.got.size} got + ${w.dropped} dropped by shutdown + ${q.size} still queued${w.droppable > 0 ? ` (+ up to ${w.droppable} handed to getters then)` : ''}`,
  );

  const ch = w.send.statistics();
  w.check(ch.tasksWaiting === 0, `Channel not at rest: ${String(w.send)}`);
  w.check(
    w.sentOk.size === w.received.size + w.channelDropped + ch.currentBufferUsed,
    `Channel: ${w.sentOk.size} value(s) sent != ${w.received.size} received + ${w.channelDropped} dropped by close + ${ch.currentBufferUsed} buffered`,
  );

  const p = w.pool.statistics();
  w.check(
    p.inUse === 0 && p.tasksWaiting === 0 && p.size === p.idle,
    `Pool not at rest: ${JSON.stringify(p)}`,
  );
  const alive = w.created - w.destroyed.size;
  w.check(
    alive === p.idle,
    `Pool: ${alive} resource(s) created and not destroyed, but ${p.idle} idle: a resource leaked`,
  );
}
