// The public surface, one snapshot per subpath (after Trio's test_exports.py):
// a change here is an API change and must be made on purpose.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const surface = async (specifier: string) =>
  Object.keys((await import(specifier)) as object).sort();

test('corio exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio'), [
    'ALL_COMPLETED',
    'Barrier',
    'BoundedSemaphore',
    'BrokenBarrierError',
    'BrokenResourceError',
    'CancelScope',
    'CancelledError',
    'CapacityLimiter',
    'ClosedResourceError',
    'Condition',
    'DeadlockError',
    'EndOfChannel',
    'Event',
    'EventLoop',
    'ExceptionGroup',
    'FIRST_COMPLETED',
    'FIRST_EXCEPTION',
    'Guard',
    'Handle',
    'InvalidStateError',
    'LifoQueue',
    'Lock',
    'PriorityQueue',
    'Queue',
    'QueueEmpty',
    'QueueFull',
    'QueueShutDown',
    'ReceiveChannel',
    'Semaphore',
    'SendChannel',
    'SystemClock',
    'Task',
    'TaskGroup',
    'TimeoutError',
    'TimerHandle',
    'WouldBlock',
    'allTasks',
    'asCompleted',
    'cancelScope',
    'checkpoint',
    'createTask',
    'currentEffectiveDeadline',
    'currentTask',
    'gather',
    'getRunningLoop',
    'isCancellation',
    'moveOnAfter',
    'moveOnAt',
    'openChannel',
    'race',
    'run',
    'shield',
    'sleep',
    'taskGroup',
    'timeout',
    'timeoutAt',
    'wait',
    'waitFor',
  ]);
});

test('corio/iter exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio/iter'), [
    'AsyncExitStack',
    'ContextManagerHandle',
    'Pool',
    'PoolLease',
    'RateLimiter',
    'SuppressedError',
    'asyncContextManager',
    'buffer',
    'chunk',
    'count',
    'drop',
    'enumerate',
    'exponentialBackoff',
    'filter',
    'flatMap',
    'forEach',
    'fromEvent',
    'map',
    'merge',
    'pipe',
    'range',
    'reduce',
    'retry',
    'take',
    'takeWhile',
    'tee',
    'throttle',
    'toArray',
    'zip',
  ]);
});

test('corio/testing exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio/testing'), [
    'NondeterminismError',
    'ScheduleFailure',
    'VirtualClock',
    'assertCheckpoints',
    'explore',
    'replaySchedule',
    'setDefaultClock',
    'waitAllTasksBlocked',
  ]);
});

test('corio/lowlevel exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio/lowlevel'), [
    'CLEAR_ON_ABORT',
    'CancelNode',
    'Nursery',
    'PROMISE_WAIT',
    'ParkingLot',
    'RESOLVED',
    'ScheduledStep',
    'Suspension',
    'UNABORTABLE',
    'awaitPromise',
    'cancelAndJoin',
    'cancelReasonOf',
    'cancelShieldedCheckpoint',
    'cancelTask',
    'checkpoint',
    'combineInstruments',
    'currentCancelNode',
    'currentLoop',
    'enterWait',
    'fail',
    'hostOf',
    'parentTaskOf',
    'park',
    'parkThen',
    'rejected',
    'resumed',
    'retrieveOutcome',
    'setDebugMode',
    'setDefaultClock',
    'setScheduler',
    'setTimer',
    'suspend',
    'taskError',
    'taskFailed',
    'taskOutcome',
    'taskStartTime',
    'tasksOf',
    'throwIfCancelled',
    'unwatchTask',
    'waitAllTasksBlocked',
    'waitsOf',
    'wake',
    'watchTask',
  ]);
});

test('internals are unreachable through the exports map', async () => {
  for (const deep of ['corio/src/core/task.ts', 'corio/dist/core/task.js', 'corio/core/task']) {
    await assert.rejects(import(deep), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }, deep);
  }
});

test('corio/trace exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio/trace'), [
    'Tracer',
    'combineInstruments',
    'dumpTaskTreeOn',
    'formatTaskTree',
    'printTaskTree',
    'taskTree',
    'toChromeTrace',
    'toHTML',
    'toLanes',
    'toMermaid',
    'trace',
  ]);
});

test('corio/node exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio/node'), [
    'BusyResourceError',
    'CalledProcessError',
    'DEFAULT_LIMIT',
    'IncompleteReadError',
    'LimitOverrunError',
    'Process',
    'Server',
    'StreamReader',
    'StreamWriter',
    'WorkerPool',
    'createSubprocessExec',
    'createSubprocessShell',
    'fetch',
    'lockstepStreamPair',
    'memoryStreamPair',
    'openConnection',
    'runProcess',
    'serveTcp',
    'startServer',
    'workerFunction',
  ]);
});

test('corio/node/worker exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio/node/worker'), ['checkCancelled', 'workerSignal']);
});

test('corio/redis exports exactly its public surface', async () => {
  assert.deepEqual(await surface('corio/redis'), [
    'Delivery',
    'LeaseLostError',
    'WorkQueue',
    'openWorkQueue',
  ]);
});

test('corio/redis is exported with its types and its sources, like every subpath', async () => {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, unknown>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };
  assert.deepEqual(pkg.exports['./redis'], {
    'corio-source': './src/redis/index.ts',
    types: './dist/redis/index.d.ts',
    default: './dist/redis/index.js',
  });
  assert.match(pkg.peerDependencies['@redis/client'] ?? '', /^\^6\./);
  assert.equal(pkg.peerDependenciesMeta['@redis/client']?.optional, true);
});
