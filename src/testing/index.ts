/**
 * `corio/testing`: deterministic time and helpers for tests.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { VirtualClock } from 'corio/testing';
 *
 * await run(() => sleep(60_000), { clock: new VirtualClock() });
 * console.log('a minute passed instantly');
 * // => a minute passed instantly
 * ```
 * @module corio/testing
 */
export { assertCheckpoints } from './assert-checkpoints.js';
export { setDefaultClock, waitAllTasksBlocked } from '../core/lowlevel.js';
export {
  type ExploreOptions,
  type ExploreReport,
  type ExploreStrategy,
  type ExploreTest,
  explore,
  type ReplayOptions,
  replaySchedule,
} from './explore.js';
export type { FailureKind, ScheduleStep } from './explore-run.js';
export type { Decision } from './schedule.js';
export { NondeterminismError, ScheduleFailure } from './schedule-failure.js';
export { VirtualClock, type VirtualClockOptions } from './virtual-clock.js';
