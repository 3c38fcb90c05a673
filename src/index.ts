/**
 * corio: the asyncio model for TypeScript, with structured concurrency, real
 * cancellation and deterministic time.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup, timeout } from 'corio';
 *
 * await run(async () => {
 *   await taskGroup(async (tg) => {
 *     tg.spawn(async () => { await sleep(20); console.log('slow'); });
 *     tg.spawn(async () => { await sleep(10); console.log('fast'); });
 *   });
 *   await timeout(1000, () => sleep(1));
 *   console.log('done');
 * });
 * // => fast
 * // => slow
 * // => done
 * ```
 * @module corio
 */
import { installDebugMode } from './trace/debug.js';

// Debug mode lives in corio/trace, above the kernel; run({ debug }) reaches it
// through the kernel's setDebugMode() hook, installed here once. (So the
// package root has a side effect: package.json's `sideEffects` names it.)
installDebugMode();

export {
  type CancelledErrorOptions,
  type CancelSource,
  CancelledError,
  DeadlockError,
  ExceptionGroup,
  InvalidStateError,
  isCancellation,
  TimeoutError,
  type TimeoutErrorOptions,
} from './errors.js';
export { type Clock, SystemClock } from './core/clock.js';
export {
  EventLoop,
  type ExceptionContext,
  type ExceptionHandler,
  getRunningLoop,
  type LoopStatistics,
} from './core/loop.js';
export { Handle, TimerHandle } from './core/timers.js';
export {
  CancelScope,
  type CancelScopeOptions,
  cancelScope,
  currentEffectiveDeadline,
} from './core/cancel-scope.js';
export { checkpoint, sleep } from './core/sleep.js';
export type { SignalOptions } from './core/suspend.js';
// The three names the one options type had before (#12), kept for compatibility.
// eslint-disable-next-line @typescript-eslint/no-deprecated
export type { SleepOptions } from './core/sleep.js';
// eslint-disable-next-line @typescript-eslint/no-deprecated
export type { WaitOptionsWithSignal } from './sync/event.js';
// eslint-disable-next-line @typescript-eslint/no-deprecated
export type { AcquireOptions } from './sync/lock.js';
export { type AwaitableOrFunction, shield } from './core/shield.js';
export { run, type RunOptions } from './core/run.js';
export {
  allTasks,
  createTask,
  currentTask,
  Task,
  type TaskFunction,
  type TaskOptions,
} from './core/task.js';
export { moveOnAfter, moveOnAt, type ScopeBody, timeout, timeoutAt } from './core/timeout.js';
export { waitFor } from './cancel/wait-for.js';
export { type SpawnOptions, TaskGroup, type TaskStatus, taskGroup } from './group/task-group.js';
export {
  type GatherInput,
  type GatherOptions,
  type GatherValue,
  type GatherValues,
  gather,
} from './group/gather.js';
export {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  type WaitOptions,
  type WaitResult,
  wait,
} from './group/wait.js';
export { type AsCompletedOptions, asCompleted } from './group/as-completed.js';
export { race } from './group/race.js';
export { Event, type EventStatistics } from './sync/event.js';
export { Guard } from './sync/guard.js';
export { Lock, type LockStatistics } from './sync/lock.js';
export { BoundedSemaphore, Semaphore, type SemaphoreStatistics } from './sync/semaphore.js';
export { CapacityLimiter, type CapacityLimiterStatistics } from './sync/capacity-limiter.js';
export { Condition, type ConditionStatistics } from './sync/condition.js';
export { Barrier, type BarrierStatistics, BrokenBarrierError } from './sync/barrier.js';
export {
  LifoQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  type QueueStatistics,
  type ShutdownOptions,
} from './queue/queue.js';
export { PriorityQueue, type PriorityQueueOptions } from './queue/priority-queue.js';
export {
  BrokenResourceError,
  type ChannelStatistics,
  ClosedResourceError,
  EndOfChannel,
  openChannel,
  ReceiveChannel,
  SendChannel,
  WouldBlock,
} from './queue/channel.js';
