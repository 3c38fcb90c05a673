/**
 * `setDefaultClock(factory)`: makes every `run()` that names no clock use
 * `factory()`, so a test can run a whole program (an example, a demo) in virtual
 * time without changing its code. `setDefaultClock(null)` restores the system
 * clock. Testing only: it changes every `run()` in the process.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep } from 'corio';
 * import { VirtualClock, setDefaultClock } from 'corio/testing';
 *
 * setDefaultClock(() => new VirtualClock());
 * await run(async () => {
 *   await sleep(60_000);
 *   console.log('a minute of virtual time:', getRunningLoop().time());
 * });
 * setDefaultClock(null);
 * // => a minute of virtual time: 60000
 * ```
 * @module
 */
import { checkFunction } from '../_internal/validate.js';
import type { Clock } from './clock.js';
import { _setDefaultClock } from './run.js';

/** Sets the clock factory for `run()` calls without a `clock`; `null` for the system clock. */
export function setDefaultClock(factory: (() => Clock) | null): void {
  if (factory !== null) checkFunction('setDefaultClock()', 'factory', factory);
  _setDefaultClock(factory);
}
