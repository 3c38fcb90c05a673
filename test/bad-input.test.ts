// Every public entry point, called with bad input (issue #11). The rule, from
// docs/design.md ("Errors and input"): an options argument is undefined or a
// plain object; an unknown key is a TypeError naming it (with a "did you mean"
// for a near miss); an option is absent, undefined or valid, never null; wrong
// types are TypeErrors and numbers out of range RangeErrors; every message names
// the function and the argument and shows the value. A sync API throws, an async
// one rejects at once. Each row asserts the exact class and an anchored message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Barrier,
  BoundedSemaphore,
  CancelScope,
  CapacityLimiter,
  Condition,
  Event,
  EventLoop,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  ReceiveChannel,
  Semaphore,
  SendChannel,
  TaskGroup,
  asCompleted,
  cancelScope,
  createTask,
  gather,
  getRunningLoop,
  moveOnAfter,
  moveOnAt,
  openChannel,
  race,
  run,
  shield,
  sleep,
  taskGroup,
  timeout,
  timeoutAt,
  wait,
  waitFor,
} from 'corio';
import {
  AsyncExitStack,
  ContextManagerHandle,
  Pool,
  PoolLease,
  RateLimiter,
  asyncContextManager,
  buffer,
  chunk,
  count,
  drop,
  enumerate,
  exponentialBackoff,
  filter,
  flatMap,
  forEach,
  fromEvent,
  map,
  merge,
  pipe,
  range,
  reduce,
  retry,
  take,
  takeWhile,
  tee,
  throttle,
  toArray,
  zip,
} from 'corio/iter';
import {
  NondeterminismError,
  ScheduleFailure,
  VirtualClock,
  assertCheckpoints,
  explore,
  replaySchedule,
  setDefaultClock,
} from 'corio/testing';
import {
  Tracer,
  combineInstruments,
  dumpTaskTreeOn,
  formatTaskTree,
  printTaskTree,
  taskTree,
  toChromeTrace,
  toHTML,
  toLanes,
  toMermaid,
  trace,
} from 'corio/trace';
import { Nursery, ParkingLot, setDebugMode, setScheduler } from 'corio/lowlevel';
import { Delivery, type NodeRedisClient, WorkQueue, openWorkQueue } from 'corio/redis';
import {
  Process,
  Server,
  StreamReader,
  StreamWriter,
  WorkerPool,
  createSubprocessExec,
  createSubprocessShell,
  fetch,
  lockstepStreamPair,
  memoryStreamPair,
  openConnection,
  runProcess,
  serveTcp,
  startServer,
  workerFunction,
} from 'corio/node';
import { vrun } from './_helpers.js';

type ErrorClass = typeof TypeError | typeof RangeError;
type Mode = 'sync' | 'async';

interface Case {
  readonly what: string;
  readonly call: () => unknown;
  readonly error: ErrorClass;
  readonly message: RegExp;
  readonly mode?: Mode;
}

interface Entry {
  /** The entry point, as messages name it: `map()`, `Lock.acquire()`. */
  readonly api: string;
  /** The export it belongs to (the class, for a constructor or method). */
  readonly covers: string;
  readonly mode: Mode;
  readonly cases: readonly Case[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (message: string): RegExp => new RegExp(`^${escape(message)}$`);

const bad = (
  what: string,
  call: () => unknown,
  error: ErrorClass,
  message: string | RegExp,
  mode?: Mode,
): Case => ({
  what,
  call,
  error,
  message: typeof message === 'string' ? exactly(message) : message,
  ...(mode === undefined ? {} : { mode }),
});

// What is not an options object, and how messages show it.
const NOT_OPTIONS: readonly (readonly [unknown, string])[] = [
  [[], 'an array'],
  [null, 'null'],
  [() => ({}), 'a function'],
  [5, '5'],
  ['fast', '"fast"'],
  [true, 'true'],
  [new Map(), 'a Map'],
];

const codeList = (names: readonly string[]): string => {
  const q = names.map((n) => `\`${n}\``);
  return q.length < 2 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1] ?? ''}`;
};

interface OptionSpec {
  readonly fn: string;
  readonly call: (options: unknown) => unknown;
  readonly names: readonly string[];
  /** A near miss of a known key: `[typo, meant]`. */
  readonly typo: readonly [string, string];
  /** Required keys, with valid values, merged under each bad options object. */
  readonly base?: Readonly<Record<string, unknown>>;
  readonly arg?: string;
}

/**
 * The rows every options argument gets: not an object (array, null, function,
 * primitive, class instance), missing when required, an unknown key, a typo'd
 * key, and null for each optional key.
 */
function options(spec: OptionSpec): Case[] {
  const arg = spec.arg ?? 'options';
  const required = Object.keys(spec.base ?? {});
  const needs = required.length === 0 ? '' : ` with ${codeList(required)}`;
  const shape = (value: unknown, shown: string): Case =>
    bad(
      `${arg} = ${shown}`,
      () => spec.call(value),
      TypeError,
      `${spec.fn}: \`${arg}\` must be an options object${needs}, got ${shown}`,
    );
  const cases = NOT_OPTIONS.map(([value, shown]) => shape(value, shown));
  if (required.length > 0) cases.push(shape(undefined, 'undefined'));
  const known =
    spec.names.length === 1
      ? `the only option is \`${spec.names[0] ?? ''}\``
      : `the options are ${codeList(spec.names)}`;
  cases.push(
    bad(
      'an unknown key',
      () => spec.call({ ...spec.base, xyzzy: 1 }),
      TypeError,
      `${spec.fn}: \`${arg}.xyzzy\` is not an option; ${known}`,
    ),
  );
  const [typo, meant] = spec.typo;
  cases.push(
    bad(
      `a typo (${typo})`,
      () => spec.call({ ...spec.base, [typo]: 1 }),
      TypeError,
      `${spec.fn}: \`${arg}.${typo}\` is not an option; did you mean \`${meant}\`?`,
    ),
  );
  for (const name of spec.names) {
    if (required.includes(name)) continue;
    cases.push(
      bad(
        `${name}: null`,
        () => spec.call({ ...spec.base, [name]: null }),
        TypeError,
        `${spec.fn}: \`${arg}.${name}\` must not be null; leave it out (or undefined) for the default`,
      ),
    );
  }
  return cases;
}

// `{ signal }`: the options of every waiting method of the primitives.
const signalOptions = (fn: string, call: (options: unknown) => unknown): Case[] => [
  ...options({ fn, call, names: ['signal'], typo: ['sigal', 'signal'] }),
  bad(
    'signal: "x"',
    () => call({ signal: 'x' }),
    TypeError,
    `${fn}: \`signal\` must be an AbortSignal, got "x"`,
  ),
];

const delay = (fn: string, arg: string, got: string): string =>
  `${fn}: \`${arg}\` must be a number >= 0 (Infinity for no limit), got ${got}`;
const loopTime = (fn: string, arg: string, got: string): string =>
  `${fn}: \`${arg}\` must be a loop time in ms (Infinity for none), got ${got}`;
const integer = (fn: string, arg: string, min: number, got: string): string =>
  `${fn}: \`${arg}\` must be an integer >= ${min}, got ${got}`;
// checkSize(): a count that may also be Infinity.
const size = (fn: string, arg: string, min: number, got: string): string =>
  `${fn}: \`${arg}\` must be an integer >= ${min} (Infinity for no limit), got ${got}`;
const fnArg = (fn: string, arg: string, got: string): string =>
  `${fn}: \`${arg}\` must be a function, got ${got}`;
const notSource = (fn: string, got: string): string =>
  `${fn}: \`source\` must be an iterable or async iterable, got ${got}`;
const internal = (cls: string, factory: string): string =>
  `new ${cls}(): the constructor is internal; use ${factory}`;

const f = (): number => 1;
const p = (): Promise<number> => Promise.resolve(1);
const closedGroup = async (): Promise<TaskGroup> => {
  let group: TaskGroup | undefined;
  await taskGroup((tg) => {
    group = tg;
  });
  return group as TaskGroup;
};
const event = (time: unknown = 0, kind: unknown = 'started'): unknown => ({
  kind,
  time,
  task: 1,
  name: 'main',
  detail: '',
  arg: 0,
});

const entries: Entry[] = [
  // ---- corio: core ----
  {
    api: 'sleep()',
    covers: 'sleep',
    mode: 'async',
    cases: [
      bad('ms = -5', () => sleep(-5), RangeError, delay('sleep()', 'ms', '-5')),
      bad('ms = NaN', () => sleep(Number.NaN), RangeError, delay('sleep()', 'ms', 'NaN')),
      bad('ms = "5"', () => sleep('5' as never), TypeError, delay('sleep()', 'ms', '"5"')),
      bad(
        'ms missing',
        () => (sleep as (ms?: number) => unknown)(),
        TypeError,
        delay('sleep()', 'ms', 'undefined'),
      ),
      bad('ms = null', () => sleep(null as never), TypeError, delay('sleep()', 'ms', 'null')),
      bad(
        'a signal as the options',
        () => sleep(1, 1, new AbortController().signal as never),
        TypeError,
        'sleep(): `options` must be an options object, got an AbortSignal',
      ),
      ...signalOptions('sleep()', (o) => sleep(1, 'v', o as never)),
    ],
  },
  {
    api: 'run()',
    covers: 'run',
    mode: 'async',
    cases: [
      bad('main = "main"', () => run('main' as never), TypeError, fnArg('run()', 'main', '"main"')),
      bad(
        'main missing',
        () => (run as (m?: unknown) => unknown)(),
        TypeError,
        fnArg('run()', 'main', 'undefined'),
      ),
      ...options({
        fn: 'run()',
        call: (o) => run(f, o as never),
        names: ['clock', 'name', 'signal', 'debug', 'trace'],
        typo: ['clok', 'clock'],
      }),
      bad(
        'name = 5',
        () => run(f, { name: 5 as never }),
        TypeError,
        'run(): `options.name` must be a string, got 5',
      ),
      bad(
        'signal = {}',
        () => run(f, { signal: {} as never }),
        TypeError,
        'run(): `signal` must be an AbortSignal, got an object',
      ),
      bad(
        'clock = {}',
        () => run(f, { clock: {} as never }),
        TypeError,
        'run(): `options.clock` must be a Clock, got an object',
      ),
      bad(
        'a clock without setAlarm',
        () => run(f, { clock: { now: () => 0 } as never }),
        TypeError,
        'run(): `options.clock` must be a Clock, got an object',
      ),
      bad(
        'clock = 5',
        () => run(f, { clock: 5 as never }),
        TypeError,
        'run(): `options.clock` must be a Clock, got 5',
      ),
      bad(
        'debug = "yes"',
        () => run(f, { debug: 'yes' as never }),
        TypeError,
        'run(): `options.debug` must be an options object, got "yes"',
      ),
      bad(
        'debug = []',
        () => run(f, { debug: [] as never }),
        TypeError,
        'run(): `options.debug` must be an options object, got an array',
      ),
      bad(
        'debug.slowCallbackMs = -1',
        () => run(f, { debug: { slowCallbackMs: -1 } }),
        RangeError,
        delay('run()', 'options.debug.slowCallbackMs', '-1'),
      ),
      bad(
        'debug.slowCallbackMs = null',
        () => run(f, { debug: { slowCallbackMs: null as never } }),
        TypeError,
        'run(): `options.debug.slowCallbackMs` must not be null; leave it out (or undefined) for the default',
      ),
      bad(
        'a typo in debug',
        () => run(f, { debug: { slowCallbakMs: 5 } as never }),
        TypeError,
        'run(): `options.debug.slowCallbakMs` is not an option; did you mean `slowCallbackMs`?',
      ),
      bad(
        'trace = 3',
        () => run(f, { trace: 3 as never }),
        TypeError,
        'run(): `options.trace` must be an Instrument (a Tracer), got 3',
      ),
      bad(
        'trace = [{}, 5]',
        () => run(f, { trace: [{}, 5] as never }),
        TypeError,
        'run(): `options.trace[1]` must be an Instrument (a Tracer), got 5',
      ),
      bad(
        'an instrument hook that is not a function',
        () => run(f, { trace: { taskStarted: 5 } as never }),
        TypeError,
        'run(): `options.trace.taskStarted` must be a function, got 5',
      ),
    ],
  },
  {
    api: 'createTask()',
    covers: 'createTask',
    mode: 'sync',
    cases: [
      bad('fn = 42', () => createTask(42 as never), TypeError, fnArg('createTask()', 'fn', '42')),
      ...options({
        fn: 'createTask()',
        call: (o) => createTask(f, o as never),
        names: ['name', 'eager'],
        typo: ['nmae', 'name'],
      }),
      bad(
        'name = 5',
        () => createTask(f, { name: 5 as never }),
        TypeError,
        'createTask(): `options.name` must be a string, got 5',
      ),
      bad(
        'eager = "yes"',
        () => createTask(f, { eager: 'yes' as never }),
        TypeError,
        'createTask(): `options.eager` must be a boolean, got "yes"',
      ),
    ],
  },
  {
    api: 'Task methods',
    covers: 'Task',
    mode: 'sync',
    cases: [
      bad(
        'cancel(5)',
        () => createTask(f).cancel(5 as never),
        TypeError,
        'Task.cancel(): `message` must be a string, got 5',
      ),
      bad(
        'addDoneCallback("x")',
        () => {
          createTask(f).addDoneCallback('x' as never);
        },
        TypeError,
        fnArg('Task.addDoneCallback()', 'callback', '"x"'),
      ),
      bad(
        'removeDoneCallback(5)',
        () => createTask(f).removeDoneCallback(5 as never),
        TypeError,
        fnArg('Task.removeDoneCallback()', 'callback', '5'),
      ),
    ],
  },
  {
    api: 'new CancelScope()',
    covers: 'CancelScope',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'new CancelScope()',
        call: (o) => new CancelScope(o as never),
        names: ['deadline', 'shield'],
        typo: ['dedline', 'deadline'],
      }),
      bad(
        'deadline = NaN',
        () => new CancelScope({ deadline: Number.NaN }),
        RangeError,
        loopTime('new CancelScope()', 'options.deadline', 'NaN'),
      ),
      bad(
        'deadline = "soon"',
        () => new CancelScope({ deadline: 'soon' as never }),
        TypeError,
        loopTime('new CancelScope()', 'options.deadline', '"soon"'),
      ),
      bad(
        'shield = "yes"',
        () => new CancelScope({ shield: 'yes' as never }),
        TypeError,
        'new CancelScope(): `options.shield` must be a boolean, got "yes"',
      ),
    ],
  },
  {
    api: 'CancelScope members',
    covers: 'CancelScope',
    mode: 'sync',
    cases: [
      bad(
        'run(5)',
        () => new CancelScope().run(5 as never),
        TypeError,
        fnArg('CancelScope.run()', 'fn', '5'),
        'async',
      ),
      bad(
        'cancel(5)',
        () => {
          new CancelScope().cancel(5 as never);
        },
        TypeError,
        'CancelScope.cancel(): `message` must be a string, got 5',
      ),
      bad(
        'deadline = NaN',
        () => {
          new CancelScope().deadline = Number.NaN;
        },
        RangeError,
        loopTime('CancelScope.deadline', 'deadline', 'NaN'),
      ),
      bad(
        'deadline = null',
        () => {
          new CancelScope().deadline = null as never;
        },
        TypeError,
        loopTime('CancelScope.deadline', 'deadline', 'null'),
      ),
      bad(
        'shield = "yes"',
        () => {
          new CancelScope().shield = 'yes' as never;
        },
        TypeError,
        'CancelScope.shield: `shield` must be a boolean, got "yes"',
      ),
      bad(
        'shield = undefined',
        () => {
          new CancelScope().shield = undefined as never;
        },
        TypeError,
        'CancelScope.shield: `shield` must be a boolean, got undefined',
      ),
    ],
  },
  {
    api: 'cancelScope()',
    covers: 'cancelScope',
    mode: 'async',
    cases: [
      bad('fn = 5', () => cancelScope(5 as never), TypeError, fnArg('cancelScope()', 'fn', '5')),
      ...options({
        fn: 'cancelScope()',
        call: (o) => cancelScope(f, o as never),
        names: ['deadline', 'shield'],
        typo: ['Deadline', 'deadline'],
      }),
      bad(
        'deadline = "soon"',
        () => cancelScope(f, { deadline: 'soon' as never }),
        TypeError,
        loopTime('cancelScope()', 'options.deadline', '"soon"'),
      ),
      bad(
        'shield = 1',
        () => cancelScope(f, { shield: 1 as never }),
        TypeError,
        'cancelScope(): `options.shield` must be a boolean, got 1',
      ),
    ],
  },
  {
    api: 'shield()',
    covers: 'shield',
    mode: 'async',
    cases: [
      bad(
        'work = 5',
        () => shield(5 as never),
        TypeError,
        'shield(): `work` must be a task, a promise or a function, got 5',
      ),
      bad(
        'work missing',
        () => (shield as () => unknown)(),
        TypeError,
        'shield(): `work` must be a task, a promise or a function, got undefined',
      ),
      bad(
        'work = null',
        () => shield(null as never),
        TypeError,
        'shield(): `work` must be a task, a promise or a function, got null',
      ),
    ],
  },
  // ---- corio: timeouts ----
  ...(
    [
      ['timeout()', timeout, delay, 'ms', -1, RangeError, '-1'],
      ['moveOnAfter()', moveOnAfter, delay, 'ms', -1, RangeError, '-1'],
      ['timeoutAt()', timeoutAt, loopTime, 'deadline', Number.NaN, RangeError, 'NaN'],
      ['moveOnAt()', moveOnAt, loopTime, 'deadline', Number.NaN, RangeError, 'NaN'],
    ] as const
  ).map(
    ([api, fn, must, arg, value, error, shown]): Entry => ({
      api,
      covers: api.replace('()', ''),
      mode: 'async',
      cases: [
        bad(`${arg} = ${shown}`, () => fn(value, f), error, must(api, arg, shown)),
        bad(`${arg} = "1"`, () => fn('1' as never, f), TypeError, must(api, arg, '"1"')),
        bad(`${arg} = null`, () => fn(null as never, f), TypeError, must(api, arg, 'null')),
        bad('fn = "x"', () => fn(1, 'x' as never), TypeError, fnArg(api, 'fn', '"x"')),
        bad(
          'fn missing',
          () => (fn as (n: number) => unknown)(1),
          TypeError,
          fnArg(api, 'fn', 'undefined'),
        ),
      ],
    }),
  ),
  {
    api: 'waitFor()',
    covers: 'waitFor',
    mode: 'async',
    cases: [
      bad('ms = -1', () => waitFor(p, -1), RangeError, delay('waitFor()', 'ms', '-1')),
      bad(
        'ms = "100"',
        () => waitFor(p, '100' as never),
        TypeError,
        delay('waitFor()', 'ms', '"100"'),
      ),
      bad(
        'ms missing',
        () => (waitFor as (w: unknown) => unknown)(p),
        TypeError,
        delay('waitFor()', 'ms', 'undefined'),
      ),
      bad(
        'work = 42',
        () => waitFor(42 as never, 1),
        TypeError,
        'waitFor(): `work` must be a task, a promise or a function, got 42',
      ),
    ],
  },
  // ---- corio: groups ----
  {
    api: 'taskGroup()',
    covers: 'taskGroup',
    mode: 'async',
    cases: [
      bad('body = 5', () => taskGroup(5 as never), TypeError, fnArg('taskGroup()', 'body', '5')),
      bad(
        'body missing',
        () => (taskGroup as () => unknown)(),
        TypeError,
        fnArg('taskGroup()', 'body', 'undefined'),
      ),
    ],
  },
  {
    api: 'TaskGroup.spawn()',
    covers: 'TaskGroup',
    mode: 'sync',
    cases: [
      // Bad input is reported before the group's state: a closed group will do.
      bad(
        'fn = "x"',
        () => closedGroup().then((tg) => tg.spawn('x' as never)),
        TypeError,
        fnArg('TaskGroup.spawn()', 'fn', '"x"'),
        'async',
      ),
      ...options({
        fn: 'TaskGroup.spawn()',
        call: (o) => closedGroup().then((tg) => tg.spawn(f, o as never)),
        names: ['name'],
        typo: ['nme', 'name'],
      }).map((c) => ({ ...c, mode: 'async' as const })),
      bad(
        'name = 5',
        () => closedGroup().then((tg) => tg.spawn(f, { name: 5 as never })),
        TypeError,
        'TaskGroup.spawn(): `options.name` must be a string, got 5',
        'async',
      ),
    ],
  },
  {
    api: 'TaskGroup.start()',
    covers: 'TaskGroup',
    mode: 'async',
    cases: [
      bad(
        'fn = 5',
        () => closedGroup().then((tg) => tg.start(5 as never)),
        TypeError,
        fnArg('TaskGroup.start()', 'fn', '5'),
      ),
      ...options({
        fn: 'TaskGroup.start()',
        call: (o) => closedGroup().then((tg) => tg.start(f, o as never)),
        names: ['name'],
        typo: ['Name', 'name'],
      }),
    ],
  },
  {
    api: 'TaskGroup members',
    covers: 'TaskGroup',
    mode: 'sync',
    cases: [
      bad(
        'cancel(5)',
        () =>
          closedGroup().then((tg) => {
            tg.cancel(5 as never);
          }),
        TypeError,
        'TaskGroup.cancel(): `message` must be a string, got 5',
        'async',
      ),
    ],
  },
  {
    api: 'gather()',
    covers: 'gather',
    mode: 'async',
    cases: [
      bad(
        'options = []',
        () => gather(f, [] as never),
        TypeError,
        'gather(): `options` must be an options object, got an array',
      ),
      bad(
        'options = a Map',
        () => gather(f, new Map() as never),
        TypeError,
        'gather(): `options` must be an options object, got a Map',
      ),
      bad(
        'returnExceptions = "yes"',
        () => gather(f, { returnExceptions: 'yes' as never }),
        TypeError,
        'gather(): `options.returnExceptions` must be a boolean, got "yes"',
      ),
      bad(
        'returnExceptions = null',
        () => gather(f, { returnExceptions: null as never }),
        TypeError,
        'gather(): `options.returnExceptions` must not be null; leave it out (or undefined) for the default',
      ),
      bad(
        'a typo',
        () => gather(f, { returnException: true } as never),
        TypeError,
        'gather(): `options.returnException` is not an option; did you mean `returnExceptions`?',
      ),
      bad(
        'an unknown key',
        () => gather(f, { xyzzy: 1 } as never),
        TypeError,
        'gather(): `options.xyzzy` is not an option; the only option is `returnExceptions`',
      ),
      bad(
        'an input = 5',
        () => gather(f, 5 as never),
        TypeError,
        'gather(): argument 1 must be a task, a promise or a function, got 5',
      ),
      bad(
        'an input = null',
        () => gather(null as never, f),
        TypeError,
        'gather(): argument 0 must be a task, a promise or a function, got null',
      ),
    ],
  },
  {
    api: 'wait()',
    covers: 'wait',
    mode: 'async',
    cases: [
      ...options({
        fn: 'wait()',
        call: (o) => wait([f], o as never),
        names: ['timeout', 'returnWhen'],
        typo: ['timout', 'timeout'],
      }),
      bad(
        'timeout = -1',
        () => wait([f], { timeout: -1 }),
        RangeError,
        delay('wait()', 'options.timeout', '-1'),
      ),
      bad(
        'returnWhen = "SOMETIMES"',
        () => wait([f], { returnWhen: 'SOMETIMES' as never }),
        RangeError,
        'wait(): `options.returnWhen` must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got "SOMETIMES"',
      ),
      bad(
        'returnWhen = 5',
        () => wait([f], { returnWhen: 5 as never }),
        TypeError,
        'wait(): `options.returnWhen` must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got 5',
      ),
      bad('aws = []', () => wait([]), RangeError, 'wait(): `aws` must not be empty'),
      bad(
        'aws = 5',
        () => wait(5 as never),
        TypeError,
        'wait(): `aws` must be an iterable of tasks, promises or functions, got 5',
      ),
      bad(
        'aws = [5]',
        () => wait([5 as never]),
        TypeError,
        'wait(): each of `aws` must be a task, a promise or a function, got 5',
      ),
    ],
  },
  {
    api: 'asCompleted()',
    covers: 'asCompleted',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'asCompleted()',
        call: (o) => asCompleted([f], o as never),
        names: ['timeout'],
        typo: ['timeuot', 'timeout'],
      }),
      bad(
        'timeout = -1',
        () => asCompleted([f], { timeout: -1 }),
        RangeError,
        delay('asCompleted()', 'options.timeout', '-1'),
      ),
      bad(
        'aws = 5',
        () => asCompleted(5 as never),
        TypeError,
        'asCompleted(): `aws` must be an iterable of tasks, promises or functions, got 5',
      ),
      bad(
        'aws = [5]',
        () => asCompleted([5 as never]),
        TypeError,
        'asCompleted(): each of `aws` must be a task, a promise or a function, got 5',
      ),
    ],
  },
  {
    api: 'race()',
    covers: 'race',
    mode: 'async',
    cases: [
      bad(
        'fns = 5',
        () => race(5 as never),
        TypeError,
        'race(): `fns` must be an iterable of functions, got 5',
      ),
      bad('fns = []', () => race([]), RangeError, 'race(): `fns` must hold at least one function'),
      bad(
        'fns[1] = "x"',
        () => race([f, 'x' as never]),
        TypeError,
        'race(): `fns[1]` must be a function, got "x"',
      ),
    ],
  },
  // ---- corio: synchronisation ----
  {
    api: 'Event.wait()',
    covers: 'Event',
    mode: 'async',
    cases: signalOptions('Event.wait()', (o) => new Event().wait(o as never)),
  },
  {
    api: 'Lock.acquire()',
    covers: 'Lock',
    mode: 'async',
    cases: signalOptions('Lock.acquire()', (o) => new Lock().acquire(o as never)),
  },
  {
    api: 'Lock.run()',
    covers: 'Lock',
    mode: 'async',
    cases: [
      bad(
        'fn = "x"',
        () => new Lock().run('x' as never),
        TypeError,
        fnArg('Lock.run()', 'fn', '"x"'),
      ),
      ...signalOptions('Lock.run()', (o) => new Lock().run(f, o as never)),
    ],
  },
  {
    api: 'new Semaphore()',
    covers: 'Semaphore',
    mode: 'sync',
    cases: [
      bad(
        'value = -1',
        () => new Semaphore(-1),
        RangeError,
        integer('new Semaphore()', 'value', 0, '-1'),
      ),
      bad(
        'value = 1.5',
        () => new Semaphore(1.5),
        RangeError,
        integer('new Semaphore()', 'value', 0, '1.5'),
      ),
      bad(
        'value = "2"',
        () => new Semaphore('2' as never),
        TypeError,
        integer('new Semaphore()', 'value', 0, '"2"'),
      ),
      bad(
        'value = null',
        () => new Semaphore(null as never),
        TypeError,
        integer('new Semaphore()', 'value', 0, 'null'),
      ),
    ],
  },
  {
    api: 'Semaphore.acquire()',
    covers: 'Semaphore',
    mode: 'async',
    cases: signalOptions('Semaphore.acquire()', (o) => new Semaphore().acquire(o as never)),
  },
  {
    api: 'Semaphore.run()',
    covers: 'Semaphore',
    mode: 'async',
    cases: [
      bad(
        'fn = 5',
        () => new Semaphore().run(5 as never),
        TypeError,
        fnArg('Semaphore.run()', 'fn', '5'),
      ),
      ...signalOptions('Semaphore.run()', (o) => new Semaphore().run(f, o as never)),
    ],
  },
  {
    api: 'BoundedSemaphore',
    covers: 'BoundedSemaphore',
    mode: 'async',
    cases: [
      bad(
        'value = 1.5',
        () => new BoundedSemaphore(1.5),
        RangeError,
        integer('new BoundedSemaphore()', 'value', 0, '1.5'),
        'sync',
      ),
      ...signalOptions('BoundedSemaphore.acquire()', (o) =>
        new BoundedSemaphore().acquire(o as never),
      ),
    ],
  },
  {
    api: 'new CapacityLimiter()',
    covers: 'CapacityLimiter',
    mode: 'sync',
    cases: [
      bad(
        'totalTokens = 0',
        () => new CapacityLimiter(0),
        RangeError,
        size('new CapacityLimiter()', 'totalTokens', 1, '0'),
      ),
      bad(
        'totalTokens missing',
        () => new (CapacityLimiter as unknown as new () => unknown)(),
        TypeError,
        size('new CapacityLimiter()', 'totalTokens', 1, 'undefined'),
      ),
      bad(
        'totalTokens = "1"',
        () => new CapacityLimiter('1' as never),
        TypeError,
        size('new CapacityLimiter()', 'totalTokens', 1, '"1"'),
      ),
      bad(
        'totalTokens = 0 (setter)',
        () => {
          new CapacityLimiter(1).totalTokens = 0;
        },
        RangeError,
        size('CapacityLimiter.totalTokens', 'totalTokens', 1, '0'),
      ),
    ],
  },
  {
    api: 'CapacityLimiter methods',
    covers: 'CapacityLimiter',
    mode: 'async',
    cases: [
      ...signalOptions('CapacityLimiter.acquire()', (o) =>
        new CapacityLimiter(1).acquire(o as never),
      ),
      ...signalOptions('CapacityLimiter.acquireOnBehalfOf()', (o) =>
        new CapacityLimiter(1).acquireOnBehalfOf('b', o as never),
      ),
      bad(
        'run(5)',
        () => new CapacityLimiter(1).run(5 as never),
        TypeError,
        fnArg('CapacityLimiter.run()', 'fn', '5'),
      ),
      ...signalOptions('CapacityLimiter.run()', (o) => new CapacityLimiter(1).run(f, o as never)),
    ],
  },
  {
    api: 'Condition',
    covers: 'Condition',
    mode: 'async',
    cases: [
      bad(
        'new Condition("not a lock")',
        () => new Condition('not a lock' as never),
        TypeError,
        'new Condition(): `lock` must be a Lock, got "not a lock"',
        'sync',
      ),
      ...signalOptions('Condition.acquire()', (o) => new Condition().acquire(o as never)),
      bad(
        'run(5)',
        () => new Condition().run(5 as never),
        TypeError,
        fnArg('Condition.run()', 'fn', '5'),
      ),
      ...signalOptions('Condition.run()', (o) => new Condition().run(f, o as never)),
      ...signalOptions('Condition.wait()', (o) => new Condition().wait(o as never)),
      bad(
        'waitFor(5)',
        () => new Condition().waitFor(5 as never),
        TypeError,
        fnArg('Condition.waitFor()', 'predicate', '5'),
      ),
      ...signalOptions('Condition.waitFor()', (o) =>
        new Condition().waitFor(() => true, o as never),
      ),
      bad(
        'notify(-1)',
        () => {
          new Condition().notify(-1);
        },
        RangeError,
        integer('Condition.notify()', 'n', 0, '-1'),
        'sync',
      ),
      bad(
        'notify("1")',
        () => {
          new Condition().notify('1' as never);
        },
        TypeError,
        integer('Condition.notify()', 'n', 0, '"1"'),
        'sync',
      ),
    ],
  },
  {
    api: 'Barrier',
    covers: 'Barrier',
    mode: 'async',
    cases: [
      bad(
        'parties = 0',
        () => new Barrier(0),
        RangeError,
        integer('new Barrier()', 'parties', 1, '0'),
        'sync',
      ),
      bad(
        'parties missing',
        () => new (Barrier as unknown as new () => unknown)(),
        TypeError,
        integer('new Barrier()', 'parties', 1, 'undefined'),
        'sync',
      ),
      ...signalOptions('Barrier.wait()', (o) => new Barrier(1).wait(o as never)),
    ],
  },
  // ---- corio: queues and channels ----
  {
    api: 'Queue',
    covers: 'Queue',
    mode: 'async',
    cases: [
      bad(
        'maxsize = -1',
        () => new Queue(-1),
        RangeError,
        size('new Queue()', 'maxsize', 0, '-1'),
        'sync',
      ),
      bad(
        'maxsize = "10"',
        () => new Queue('10' as never),
        TypeError,
        size('new Queue()', 'maxsize', 0, '"10"'),
        'sync',
      ),
      ...signalOptions('Queue.put()', (o) => new Queue(1).put(1, o as never)),
      ...signalOptions('Queue.get()', (o) => {
        const q = new Queue<number>();
        q.putNowait(1);
        return q.get(o as never);
      }),
      ...signalOptions('Queue.join()', (o) => new Queue().join(o as never)),
      ...options({
        fn: 'Queue.shutdown()',
        call: (o) => {
          new Queue().shutdown(o as never);
        },
        names: ['immediate'],
        typo: ['immediat', 'immediate'],
      }).map((c) => ({ ...c, mode: 'sync' as const })),
      bad(
        'shutdown({ immediate: "yes" })',
        () => {
          new Queue().shutdown({ immediate: 'yes' as never });
        },
        TypeError,
        'Queue.shutdown(): `options.immediate` must be a boolean, got "yes"',
        'sync',
      ),
    ],
  },
  {
    api: 'LifoQueue',
    covers: 'LifoQueue',
    mode: 'async',
    cases: [
      bad(
        'maxsize = 0.5',
        () => new LifoQueue(0.5),
        RangeError,
        size('new LifoQueue()', 'maxsize', 0, '0.5'),
        'sync',
      ),
      ...signalOptions('LifoQueue.put()', (o) => new LifoQueue(1).put(1, o as never)),
    ],
  },
  {
    api: 'new PriorityQueue()',
    covers: 'PriorityQueue',
    mode: 'sync',
    cases: [
      bad(
        'maxsize = -1',
        () => new PriorityQueue(-1),
        RangeError,
        size('new PriorityQueue()', 'maxsize', 0, '-1'),
      ),
      ...options({
        fn: 'new PriorityQueue()',
        call: (o) => new PriorityQueue(0, o as never),
        names: ['compare'],
        typo: ['compar', 'compare'],
      }),
      bad(
        'compare = "desc"',
        () => new PriorityQueue(0, { compare: 'desc' as never }),
        TypeError,
        fnArg('new PriorityQueue()', 'options.compare', '"desc"'),
      ),
    ],
  },
  {
    api: 'openChannel()',
    covers: 'openChannel',
    mode: 'sync',
    cases: [
      bad(
        'capacity = -1',
        () => openChannel(-1),
        RangeError,
        size('openChannel()', 'capacity', 0, '-1'),
      ),
      bad(
        'capacity missing',
        () => (openChannel as () => unknown)(),
        TypeError,
        size('openChannel()', 'capacity', 0, 'undefined'),
      ),
      bad(
        'capacity = "1"',
        () => openChannel('1' as never),
        TypeError,
        size('openChannel()', 'capacity', 0, '"1"'),
      ),
    ],
  },
  {
    api: 'SendChannel',
    covers: 'SendChannel',
    mode: 'async',
    cases: [
      ...signalOptions('SendChannel.send()', (o) => openChannel<number>(1)[0].send(1, o as never)),
      bad(
        'new SendChannel()',
        () => new (SendChannel as unknown as new () => unknown)(),
        TypeError,
        internal('SendChannel', 'openChannel()'),
        'sync',
      ),
    ],
  },
  {
    api: 'ReceiveChannel',
    covers: 'ReceiveChannel',
    mode: 'async',
    cases: [
      ...signalOptions('ReceiveChannel.receive()', (o) => {
        const [send, receive] = openChannel<number>(1);
        send.sendNowait(1);
        return receive.receive(o as never);
      }),
      bad(
        'new ReceiveChannel(5)',
        () => new (ReceiveChannel as unknown as new (s: unknown) => unknown)(5),
        TypeError,
        internal('ReceiveChannel', 'openChannel()'),
        'sync',
      ),
    ],
  },
  // ---- corio: the loop ----
  {
    api: 'EventLoop',
    covers: 'EventLoop',
    mode: 'sync',
    cases: [
      bad(
        'new EventLoop({})',
        () => new EventLoop({} as never),
        TypeError,
        'new EventLoop(): `clock` must be a Clock, got an object',
      ),
      bad(
        'new EventLoop(5)',
        () => new EventLoop(5 as never),
        TypeError,
        'new EventLoop(): `clock` must be a Clock, got 5',
      ),
      bad(
        'callSoon(null)',
        () => getRunningLoop().callSoon(null as never),
        TypeError,
        fnArg('EventLoop.callSoon()', 'callback', 'null'),
      ),
      bad(
        'callLater(-1, f)',
        () => getRunningLoop().callLater(-1, f),
        RangeError,
        delay('EventLoop.callLater()', 'ms', '-1'),
      ),
      bad(
        'callLater("1", f)',
        () => getRunningLoop().callLater('1' as never, f),
        TypeError,
        delay('EventLoop.callLater()', 'ms', '"1"'),
      ),
      bad(
        'callLater(1, 5)',
        () => getRunningLoop().callLater(1, 5 as never),
        TypeError,
        fnArg('EventLoop.callLater()', 'callback', '5'),
      ),
      bad(
        'callAt(NaN, f)',
        () => getRunningLoop().callAt(Number.NaN, f),
        RangeError,
        loopTime('EventLoop.callAt()', 'when', 'NaN'),
      ),
      bad(
        'callAt(0, "x")',
        () => getRunningLoop().callAt(0, 'x' as never),
        TypeError,
        fnArg('EventLoop.callAt()', 'callback', '"x"'),
      ),
      bad(
        'setExceptionHandler(5)',
        () => {
          getRunningLoop().setExceptionHandler(5 as never);
        },
        TypeError,
        fnArg('EventLoop.setExceptionHandler()', 'handler', '5'),
      ),
      bad(
        'callExceptionHandler(5)',
        () => {
          getRunningLoop().callExceptionHandler(5 as never);
        },
        TypeError,
        'EventLoop.callExceptionHandler(): `context` must be an ExceptionContext, got 5',
      ),
      bad(
        'callExceptionHandler({})',
        () => {
          getRunningLoop().callExceptionHandler({} as never);
        },
        TypeError,
        'EventLoop.callExceptionHandler(): `context.message` must be a string, got undefined',
      ),
    ],
  },
  // ---- corio/iter ----
  {
    api: 'chunk()',
    covers: 'chunk',
    mode: 'sync',
    cases: [
      bad('n = 0', () => chunk(0), RangeError, integer('chunk()', 'n', 1, '0')),
      bad('n = "2"', () => chunk('2' as never), TypeError, integer('chunk()', 'n', 1, '"2"')),
      ...options({
        fn: 'chunk()',
        call: (o) => chunk(2, o as never),
        names: ['within'],
        typo: ['witin', 'within'],
      }),
      bad(
        'within = -1',
        () => chunk(2, { within: -1 }),
        RangeError,
        delay('chunk()', 'options.within', '-1'),
      ),
      bad('a source = 5', () => chunk(2)(5 as never), TypeError, notSource('chunk()', '5')),
    ],
  },
  {
    api: 'buffer()',
    covers: 'buffer',
    mode: 'sync',
    cases: [
      bad('n = 0', () => buffer(0), RangeError, size('buffer()', 'n', 1, '0')),
      bad(
        'n missing',
        () => (buffer as () => unknown)(),
        TypeError,
        size('buffer()', 'n', 1, 'undefined'),
      ),
      bad('a source = 5', () => buffer(1)(5 as never), TypeError, notSource('buffer()', '5')),
    ],
  },
  {
    api: 'merge()',
    covers: 'merge',
    mode: 'sync',
    cases: [
      bad('a source = 5', () => merge(5 as never), TypeError, notSource('merge()', '5')),
      bad(
        'a source = "abc"',
        () => merge([1], 'abc' as never),
        TypeError,
        notSource('merge()', '"abc"'),
      ),
    ],
  },
  {
    api: 'zip()',
    covers: 'zip',
    mode: 'sync',
    cases: [
      bad('a source = null', () => zip([1], null as never), TypeError, notSource('zip()', 'null')),
    ],
  },
  {
    api: 'forEach()',
    covers: 'forEach',
    mode: 'async',
    cases: [
      bad('fn = "x"', () => forEach([1], 'x' as never), TypeError, fnArg('forEach()', 'fn', '"x"')),
      bad('source = 5', () => forEach(5 as never, f), TypeError, notSource('forEach()', '5')),
      ...options({
        fn: 'forEach()',
        call: (o) => forEach([1], f, o as never),
        names: ['concurrency'],
        typo: ['concurency', 'concurrency'],
      }),
      bad(
        'concurrency = 0',
        () => forEach([1], f, { concurrency: 0 }),
        RangeError,
        size('forEach()', 'options.concurrency', 1, '0'),
      ),
    ],
  },
  {
    api: 'reduce()',
    covers: 'reduce',
    mode: 'async',
    cases: [
      bad('source = 5', () => reduce(5 as never, f, 0), TypeError, notSource('reduce()', '5')),
      bad(
        'reducer = "x"',
        () => reduce([1], 'x' as never, 0),
        TypeError,
        fnArg('reduce()', 'reducer', '"x"'),
      ),
    ],
  },
  {
    api: 'toArray()',
    covers: 'toArray',
    mode: 'async',
    cases: [bad('source = 5', () => toArray(5 as never), TypeError, notSource('toArray()', '5'))],
  },
  {
    api: 'AsyncExitStack',
    covers: 'AsyncExitStack',
    mode: 'sync',
    cases: [
      bad(
        'enter(5)',
        () => new AsyncExitStack().enter(5),
        TypeError,
        'AsyncExitStack.enter(): `resource` must be disposable (Symbol.asyncDispose or Symbol.dispose), got 5',
        'async',
      ),
      bad(
        'push({})',
        () => new AsyncExitStack().push({} as never),
        TypeError,
        'AsyncExitStack.push(): `resource` must be disposable (Symbol.asyncDispose or Symbol.dispose), got an object',
      ),
      bad(
        'callback(5)',
        () => {
          new AsyncExitStack().callback(5 as never);
        },
        TypeError,
        fnArg('AsyncExitStack.callback()', 'fn', '5'),
      ),
    ],
  },
  {
    api: 'asyncContextManager()',
    covers: 'asyncContextManager',
    mode: 'sync',
    cases: [
      bad(
        'genFn = 5',
        () => asyncContextManager(5 as never),
        TypeError,
        fnArg('asyncContextManager()', 'genFn', '5'),
      ),
      bad(
        'genFn not a generator function',
        () => asyncContextManager((() => Promise.resolve(5)) as never)(),
        TypeError,
        'asyncContextManager(): `genFn` must be an async generator function; it returned a Promise',
        'async',
      ),
    ],
  },
  {
    api: 'ContextManagerHandle',
    covers: 'ContextManagerHandle',
    mode: 'sync',
    cases: [
      bad(
        'new ContextManagerHandle(1, 2)',
        () =>
          new (ContextManagerHandle as unknown as new (v: unknown, g: unknown) => unknown)(1, 2),
        TypeError,
        internal('ContextManagerHandle', 'a function made by asyncContextManager()'),
      ),
    ],
  },
  {
    api: 'drop()',
    covers: 'drop',
    mode: 'sync',
    cases: [
      bad('drop(-1)', () => drop(-1), RangeError, integer('drop()', 'n', 0, '-1')),
      bad('drop(1.5)', () => drop(1.5), RangeError, integer('drop()', 'n', 0, '1.5')),
      bad('drop("1")', () => drop('1' as never), TypeError, integer('drop()', 'n', 0, '"1"')),
      bad('drop(1)(5)', () => drop(1)(5 as never), TypeError, notSource('drop()', '5')),
    ],
  },
  {
    api: 'take()',
    covers: 'take',
    mode: 'sync',
    cases: [
      bad('take(-1)', () => take(-1), RangeError, integer('take()', 'n', 0, '-1')),
      bad('take("1")', () => take('1' as never), TypeError, integer('take()', 'n', 0, '"1"')),
      bad('take(1)(null)', () => take(1)(null as never), TypeError, notSource('take()', 'null')),
    ],
  },
  {
    api: 'enumerate()',
    covers: 'enumerate',
    mode: 'sync',
    cases: [
      bad(
        'start = "0"',
        () => enumerate('0' as never),
        TypeError,
        'enumerate(): `start` must be a finite number, got "0"',
      ),
      bad(
        'start = Infinity',
        () => enumerate(Infinity),
        RangeError,
        'enumerate(): `start` must be a finite number, got Infinity',
      ),
      bad(
        'start = NaN',
        () => enumerate(Number.NaN),
        RangeError,
        'enumerate(): `start` must be a finite number, got NaN',
      ),
    ],
  },
  {
    api: 'filter()',
    covers: 'filter',
    mode: 'sync',
    cases: [
      bad(
        'predicate = "x"',
        () => filter('x' as never),
        TypeError,
        fnArg('filter()', 'predicate', '"x"'),
      ),
      bad('a source = 5', () => filter(f)(5 as never), TypeError, notSource('filter()', '5')),
    ],
  },
  {
    api: 'takeWhile()',
    covers: 'takeWhile',
    mode: 'sync',
    cases: [
      bad(
        'predicate = 5',
        () => takeWhile(5 as never),
        TypeError,
        fnArg('takeWhile()', 'predicate', '5'),
      ),
    ],
  },
  {
    api: 'fromEvent()',
    covers: 'fromEvent',
    mode: 'sync',
    cases: [
      bad(
        'target = {}',
        () => fromEvent({} as never, 'x'),
        TypeError,
        'fromEvent(): `target` must be an EventEmitter or an EventTarget, got an object',
      ),
      bad(
        'name missing',
        () => (fromEvent as (t: unknown) => unknown)(new EventTarget()),
        TypeError,
        'fromEvent(): `name` must be a string, got undefined',
      ),
      bad(
        'name = 5',
        () => fromEvent(new EventTarget(), 5 as never),
        TypeError,
        'fromEvent(): `name` must be a string, got 5',
      ),
      ...options({
        fn: 'fromEvent()',
        call: (o) => fromEvent(new EventTarget(), 'x', o as never),
        names: ['close', 'error', 'limit'],
        typo: ['limt', 'limit'],
      }),
      bad(
        'limit = 0',
        () => fromEvent(new EventTarget(), 'x', { limit: 0 }),
        RangeError,
        size('fromEvent()', 'options.limit', 1, '0'),
      ),
      bad(
        'close = 5',
        () => fromEvent(new EventTarget(), 'x', { close: 5 as never }),
        TypeError,
        'fromEvent(): `options.close` must be a string, got 5',
      ),
    ],
  },
  {
    api: 'flatMap()',
    covers: 'flatMap',
    mode: 'sync',
    cases: [
      bad('fn = 5', () => flatMap(5 as never), TypeError, fnArg('flatMap()', 'fn', '5')),
      ...options({
        fn: 'flatMap()',
        call: (o) => flatMap(() => [1], o as never),
        names: ['concurrency'],
        typo: ['concurrancy', 'concurrency'],
      }),
      bad(
        'concurrency = 0',
        () => flatMap(() => [1], { concurrency: 0 }),
        RangeError,
        size('flatMap()', 'options.concurrency', 1, '0'),
      ),
      bad(
        'a source = 5',
        () => flatMap(() => [1])(5 as never),
        TypeError,
        notSource('flatMap()', '5'),
      ),
    ],
  },
  {
    api: 'map()',
    covers: 'map',
    mode: 'sync',
    cases: [
      bad('fn = "f"', () => map('f' as never), TypeError, fnArg('map()', 'fn', '"f"')),
      ...options({
        fn: 'map()',
        call: (o) => map(f, o as never),
        names: ['concurrency', 'ordered'],
        typo: ['concurency', 'concurrency'],
      }),
      bad(
        'concurrency = 0',
        () => map(f, { concurrency: 0 }),
        RangeError,
        size('map()', 'options.concurrency', 1, '0'),
      ),
      bad(
        'concurrency = 1.5',
        () => map(f, { concurrency: 1.5 }),
        RangeError,
        size('map()', 'options.concurrency', 1, '1.5'),
      ),
      bad(
        'concurrency = "2"',
        () => map(f, { concurrency: '2' as never }),
        TypeError,
        size('map()', 'options.concurrency', 1, '"2"'),
      ),
      bad(
        'ordered = "yes"',
        () => map(f, { ordered: 'yes' as never }),
        TypeError,
        'map(): `options.ordered` must be a boolean, got "yes"',
      ),
      bad('a source = 42', () => map(f)(42 as never), TypeError, notSource('map()', '42')),
    ],
  },
  {
    api: 'pipe()',
    covers: 'pipe',
    mode: 'sync',
    cases: [
      bad('source = 5', () => pipe(5 as never), TypeError, notSource('pipe()', '5')),
      bad(
        'an operator = 5',
        () => pipe([1], 5 as never),
        TypeError,
        fnArg('pipe()', 'operators[0]', '5'),
      ),
    ],
  },
  {
    api: 'new Pool()',
    covers: 'Pool',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'new Pool()',
        call: (o) => new Pool(o as never),
        names: ['create', 'destroy', 'validate', 'max', 'min', 'idleTimeout', 'acquireTimeout'],
        base: { create: f, max: 1 },
        typo: ['idleTimout', 'idleTimeout'],
      }),
      bad(
        '{}',
        () => new Pool({} as never),
        TypeError,
        fnArg('new Pool()', 'options.create', 'undefined'),
      ),
      bad(
        'create = null',
        () => new Pool({ create: null as never, max: 1 }),
        TypeError,
        fnArg('new Pool()', 'options.create', 'null'),
      ),
      bad(
        'max missing',
        () => new Pool({ create: f } as never),
        TypeError,
        integer('new Pool()', 'options.max', 1, 'undefined'),
      ),
      bad(
        'max = 0',
        () => new Pool({ create: f, max: 0 }),
        RangeError,
        integer('new Pool()', 'options.max', 1, '0'),
      ),
      bad(
        'min > max',
        () => new Pool({ create: f, max: 1, min: 2 }),
        RangeError,
        'new Pool(): `options.min` must not exceed `options.max`',
      ),
      bad(
        'destroy = 5',
        () => new Pool({ create: f, max: 1, destroy: 5 as never }),
        TypeError,
        fnArg('new Pool()', 'options.destroy', '5'),
      ),
      bad(
        'idleTimeout = -1',
        () => new Pool({ create: f, max: 1, idleTimeout: -1 }),
        RangeError,
        delay('new Pool()', 'options.idleTimeout', '-1'),
      ),
      bad(
        'acquireTimeout = "x"',
        () => new Pool({ create: f, max: 1, acquireTimeout: 'x' as never }),
        TypeError,
        delay('new Pool()', 'options.acquireTimeout', '"x"'),
      ),
    ],
  },
  {
    api: 'Pool methods',
    covers: 'Pool',
    mode: 'async',
    cases: [
      ...signalOptions('Pool.acquire()', (o) =>
        new Pool({ create: f, max: 1 }).acquire(o as never),
      ),
      bad(
        'use(5)',
        () => new Pool({ create: f, max: 1 }).use(5 as never),
        TypeError,
        fnArg('Pool.use()', 'fn', '5'),
      ),
      ...signalOptions('Pool.use()', (o) => new Pool({ create: f, max: 1 }).use(f, o as never)),
      ...signalOptions('Pool.drain()', (o) => new Pool({ create: f, max: 1 }).drain(o as never)),
    ],
  },
  {
    api: 'new PoolLease()',
    covers: 'PoolLease',
    mode: 'sync',
    cases: [
      bad(
        'new PoolLease()',
        () => new (PoolLease as unknown as new () => unknown)(),
        TypeError,
        internal('PoolLease', 'Pool.acquire()'),
      ),
    ],
  },
  {
    api: 'RateLimiter',
    covers: 'RateLimiter',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'new RateLimiter()',
        call: (o) => new RateLimiter(o as never),
        names: ['limit', 'interval'],
        base: { limit: 1, interval: 10 },
        typo: ['intervall', 'interval'],
      }),
      bad(
        '{}',
        () => new RateLimiter({} as never),
        TypeError,
        integer('new RateLimiter()', 'options.limit', 1, 'undefined'),
      ),
      bad(
        'limit = 0',
        () => new RateLimiter({ limit: 0, interval: 1 }),
        RangeError,
        integer('new RateLimiter()', 'options.limit', 1, '0'),
      ),
      bad(
        'interval = -1',
        () => new RateLimiter({ limit: 1, interval: -1 }),
        RangeError,
        delay('new RateLimiter()', 'options.interval', '-1'),
      ),
      bad(
        'interval = null',
        () => new RateLimiter({ limit: 1, interval: null as never }),
        TypeError,
        delay('new RateLimiter()', 'options.interval', 'null'),
      ),
      ...signalOptions('RateLimiter.acquire()', (o) =>
        new RateLimiter({ limit: 1, interval: 1 }).acquire(o as never),
      ).map((c) => ({ ...c, mode: 'async' as const })),
    ],
  },
  {
    api: 'exponentialBackoff()',
    covers: 'exponentialBackoff',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'exponentialBackoff()',
        call: (o) => exponentialBackoff(o as never),
        names: ['initial', 'max', 'factor', 'jitter', 'random'],
        typo: ['facter', 'factor'],
      }),
      bad(
        'factor = 0.5',
        () => exponentialBackoff({ factor: 0.5 }),
        RangeError,
        'exponentialBackoff(): `options.factor` must be a number >= 1, got 0.5',
      ),
      bad(
        'factor = "2"',
        () => exponentialBackoff({ factor: '2' as never }),
        TypeError,
        'exponentialBackoff(): `options.factor` must be a number >= 1, got "2"',
      ),
      bad(
        'initial = -1',
        () => exponentialBackoff({ initial: -1 }),
        RangeError,
        delay('exponentialBackoff()', 'options.initial', '-1'),
      ),
      bad(
        'max = NaN',
        () => exponentialBackoff({ max: Number.NaN }),
        RangeError,
        delay('exponentialBackoff()', 'options.max', 'NaN'),
      ),
      bad(
        'jitter = "yes"',
        () => exponentialBackoff({ jitter: 'yes' as never }),
        TypeError,
        'exponentialBackoff(): `options.jitter` must be a boolean, got "yes"',
      ),
      bad(
        'random = 5',
        () => exponentialBackoff({ random: 5 as never }),
        TypeError,
        fnArg('exponentialBackoff()', 'options.random', '5'),
      ),
    ],
  },
  {
    api: 'retry()',
    covers: 'retry',
    mode: 'async',
    cases: [
      bad('fn = 5', () => retry(5 as never), TypeError, fnArg('retry()', 'fn', '5')),
      ...options({
        fn: 'retry()',
        call: (o) => retry(f, o as never),
        names: ['attempts', 'backoff', 'retryIf', 'onRetry'],
        typo: ['atempts', 'attempts'],
      }),
      bad(
        'attempts = 0',
        () => retry(f, { attempts: 0 }),
        RangeError,
        size('retry()', 'options.attempts', 1, '0'),
      ),
      bad(
        'backoff = 5',
        () => retry(f, { backoff: 5 as never }),
        TypeError,
        fnArg('retry()', 'options.backoff', '5'),
      ),
      bad(
        'retryIf = "x"',
        () => retry(f, { retryIf: 'x' as never }),
        TypeError,
        fnArg('retry()', 'options.retryIf', '"x"'),
      ),
      bad(
        'onRetry = 5',
        () => retry(f, { onRetry: 5 as never }),
        TypeError,
        fnArg('retry()', 'options.onRetry', '5'),
      ),
    ],
  },
  {
    api: 'count()',
    covers: 'count',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'count()',
        call: (o) => count(o as never),
        names: ['interval'],
        typo: ['intervl', 'interval'],
      }),
      bad(
        'interval = -5',
        () => count({ interval: -5 }),
        RangeError,
        delay('count()', 'options.interval', '-5'),
      ),
    ],
  },
  {
    api: 'range()',
    covers: 'range',
    mode: 'sync',
    cases: [
      bad(
        'end = NaN',
        () => range(0, Number.NaN),
        RangeError,
        'range(): `end` must be a number, got NaN',
      ),
      bad(
        'end missing',
        () => (range as (s: number) => unknown)(0),
        TypeError,
        'range(): `end` must be a number, got undefined',
      ),
      bad(
        'start = "0"',
        () => range('0' as never, 5),
        TypeError,
        'range(): `start` must be a finite number, got "0"',
      ),
      bad(
        'start = -Infinity',
        () => range(-Infinity, 5),
        RangeError,
        'range(): `start` must be a finite number, got -Infinity',
      ),
      ...options({
        fn: 'range()',
        call: (o) => range(0, 5, o as never),
        names: ['interval'],
        typo: ['Interval', 'interval'],
      }),
      bad(
        'interval = -1',
        () => range(0, 5, { interval: -1 }),
        RangeError,
        delay('range()', 'options.interval', '-1'),
      ),
    ],
  },
  {
    api: 'tee()',
    covers: 'tee',
    mode: 'sync',
    cases: [
      bad('n = 0', () => tee([1], 0), RangeError, integer('tee()', 'n', 1, '0')),
      bad('n = "2"', () => tee([1], '2' as never), TypeError, integer('tee()', 'n', 1, '"2"')),
      bad('source = 5', () => tee(5 as never), TypeError, notSource('tee()', '5')),
    ],
  },
  {
    api: 'throttle()',
    covers: 'throttle',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'throttle()',
        call: (o) => throttle(o as never),
        names: ['limit', 'interval'],
        base: { limit: 1, interval: 10 },
        typo: ['limitt', 'limit'],
      }),
      bad(
        'limit = 0',
        () => throttle({ limit: 0, interval: 1 }),
        RangeError,
        integer('throttle()', 'options.limit', 1, '0'),
      ),
      bad(
        'a source = 5',
        () => throttle({ limit: 1, interval: 1 })(5 as never),
        TypeError,
        notSource('throttle()', '5'),
      ),
    ],
  },
  // ---- corio/testing ----
  {
    api: 'explore()',
    covers: 'explore',
    mode: 'async',
    cases: [
      bad('test = 5', () => explore(5 as never), TypeError, fnArg('explore()', 'test', '5')),
      ...options({
        fn: 'explore()',
        call: (o) => explore(f, o as never),
        names: [
          'runs',
          'seed',
          'strategy',
          'pctDepth',
          'injectCancellation',
          'maxSteps',
          'shrink',
          'onReport',
        ],
        typo: ['run', 'runs'],
      }),
      bad(
        'runs = 0',
        () => explore(f, { runs: 0 }),
        RangeError,
        integer('explore()', 'options.runs', 1, '0'),
      ),
      bad(
        'seed = -1',
        () => explore(f, { seed: -1 }),
        RangeError,
        integer('explore()', 'options.seed', 0, '-1'),
      ),
      bad(
        'maxSteps = 1.5',
        () => explore(f, { maxSteps: 1.5 }),
        RangeError,
        integer('explore()', 'options.maxSteps', 1, '1.5'),
      ),
      bad(
        'pctDepth = 0',
        () => explore(f, { pctDepth: 0 }),
        RangeError,
        integer('explore()', 'options.pctDepth', 1, '0'),
      ),
      bad(
        'strategy = "dfs"',
        () => explore(f, { strategy: 'dfs' as never }),
        RangeError,
        'explore(): `options.strategy` must be one of "mixed", "random", "pct" or "exhaustive", got "dfs"',
      ),
      bad(
        'strategy = 1',
        () => explore(f, { strategy: 1 as never }),
        TypeError,
        'explore(): `options.strategy` must be one of "mixed", "random", "pct" or "exhaustive", got 1',
      ),
      bad(
        'injectCancellation = "yes"',
        () => explore(f, { injectCancellation: 'yes' as never }),
        TypeError,
        'explore(): `options.injectCancellation` must be a boolean, got "yes"',
      ),
      bad(
        'shrink = 1',
        () => explore(f, { shrink: 1 as never }),
        TypeError,
        'explore(): `options.shrink` must be a boolean, got 1',
      ),
      bad(
        'onReport = 5',
        () => explore(f, { onReport: 5 as never }),
        TypeError,
        fnArg('explore()', 'options.onReport', '5'),
      ),
    ],
  },
  {
    api: 'replaySchedule()',
    covers: 'replaySchedule',
    mode: 'async',
    cases: [
      bad(
        'token = 5',
        () => replaySchedule(5 as never, f),
        TypeError,
        'replaySchedule(): `token` must be a string, got 5',
      ),
      bad(
        'token = "x"',
        () => replaySchedule('x', f),
        TypeError,
        /^replaySchedule\(\): `token` must be a replay token from a ScheduleFailure \(c1\.…\), got "x"$/,
      ),
      bad(
        'a damaged token',
        () => replaySchedule('c1.1.1.@', f),
        TypeError,
        'replaySchedule(): the replay token is damaged: "c1.1.1.@"',
      ),
      bad(
        'test = 5',
        () => replaySchedule('c1.1.1.AA', 5 as never),
        TypeError,
        fnArg('replaySchedule()', 'test', '5'),
      ),
      ...options({
        fn: 'replaySchedule()',
        call: (o) => replaySchedule('c1.1.1.AA', f, o as never),
        names: ['maxSteps'],
        typo: ['maxStep', 'maxSteps'],
      }),
      bad(
        'maxSteps = 0',
        () => replaySchedule('c1.1.1.AA', f, { maxSteps: 0 }),
        RangeError,
        integer('replaySchedule()', 'options.maxSteps', 1, '0'),
      ),
    ],
  },
  {
    api: 'new ScheduleFailure()',
    covers: 'ScheduleFailure',
    mode: 'sync',
    cases: [
      bad(
        'new ScheduleFailure()',
        () => new (ScheduleFailure as unknown as new () => unknown)(),
        TypeError,
        internal('ScheduleFailure', 'explore() or replaySchedule()'),
      ),
    ],
  },
  {
    api: 'new NondeterminismError()',
    covers: 'NondeterminismError',
    mode: 'sync',
    cases: [
      bad(
        'new NondeterminismError()',
        () => new (NondeterminismError as unknown as new () => unknown)(),
        TypeError,
        internal('NondeterminismError', 'explore() or replaySchedule()'),
      ),
    ],
  },
  {
    api: 'assertCheckpoints()',
    covers: 'assertCheckpoints',
    mode: 'async',
    cases: [
      bad(
        'operation = 5',
        () => assertCheckpoints(5 as never),
        TypeError,
        fnArg('assertCheckpoints()', 'operation', '5'),
      ),
    ],
  },
  {
    api: 'setDefaultClock()',
    covers: 'setDefaultClock',
    mode: 'sync',
    cases: [
      bad(
        'factory = 5',
        () => {
          setDefaultClock(5 as never);
        },
        TypeError,
        fnArg('setDefaultClock()', 'factory', '5'),
      ),
      bad(
        'factory missing',
        () => (setDefaultClock as () => unknown)(),
        TypeError,
        fnArg('setDefaultClock()', 'factory', 'undefined'),
      ),
      bad(
        'a factory that makes no clock',
        async () => {
          setDefaultClock(() => 5 as never);
          try {
            await run(f);
          } finally {
            setDefaultClock(null);
          }
        },
        TypeError,
        'setDefaultClock(): `factory()` must be a Clock, got 5',
        'async',
      ),
      ...([undefined, {}] as const).map((made) =>
        bad(
          `a factory that makes ${made === undefined ? 'undefined' : '{}'}`,
          async () => {
            setDefaultClock(() => made as never);
            try {
              await run(f);
            } finally {
              setDefaultClock(null);
            }
          },
          TypeError,
          `setDefaultClock(): \`factory()\` must be a Clock, got ${made === undefined ? 'undefined' : 'an object'}`,
          'async',
        ),
      ),
    ],
  },
  {
    api: 'VirtualClock',
    covers: 'VirtualClock',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'new VirtualClock()',
        call: (o) => new VirtualClock(o as never),
        names: ['autojump', 'start'],
        typo: ['autojmp', 'autojump'],
      }),
      bad(
        'autojump = 1',
        () => new VirtualClock({ autojump: 1 as never }),
        TypeError,
        'new VirtualClock(): `options.autojump` must be a boolean, got 1',
      ),
      bad(
        'start = -1',
        () => new VirtualClock({ start: -1 }),
        RangeError,
        'new VirtualClock(): `options.start` must be a finite number >= 0, got -1',
      ),
      bad(
        'start = Infinity',
        () => new VirtualClock({ start: Infinity }),
        RangeError,
        'new VirtualClock(): `options.start` must be a finite number >= 0, got Infinity',
      ),
      bad(
        'advance(-1)',
        () => {
          new VirtualClock().advance(-1);
        },
        RangeError,
        'VirtualClock.advance(): `ms` must be a finite number >= 0, got -1',
      ),
      bad(
        'advance(Infinity)',
        () => {
          new VirtualClock().advance(Infinity);
        },
        RangeError,
        'VirtualClock.advance(): `ms` must be a finite number >= 0, got Infinity',
      ),
      bad(
        'advance("1")',
        () => {
          new VirtualClock().advance('1' as never);
        },
        TypeError,
        'VirtualClock.advance(): `ms` must be a finite number >= 0, got "1"',
      ),
    ],
  },
  // ---- corio/trace ----
  {
    api: 'combineInstruments()',
    covers: 'combineInstruments',
    mode: 'sync',
    cases: [
      bad(
        'instruments = 5',
        () => combineInstruments(5 as never),
        TypeError,
        'combineInstruments(): `instruments` must be an array of Instruments, got 5',
      ),
      bad(
        'instruments = [5]',
        () => combineInstruments([5 as never]),
        TypeError,
        'combineInstruments(): `instruments[0]` must be an Instrument (a Tracer), got 5',
      ),
      bad(
        'a hook that is not a function',
        () => combineInstruments([{ taskStarted: 1 } as never]),
        TypeError,
        'combineInstruments(): `instruments[0].taskStarted` must be a function, got 1',
      ),
    ],
  },
  {
    api: 'taskTree()',
    covers: 'taskTree',
    mode: 'sync',
    cases: [
      bad(
        'loop = 5',
        () => taskTree(5 as never),
        TypeError,
        'taskTree(): `loop` must be an EventLoop, got 5',
      ),
      bad(
        'loop = null',
        () => taskTree(null as never),
        TypeError,
        'taskTree(): `loop` must be an EventLoop, got null',
      ),
    ],
  },
  {
    api: 'new Tracer()',
    covers: 'Tracer',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'new Tracer()',
        call: (o) => new Tracer(o as never),
        names: ['limit'],
        typo: ['limt', 'limit'],
      }),
      bad(
        'limit = 0',
        () => new Tracer({ limit: 0 }),
        RangeError,
        size('new Tracer()', 'options.limit', 1, '0'),
      ),
    ],
  },
  ...(
    [
      ['toMermaid()', toMermaid],
      ['toChromeTrace()', toChromeTrace],
      ['toHTML()', toHTML],
    ] as const
  ).map(
    ([api, render]): Entry => ({
      api,
      covers: api.replace('()', ''),
      mode: 'sync',
      cases: [
        bad(
          'trace = 5',
          () => render(5 as never),
          TypeError,
          `${api}: \`trace\` must be a Tracer or an array of TraceEvents, got 5`,
        ),
        bad(
          'trace = {}',
          () => render({} as never),
          TypeError,
          `${api}: \`trace\` must be a Tracer or an array of TraceEvents, got an object`,
        ),
        bad(
          'trace missing',
          () => (render as () => unknown)(),
          TypeError,
          `${api}: \`trace\` must be a Tracer or an array of TraceEvents, got undefined`,
        ),
        bad(
          'trace = [null]',
          () => render([null] as never),
          TypeError,
          `${api}: \`trace[0]\` must be a TraceEvent, got null`,
        ),
        bad(
          'an event without a time',
          () => render([event(0), event('x')] as never),
          TypeError,
          `${api}: \`trace[1].time\` must be a number, got "x"`,
        ),
        bad(
          'an event of no kind',
          () => render([event(0, 'nope')] as never),
          RangeError,
          `${api}: \`trace[0].kind\` must be a TraceEventKind, got "nope"`,
        ),
      ],
    }),
  ),
  {
    api: 'toHTML() options',
    covers: 'toHTML',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'toHTML()',
        call: (o) => toHTML([], o as never),
        names: ['title'],
        typo: ['titel', 'title'],
      }),
      bad(
        'title = 5',
        () => toHTML([], { title: 5 as never }),
        TypeError,
        'toHTML(): `options.title` must be a string, got 5',
      ),
    ],
  },
  {
    api: 'toLanes()',
    covers: 'toLanes',
    mode: 'sync',
    cases: [
      bad(
        'events = 5',
        () => toLanes(5 as never),
        TypeError,
        'toLanes(): `events` must be an array of TraceEvents, got 5',
      ),
      bad(
        'events = [1]',
        () => toLanes([1] as never),
        TypeError,
        'toLanes(): `events[0]` must be a TraceEvent, got 1',
      ),
      bad(
        'an event with no name',
        () => toLanes([{ ...(event() as object), name: 7 }] as never),
        TypeError,
        'toLanes(): `events[0].name` must be a string, got 7',
      ),
    ],
  },
  {
    api: 'dumpTaskTreeOn()',
    covers: 'dumpTaskTreeOn',
    mode: 'sync',
    cases: [
      bad(
        'signal = "NOTASIGNAL"',
        () => dumpTaskTreeOn('NOTASIGNAL' as never),
        RangeError,
        'dumpTaskTreeOn(): `signal` must be a signal name such as "SIGUSR2", got "NOTASIGNAL"',
      ),
      bad(
        'signal = 12',
        () => dumpTaskTreeOn(12 as never),
        TypeError,
        'dumpTaskTreeOn(): `signal` must be a signal name such as "SIGUSR2", got 12',
      ),
      bad(
        'loop = 5',
        () => dumpTaskTreeOn('SIGUSR2', 5 as never),
        TypeError,
        'dumpTaskTreeOn(): `loop` must be an EventLoop, got 5',
      ),
    ],
  },
  ...(
    [
      ['formatTaskTree()', formatTaskTree],
      ['printTaskTree()', printTaskTree],
    ] as const
  ).map(
    ([api, tree]): Entry => ({
      api,
      covers: api.replace('()', ''),
      mode: 'sync',
      cases: [
        ...options({
          fn: api,
          call: (o) => tree(o as never),
          names: ['loop', 'ages'],
          typo: ['age', 'ages'],
        }),
        bad(
          'a task tree as the options',
          () => tree(taskTree() as never),
          TypeError,
          `${api}: \`options\` must be an options object, got an array`,
        ),
        bad(
          'loop = 5',
          () => tree({ loop: 5 as never }),
          TypeError,
          `${api}: \`options.loop\` must be an EventLoop, got 5`,
        ),
        bad(
          'ages = "no"',
          () => tree({ ages: 'no' as never }),
          TypeError,
          `${api}: \`options.ages\` must be a boolean, got "no"`,
        ),
      ],
    }),
  ),
  {
    api: 'trace()',
    covers: 'trace',
    mode: 'async',
    cases: [
      bad('main = 5', () => trace(5 as never), TypeError, fnArg('trace()', 'main', '5')),
      ...options({
        fn: 'trace()',
        call: (o) => trace(f, o as never),
        names: ['clock', 'name', 'signal', 'debug', 'limit'],
        typo: ['limti', 'limit'],
      }),
      bad(
        'limit = 0',
        () => trace(f, { limit: 0 }),
        RangeError,
        size('trace()', 'options.limit', 1, '0'),
      ),
      bad(
        'trace, an option of run() but not of trace()',
        () => trace(f, { trace: new Tracer() } as never),
        TypeError,
        'trace(): `options.trace` is not an option; the options are `clock`, `name`, `signal`, `debug` and `limit`',
      ),
    ],
  },
];

// corio/node: streams, servers, fetch. Nothing here reaches a socket: every
// call is refused before it would connect or listen.
const port = (fn: string, prefix: string, got: string): string =>
  `${fn}: \`${prefix}.port\` must be an integer from 0 to 65535, got ${got}`;
const reader = (): StreamReader => new StreamReader();
const writer = (): StreamWriter =>
  (memoryStreamPair()[0] as unknown as [StreamReader, StreamWriter])[1];
const onServer = async (use: (server: Server) => Promise<unknown>): Promise<unknown> => {
  const server = await startServer(f, { host: '127.0.0.1', port: 0 });
  try {
    return await use(server);
  } finally {
    await server[Symbol.asyncDispose]();
  }
};
entries.push(
  {
    api: 'openConnection()',
    covers: 'openConnection',
    mode: 'async',
    cases: [
      bad(
        'address missing',
        () => (openConnection as (a?: unknown) => unknown)(),
        TypeError,
        'openConnection(): `address` must be { host?, port } or { path }, got undefined',
      ),
      ...options({
        fn: 'openConnection()',
        arg: 'address',
        call: (a) => openConnection(a as never),
        names: ['host', 'port', 'path'],
        typo: ['prot', 'port'],
      }),
      bad(
        'port = -1',
        () => openConnection({ port: -1 }),
        RangeError,
        port('openConnection()', 'address', '-1'),
      ),
      bad(
        'port = 1.5',
        () => openConnection({ port: 1.5 }),
        RangeError,
        port('openConnection()', 'address', '1.5'),
      ),
      bad(
        'port = "80"',
        () => openConnection({ port: '80' as never }),
        TypeError,
        port('openConnection()', 'address', '"80"'),
      ),
      bad(
        'no port, no path',
        () => openConnection({ host: 'x' } as never),
        TypeError,
        'openConnection(): `address` must give `port` or `path`',
      ),
      bad(
        'host = 5',
        () => openConnection({ host: 5 as never, port: 1 }),
        TypeError,
        'openConnection(): `address.host` must be a string, got 5',
      ),
      bad(
        'path = ""',
        () => openConnection({ path: '' }),
        TypeError,
        'openConnection(): `address.path` must be a non-empty string, got ""',
      ),
      bad(
        'path and port',
        () => openConnection({ path: '/x', port: 1 }),
        TypeError,
        'openConnection(): `address` must give either `path` or `host` and `port`, not both',
      ),
      ...options({
        fn: 'openConnection()',
        call: (o) => openConnection({ port: 1 }, o as never),
        names: [
          'limit',
          'tls',
          'autoSelectFamily',
          'noDelay',
          'keepAlive',
          'localAddress',
          'signal',
        ],
        typo: ['limt', 'limit'],
      }),
      bad(
        'limit = 0',
        () => openConnection({ port: 1 }, { limit: 0 }),
        RangeError,
        integer('openConnection()', 'options.limit', 1, '0'),
      ),
      bad(
        'tls = "yes"',
        () => openConnection({ port: 1 }, { tls: 'yes' as never }),
        TypeError,
        'openConnection(): `options.tls` must be a boolean or the options of tls.connect(), got "yes"',
      ),
      bad(
        'noDelay = 1',
        () => openConnection({ port: 1 }, { noDelay: 1 as never }),
        TypeError,
        'openConnection(): `options.noDelay` must be a boolean, got 1',
      ),
      bad(
        'signal = "x"',
        () => openConnection({ port: 1 }, { signal: 'x' as never }),
        TypeError,
        'openConnection(): `signal` must be an AbortSignal, got "x"',
      ),
    ],
  },
  {
    api: 'startServer()',
    covers: 'startServer',
    mode: 'async',
    cases: [
      bad(
        'handler = 5',
        () => startServer(5 as never, { port: 0 }),
        TypeError,
        fnArg('startServer()', 'handler', '5'),
      ),
      bad(
        'options missing',
        () => (startServer as (h: unknown, o?: unknown) => unknown)(f),
        TypeError,
        'startServer(): `options` must be an options object with `port` or `path`, got undefined',
      ),
      ...options({
        fn: 'startServer()',
        call: (o) => startServer(f, o as never),
        names: [
          'host',
          'port',
          'path',
          'tls',
          'limit',
          'backlog',
          'ipv6Only',
          'noDelay',
          'keepAlive',
          'signal',
        ],
        typo: ['bakclog', 'backlog'],
      }),
      bad(
        'no port, no path',
        () => startServer(f, {}),
        TypeError,
        'startServer(): `options` must give `port` or `path`',
      ),
      bad(
        'port = 70000',
        () => startServer(f, { port: 70_000 }),
        RangeError,
        port('startServer()', 'options', '70000'),
      ),
      bad(
        'backlog = -1',
        () => startServer(f, { port: 0, backlog: -1 }),
        RangeError,
        integer('startServer()', 'options.backlog', 0, '-1'),
      ),
      bad(
        'tls = true',
        () => startServer(f, { port: 0, tls: true as never }),
        TypeError,
        'startServer(): `options.tls` must be the options of tls.createServer(), got true',
      ),
    ],
  },
  {
    api: 'serveTcp()',
    covers: 'serveTcp',
    mode: 'async',
    cases: [
      bad(
        'status = {}',
        () => serveTcp(f, { port: 0 }, {} as never),
        TypeError,
        'serveTcp(): `status` must be a TaskStatus (from tg.start())',
      ),
      bad(
        'handler = 5',
        () => serveTcp(5 as never, { port: 0 }),
        TypeError,
        fnArg('startServer()', 'handler', '5'),
      ),
    ],
  },
  {
    api: 'Server',
    covers: 'Server',
    mode: 'async',
    cases: [
      bad(
        'new Server()',
        () => new (Server as unknown as new () => unknown)(),
        TypeError,
        internal('Server', 'startServer()'),
        'sync',
      ),
      ...signalOptions('Server.waitClosed()', (o) =>
        onServer((server) => server.waitClosed(o as never)),
      ),
    ],
  },
  {
    api: 'StreamReader',
    covers: 'StreamReader',
    mode: 'async',
    cases: [
      ...options({
        fn: 'new StreamReader()',
        call: (o) => new StreamReader(o as never),
        names: ['limit'],
        typo: ['limti', 'limit'],
      }).map((c) => ({ ...c, mode: 'sync' as const })),
      bad(
        'limit = 0',
        () => new StreamReader({ limit: 0 }),
        RangeError,
        integer('new StreamReader()', 'options.limit', 1, '0'),
        'sync',
      ),
      bad(
        'feedData(5)',
        () => {
          reader().feedData(5 as never);
        },
        TypeError,
        'StreamReader.feedData(): `data` must be a Uint8Array or a string, got 5',
        'sync',
      ),
      bad(
        'read(1.5)',
        () => reader().read(1.5),
        RangeError,
        'StreamReader.read(): `n` must be an integer (negative: until EOF), got 1.5',
      ),
      ...signalOptions('StreamReader.read()', (o) => reader().read(1, o as never)),
      ...signalOptions('StreamReader.readline()', (o) => reader().readline(o as never)),
      ...signalOptions('StreamReader.readUntil()', (o) => reader().readUntil('x', o as never)),
      ...signalOptions('StreamReader.readExactly()', (o) => reader().readExactly(1, o as never)),
      bad(
        'readUntil("")',
        () => reader().readUntil(''),
        RangeError,
        'StreamReader.readUntil(): `separator` must be at least one byte',
      ),
      bad(
        'readUntil(5)',
        () => reader().readUntil(5 as never),
        TypeError,
        'StreamReader.readUntil(): `separator` must be a Uint8Array or a string, got 5',
      ),
      bad(
        'readExactly(-1)',
        () => reader().readExactly(-1),
        RangeError,
        integer('StreamReader.readExactly()', 'n', 0, '-1'),
      ),
      ...options({
        fn: 'StreamReader.lines()',
        call: (o) => reader().lines(o as never),
        names: ['keepEnds', 'signal'],
        typo: ['keepEnd', 'keepEnds'],
      }).map((c) => ({ ...c, mode: 'sync' as const })),
      ...options({
        fn: 'StreamReader.chunks()',
        call: (o) => reader().chunks(o as never),
        names: ['size', 'signal'],
        typo: ['sise', 'size'],
      }).map((c) => ({ ...c, mode: 'sync' as const })),
      bad(
        'chunks({ size: 0 })',
        () => reader().chunks({ size: 0 }),
        RangeError,
        integer('StreamReader.chunks()', 'options.size', 1, '0'),
        'sync',
      ),
    ],
  },
  {
    api: 'StreamWriter',
    covers: 'StreamWriter',
    mode: 'async',
    cases: [
      bad(
        'new StreamWriter()',
        () => new (StreamWriter as unknown as new () => unknown)(),
        TypeError,
        internal('StreamWriter', 'openConnection(), startServer() or memoryStreamPair()'),
        'sync',
      ),
      bad(
        'write(5)',
        () => {
          writer().write(5 as never);
        },
        TypeError,
        'StreamWriter.write(): `data` must be a Uint8Array or a string, got 5',
        'sync',
      ),
      bad(
        'writelines("abc")',
        () => {
          writer().writelines('abc' as never);
        },
        TypeError,
        'StreamWriter.writelines(): `data` must be an iterable of Uint8Array or string, got "abc"',
        'sync',
      ),
      bad(
        'writelines([null])',
        () => {
          writer().writelines([null as never]);
        },
        TypeError,
        'StreamWriter.writelines(): `data` must be a Uint8Array or a string, got null',
        'sync',
      ),
      bad(
        'getExtraInfo(5)',
        () => {
          writer().getExtraInfo(5 as never);
        },
        TypeError,
        'StreamWriter.getExtraInfo(): `name` must be a string, got 5',
        'sync',
      ),
      ...signalOptions('StreamWriter.drain()', (o) => writer().drain(o as never)),
      ...signalOptions('StreamWriter.writeAll()', (o) => writer().writeAll('x', o as never)),
      ...signalOptions('StreamWriter.waitClosed()', (o) => writer().waitClosed(o as never)),
      bad(
        'writeAll(5)',
        () => writer().writeAll(5 as never),
        TypeError,
        'StreamWriter.write(): `data` must be a Uint8Array or a string, got 5',
      ),
    ],
  },
  {
    api: 'memoryStreamPair()',
    covers: 'memoryStreamPair',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'memoryStreamPair()',
        call: (o) => memoryStreamPair(o as never),
        names: ['limit'],
        typo: ['limmit', 'limit'],
      }),
      bad(
        'limit = 0',
        () => memoryStreamPair({ limit: 0 }),
        RangeError,
        integer('memoryStreamPair()', 'options.limit', 1, '0'),
      ),
    ],
  },
  {
    api: 'lockstepStreamPair()',
    covers: 'lockstepStreamPair',
    mode: 'sync',
    cases: options({
      fn: 'lockstepStreamPair()',
      call: (o) => lockstepStreamPair(o as never),
      names: ['limit'],
      typo: ['limt', 'limit'],
    }),
  },
  {
    api: 'fetch()',
    covers: 'fetch',
    mode: 'async',
    cases: [
      bad(
        'input = 5',
        () => fetch(5 as never),
        TypeError,
        'fetch(): `input` must be a string, a URL or a Request, got 5',
      ),
      bad(
        'init = "x"',
        () => fetch('http://127.0.0.1:1/', 'x' as never),
        TypeError,
        'fetch(): `init` must be a RequestInit object, got "x"',
      ),
      bad(
        'init.signal = "x"',
        () => fetch('http://127.0.0.1:1/', { signal: 'x' as never }),
        TypeError,
        'fetch(): `signal` must be an AbortSignal, got "x"',
      ),
    ],
  },
);

// corio/lowlevel: the kernel's face for primitives built outside corio.
entries.push({
  api: 'setDebugMode()',
  covers: 'setDebugMode',
  mode: 'sync',
  cases: [
    bad(
      'mode = 5',
      () => {
        setDebugMode(5 as never);
      },
      TypeError,
      'setDebugMode(): `mode` must be a function, got 5',
    ),
  ],
});

entries.push(
  {
    api: 'new Nursery()',
    covers: 'Nursery',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'new Nursery()',
        call: (o) => new Nursery(o as never),
        names: ['shield', 'onEnd'],
        typo: ['sheild', 'shield'],
      }),
      bad(
        'shield = "yes"',
        () => new Nursery({ shield: 'yes' as never }),
        TypeError,
        'new Nursery(): `options.shield` must be a boolean, got "yes"',
      ),
      bad(
        'onEnd = 5',
        () => new Nursery({ onEnd: 5 as never }),
        TypeError,
        'new Nursery(): `options.onEnd` must be a function, got 5',
      ),
    ],
  },
  {
    api: 'Nursery.spawn()',
    covers: 'Nursery',
    mode: 'sync',
    cases: [
      bad(
        'fn = 5',
        () => new Nursery().spawn(5 as never),
        TypeError,
        fnArg('Nursery.spawn()', 'fn', '5'),
      ),
      ...options({
        fn: 'Nursery.spawn()',
        call: (o) => new Nursery().spawn(f, o as never),
        names: ['name', 'onEnd'],
        typo: ['onend', 'onEnd'],
      }),
      bad(
        'onEnd = 5',
        () => new Nursery().spawn(f, { onEnd: 5 as never }),
        TypeError,
        fnArg('Nursery.spawn()', 'options.onEnd', '5'),
      ),
    ],
  },
  {
    api: 'new ParkingLot()',
    covers: 'ParkingLot',
    mode: 'sync',
    cases: [
      // `new ParkingLot(undefined)` is the default `{}`; null and the rest are not.
      ...options({
        fn: 'new ParkingLot()',
        call: (o) => new ParkingLot(o as never),
        names: ['onUnclaimed', 'committed', 'holders', 'host'],
        typo: ['comitted', 'committed'],
      }),
      bad(
        'onUnclaimed = 5',
        () => new ParkingLot({ onUnclaimed: 5 as never }),
        TypeError,
        fnArg('new ParkingLot()', 'options.onUnclaimed', '5'),
      ),
      bad(
        'committed = "yes"',
        () => new ParkingLot({ committed: 'yes' as never }),
        TypeError,
        'new ParkingLot(): `options.committed` must be a boolean, got "yes"',
      ),
      bad(
        'holders = []',
        () => new ParkingLot({ holders: [] as never }),
        TypeError,
        fnArg('new ParkingLot()', 'options.holders', 'an array'),
      ),
    ],
  },
  {
    api: 'setScheduler()',
    covers: 'setScheduler',
    mode: 'sync',
    cases: [
      bad(
        'scheduler = 5',
        () => {
          setScheduler(5 as never);
        },
        TypeError,
        'setScheduler(): `scheduler` must be a Scheduler (an object with hold() and busy()) or null, got 5',
      ),
      bad(
        'scheduler = {}',
        () => {
          setScheduler({} as never);
        },
        TypeError,
        'setScheduler(): `scheduler` must be a Scheduler (an object with hold() and busy()) or null, got an object',
      ),
    ],
  },
);

// corio/node: subprocesses and worker threads. Nothing here starts a process
// or a thread, but for the Process rows, which need one (`true`).
const JOBS = new URL('./node/_jobs.ts', import.meta.url);
const SUBPROCESS_NAMES = [
  'stdin',
  'stdout',
  'stderr',
  'cwd',
  'env',
  'limit',
  'processGroup',
  'killSignal',
  'killGrace',
  'deliverCancel',
  'signal',
];
const onProcess = async (use: (proc: Process) => Promise<unknown>): Promise<unknown> => {
  await using proc = await createSubprocessExec('true');
  return await use(proc);
};
const onPool = async (use: (pool: WorkerPool) => Promise<unknown>): Promise<unknown> => {
  // No job runs: a thread starts only for a job that was accepted.
  await using pool = new WorkerPool({ filename: JOBS });
  return await use(pool);
};
const exec = (options: unknown): Promise<unknown> =>
  createSubprocessExec('true', [], options as never);
entries.push(
  {
    api: 'createSubprocessExec()',
    covers: 'createSubprocessExec',
    mode: 'async',
    cases: [
      bad(
        'file = ""',
        () => createSubprocessExec(''),
        TypeError,
        'createSubprocessExec(): `file` must be a non-empty string, got ""',
      ),
      bad(
        'file = 5',
        () => createSubprocessExec(5 as never),
        TypeError,
        'createSubprocessExec(): `file` must be a non-empty string, got 5',
      ),
      bad(
        'args = "300"',
        () => createSubprocessExec('sleep', '300' as never),
        TypeError,
        'createSubprocessExec(): `args` must be an array of strings, got "300"',
      ),
      bad(
        'args = [300]',
        () => createSubprocessExec('sleep', [300 as never]),
        TypeError,
        'createSubprocessExec(): `args[0]` must be a string, got 300',
      ),
      ...options({
        fn: 'createSubprocessExec()',
        call: exec,
        names: SUBPROCESS_NAMES,
        typo: ['killGrase', 'killGrace'],
      }),
      bad(
        'stdout = "file"',
        () => exec({ stdout: 'file' }),
        RangeError,
        "createSubprocessExec(): `options.stdout` must be 'pipe', 'inherit', 'ignore' or a file descriptor, got \"file\"",
      ),
      bad(
        'stdin = -1',
        () => exec({ stdin: -1 }),
        TypeError,
        "createSubprocessExec(): `options.stdin` must be 'pipe', 'inherit', 'ignore' or a file descriptor, got -1",
      ),
      bad(
        'stderr = "stdout" without stdout "pipe"',
        () => exec({ stderr: 'stdout' }),
        TypeError,
        "createSubprocessExec(): `options.stderr` 'stdout' needs `options.stdout` 'pipe'",
      ),
      bad(
        'cwd = "/no/such/dir"',
        () => exec({ cwd: '/no/such/dir' }),
        TypeError,
        'createSubprocessExec(): `options.cwd` must be a directory: /no/such/dir is none',
      ),
      bad(
        'cwd = 5',
        () => exec({ cwd: 5 }),
        TypeError,
        'createSubprocessExec(): `options.cwd` must be a path or a file: URL, got 5',
      ),
      bad(
        'env = 5',
        () => exec({ env: 5 }),
        TypeError,
        'createSubprocessExec(): `options.env` must be an object of strings, got 5',
      ),
      bad(
        'env.HOME = 5',
        () => exec({ env: { HOME: 5 } }),
        TypeError,
        'createSubprocessExec(): `options.env.HOME` must be a string, got 5',
      ),
      bad(
        'limit = 0',
        () => exec({ limit: 0 }),
        RangeError,
        integer('createSubprocessExec()', 'options.limit', 1, '0'),
      ),
      bad(
        'processGroup = "yes"',
        () => exec({ processGroup: 'yes' }),
        TypeError,
        'createSubprocessExec(): `options.processGroup` must be a boolean, got "yes"',
      ),
      bad(
        'killSignal = "SIGNOPE"',
        () => exec({ killSignal: 'SIGNOPE' }),
        RangeError,
        'createSubprocessExec(): `options.killSignal` must be a signal name such as \'SIGTERM\', got "SIGNOPE"',
      ),
      bad(
        'killGrace = -1',
        () => exec({ killGrace: -1 }),
        RangeError,
        delay('createSubprocessExec()', 'options.killGrace', '-1'),
      ),
      bad(
        'deliverCancel = 5',
        () => exec({ deliverCancel: 5 }),
        TypeError,
        fnArg('createSubprocessExec()', 'options.deliverCancel', '5'),
      ),
      bad(
        'signal = "x"',
        () => exec({ signal: 'x' }),
        TypeError,
        'createSubprocessExec(): `signal` must be an AbortSignal, got "x"',
      ),
    ],
  },
  {
    api: 'createSubprocessShell()',
    covers: 'createSubprocessShell',
    mode: 'async',
    cases: [
      bad(
        'command = 5',
        () => createSubprocessShell(5 as never),
        TypeError,
        'createSubprocessShell(): `command` must be a non-empty string, got 5',
      ),
      ...options({
        fn: 'createSubprocessShell()',
        call: (o) => createSubprocessShell('true', o as never),
        names: SUBPROCESS_NAMES,
        typo: ['stdot', 'stdout'],
      }),
    ],
  },
  {
    api: 'runProcess()',
    covers: 'runProcess',
    mode: 'async',
    cases: [
      bad(
        'args = "x"',
        () => runProcess('true', 'x' as never),
        TypeError,
        'runProcess(): `args` must be an array of strings, got "x"',
      ),
      ...options({
        fn: 'runProcess()',
        call: (o) => runProcess('true', [], o as never),
        names: [...SUBPROCESS_NAMES, 'input', 'check', 'capture'],
        typo: ['inputs', 'input'],
      }),
      bad(
        'input = 5',
        () => runProcess('true', [], { input: 5 as never }),
        TypeError,
        'runProcess(): `options.input` must be a Uint8Array or a string, got 5',
      ),
      bad(
        'check = "yes"',
        () => runProcess('true', [], { check: 'yes' as never }),
        TypeError,
        'runProcess(): `options.check` must be a boolean, got "yes"',
      ),
      bad(
        'capture = "yes"',
        () => runProcess('true', [], { capture: 'yes' as never }),
        TypeError,
        'runProcess(): `options.capture` must be a boolean or { stdout?, stderr? }, got "yes"',
      ),
      bad(
        'capture = { stdout: 1 }',
        () => runProcess('true', [], { capture: { stdout: 1 as never } }),
        TypeError,
        'runProcess(): `options.capture.stdout` must be a boolean, got 1',
      ),
      bad(
        'capture and stdout',
        () => runProcess('true', [], { capture: true, stdout: 'inherit' }),
        TypeError,
        'runProcess(): `options.capture` and `options.stdout` both say where stdout goes',
      ),
      bad(
        'input and stdin',
        () => runProcess('true', [], { input: 'x', stdin: 'inherit' }),
        TypeError,
        'runProcess(): `options.input` and `options.stdin` both say what stdin is',
      ),
    ],
  },
  {
    api: 'Process',
    covers: 'Process',
    mode: 'async',
    cases: [
      bad(
        'new Process()',
        () => new (Process as unknown as new () => unknown)(),
        TypeError,
        internal('Process', 'createSubprocessExec() or createSubprocessShell()'),
        'sync',
      ),
      ...signalOptions('Process.wait()', (o) => onProcess((p) => p.wait(o as never))),
      ...signalOptions('Process.communicate()', (o) =>
        onProcess((p) => p.communicate(undefined, o as never)),
      ),
      bad(
        'communicate(5)',
        () => onProcess((p) => p.communicate(5 as never)),
        TypeError,
        'Process.communicate(): `input` must be a Uint8Array or a string, got 5',
      ),
    ],
  },
  {
    api: 'new WorkerPool()',
    covers: 'WorkerPool',
    mode: 'sync',
    cases: [
      ...options({
        fn: 'new WorkerPool()',
        call: (o) => new WorkerPool(o as never),
        names: [
          'filename',
          'minThreads',
          'maxThreads',
          'maxQueue',
          'idleTimeout',
          'cancel',
          'cancelGrace',
        ],
        typo: ['maxThread', 'maxThreads'],
        base: { filename: JOBS },
      }),
      bad(
        'filename = "./job.js"',
        () => new WorkerPool({ filename: './job.js' }),
        TypeError,
        'new WorkerPool(): `options.filename` must be an absolute path or a file: URL (new URL(\'./job.js\', import.meta.url)), got "./job.js"',
      ),
      bad(
        'filename = a missing file',
        () => new WorkerPool({ filename: '/no/such/job.js' }),
        TypeError,
        'new WorkerPool(): `options.filename` names no file: /no/such/job.js does not exist',
      ),
      bad(
        'maxThreads = 0',
        () => new WorkerPool({ filename: JOBS, maxThreads: 0 }),
        RangeError,
        integer('new WorkerPool()', 'options.maxThreads', 1, '0'),
      ),
      bad(
        'minThreads > maxThreads',
        () => new WorkerPool({ filename: JOBS, minThreads: 3, maxThreads: 2 }),
        RangeError,
        'new WorkerPool(): `options.minThreads` (3) must not exceed `options.maxThreads` (2)',
      ),
      bad(
        'maxQueue = -1',
        () => new WorkerPool({ filename: JOBS, maxQueue: -1 }),
        RangeError,
        integer('new WorkerPool()', 'options.maxQueue', 0, '-1'),
      ),
      bad(
        'idleTimeout = NaN',
        () => new WorkerPool({ filename: JOBS, idleTimeout: Number.NaN }),
        RangeError,
        delay('new WorkerPool()', 'options.idleTimeout', 'NaN'),
      ),
      bad(
        'cancel = "later"',
        () => new WorkerPool({ filename: JOBS, cancel: 'later' as never }),
        RangeError,
        'new WorkerPool(): `options.cancel` must be one of "cooperative", "terminate" or "abandon", got "later"',
      ),
      bad(
        'cancelGrace = -1',
        () => new WorkerPool({ filename: JOBS, cancelGrace: -1 }),
        RangeError,
        delay('new WorkerPool()', 'options.cancelGrace', '-1'),
      ),
    ],
  },
  {
    api: 'WorkerPool.run()',
    covers: 'WorkerPool',
    mode: 'async',
    cases: [
      ...options({
        fn: 'WorkerPool.run()',
        call: (o) => onPool((pool) => pool.run(1, o as never)),
        names: ['name', 'transfer', 'signal', 'cancel'],
        typo: ['nmae', 'name'],
      }),
      bad(
        'name = 5',
        () => onPool((pool) => pool.run(1, { name: 5 as never })),
        TypeError,
        'WorkerPool.run(): `options.name` must be a string, got 5',
      ),
      bad(
        'transfer = "x"',
        () => onPool((pool) => pool.run(1, { transfer: 'x' as never })),
        TypeError,
        'WorkerPool.run(): `options.transfer` must be an array, got "x"',
      ),
      bad(
        'cancel = 5',
        () => onPool((pool) => pool.run(1, { cancel: 5 as never })),
        TypeError,
        'WorkerPool.run(): `options.cancel` must be one of "cooperative", "terminate" or "abandon", got 5',
      ),
      bad(
        'signal = "x"',
        () => onPool((pool) => pool.run(1, { signal: 'x' as never })),
        TypeError,
        'WorkerPool.run(): `signal` must be an AbortSignal, got "x"',
      ),
    ],
  },
  {
    api: 'workerFunction()',
    covers: 'workerFunction',
    mode: 'sync',
    cases: [
      bad(
        'module = "job.js"',
        () => workerFunction('job.js', 'f'),
        TypeError,
        'workerFunction(): `module` must be an absolute path or a file: URL (new URL(\'./job.js\', import.meta.url)), got "job.js"',
      ),
      bad(
        'exportName = ""',
        () => workerFunction(JOBS, ''),
        TypeError,
        'workerFunction(): `exportName` must be a non-empty string, got ""',
      ),
      ...options({
        fn: 'workerFunction()',
        call: (o) => workerFunction(JOBS, 'add', o as never),
        names: ['pool', 'cancel'],
        typo: ['pol', 'pool'],
      }),
      bad(
        'pool = {}',
        () => workerFunction(JOBS, 'add', { pool: {} as never }),
        TypeError,
        'workerFunction(): `options.pool` must be a WorkerPool, got an object',
      ),
    ],
  },
);

// corio/redis checks every argument before it sends a command, so a stub client
// that answers every command at once stands in for Redis here (the module's
// behaviour is tested against a real redis-server in test/redis/). A script
// call answers as a fetch does: one entry, so get() hands out a Delivery.
const stubClient = (): NodeRedisClient => {
  const client: NodeRedisClient = {
    sendCommand: (args) =>
      Promise.resolve(
        args[0] === 'INFO'
          ? 'redis_version:7.0.15'
          : args[0] === 'EVALSHA'
            ? [['1-0', ['v', '1'], 1]]
            : 'OK',
      ),
    duplicate: () => client,
    connect: () => Promise.resolve(),
    destroy: () => {},
    on: () => client,
    SUBSCRIBE: () => Promise.resolve(),
  };
  return client;
};
const workQueue = (): Promise<WorkQueue<number>> =>
  openWorkQueue<number>({ client: stubClient(), name: 'bad-input' });
const onQueue = (fn: (queue: WorkQueue<number>) => unknown) => async (): Promise<unknown> => {
  const queue = await workQueue();
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
};
const onDelivery = (fn: (job: Delivery<number>) => unknown) => async (): Promise<unknown> => {
  const queue = await workQueue();
  try {
    return await fn(await queue.get());
  } finally {
    await queue.close();
  }
};
const OPEN = { client: stubClient(), name: 'q' };

entries.push(
  // ---- corio/redis ----
  {
    api: 'openWorkQueue()',
    covers: 'openWorkQueue',
    mode: 'async',
    cases: [
      ...options({
        fn: 'openWorkQueue()',
        call: (o) => openWorkQueue(o as never),
        names: [
          'client',
          'name',
          'group',
          'consumer',
          'visibilityTimeout',
          'heartbeat',
          'maxDeliveries',
          'maxsize',
          'codec',
        ],
        typo: ['maxDelivery', 'maxDeliveries'],
        base: OPEN,
      }),
      bad(
        'client = {}',
        () => openWorkQueue({ ...OPEN, client: {} as never }),
        TypeError,
        'openWorkQueue(): `options.client` must be a node-redis client (createClient() of @redis/client), got an object',
      ),
      bad(
        'name = 5',
        () => openWorkQueue({ ...OPEN, name: 5 as never }),
        TypeError,
        'openWorkQueue(): `options.name` must be a string, got 5',
      ),
      bad(
        'name = ""',
        () => openWorkQueue({ ...OPEN, name: '' }),
        RangeError,
        'openWorkQueue(): `options.name` must be a non-empty string without braces, got ""',
      ),
      bad(
        'name = "a{b}"',
        () => openWorkQueue({ ...OPEN, name: 'a{b}' }),
        RangeError,
        'openWorkQueue(): `options.name` must be a non-empty string without braces, got "a{b}"',
      ),
      bad(
        'group = ""',
        () => openWorkQueue({ ...OPEN, group: '' }),
        RangeError,
        'openWorkQueue(): `options.group` must be a non-empty string, got ""',
      ),
      bad(
        'consumer = 5',
        () => openWorkQueue({ ...OPEN, consumer: 5 as never }),
        TypeError,
        'openWorkQueue(): `options.consumer` must be a string, got 5',
      ),
      bad(
        'visibilityTimeout = 5',
        () => openWorkQueue({ ...OPEN, visibilityTimeout: 5 }),
        RangeError,
        "openWorkQueue(): `options.visibilityTimeout` must be a number >= 10 and <= 2147483647 (a host timer's limit, about 24.8 days), got 5",
      ),
      bad(
        'visibilityTimeout = Infinity',
        () => openWorkQueue({ ...OPEN, visibilityTimeout: Infinity }),
        RangeError,
        "openWorkQueue(): `options.visibilityTimeout` must be a number >= 10 and <= 2147483647 (a host timer's limit, about 24.8 days), got Infinity",
      ),
      bad(
        'visibilityTimeout = "30s"',
        () => openWorkQueue({ ...OPEN, visibilityTimeout: '30s' as never }),
        TypeError,
        'openWorkQueue(): `options.visibilityTimeout` must be a number >= 10 and <= 2147483647 (a host timer\'s limit, about 24.8 days), got "30s"',
      ),
      bad(
        'visibilityTimeout = 1e10',
        () => openWorkQueue({ ...OPEN, visibilityTimeout: 1e10 }),
        RangeError,
        "openWorkQueue(): `options.visibilityTimeout` must be a number >= 10 and <= 2147483647 (a host timer's limit, about 24.8 days), got 10000000000",
      ),
      bad(
        'heartbeat = 0',
        () => openWorkQueue({ ...OPEN, heartbeat: 0 }),
        RangeError,
        "openWorkQueue(): `options.heartbeat` must be a number >= 1 and <= 2147483647 (a host timer's limit, about 24.8 days), got 0",
      ),
      bad(
        'heartbeat as long as the visibility timeout',
        () => openWorkQueue({ ...OPEN, visibilityTimeout: 100, heartbeat: 100 }),
        RangeError,
        'openWorkQueue(): `options.heartbeat` must be shorter than the visibility timeout (100 ms), got 100',
      ),
      bad(
        'maxDeliveries = 0',
        () => openWorkQueue({ ...OPEN, maxDeliveries: 0 }),
        RangeError,
        size('openWorkQueue()', 'options.maxDeliveries', 1, '0'),
      ),
      bad(
        'maxsize = -1',
        () => openWorkQueue({ ...OPEN, maxsize: -1 }),
        RangeError,
        size('openWorkQueue()', 'options.maxsize', 0, '-1'),
      ),
      bad(
        'maxsize = 1.5',
        () => openWorkQueue({ ...OPEN, maxsize: 1.5 }),
        RangeError,
        size('openWorkQueue()', 'options.maxsize', 0, '1.5'),
      ),
      bad(
        'codec = JSON.stringify',
        () => openWorkQueue({ ...OPEN, codec: JSON.stringify as never }),
        TypeError,
        'openWorkQueue(): `options.codec` must be a codec ({ encode, decode }), got a function',
      ),
      bad(
        'a codec without decode',
        () => openWorkQueue({ ...OPEN, codec: { encode: String } as never }),
        TypeError,
        fnArg('openWorkQueue()', 'options.codec.decode', 'undefined'),
      ),
    ],
  },
  {
    api: 'WorkQueue',
    covers: 'WorkQueue',
    mode: 'async',
    cases: [
      bad(
        'new WorkQueue()',
        () => new (WorkQueue as unknown as new (...a: unknown[]) => unknown)(Symbol(), OPEN),
        TypeError,
        internal('WorkQueue', 'openWorkQueue()'),
        'sync',
      ),
      ...options({
        fn: 'WorkQueue.put()',
        call: (o) => onQueue((q) => q.put(1, o as never))(),
        names: ['id', 'signal'],
        typo: ['ids', 'id'],
      }),
      bad(
        'put(1, { id: 5 })',
        onQueue((q) => q.put(1, { id: 5 as never })),
        TypeError,
        'WorkQueue.put(): `options.id` must be a string, got 5',
      ),
      bad(
        'put(1, { id: "" })',
        onQueue((q) => q.put(1, { id: '' })),
        RangeError,
        'WorkQueue.put(): `options.id` must be a non-empty string, got ""',
      ),
      bad(
        'put(1, { signal: "x" })',
        onQueue((q) => q.put(1, { signal: 'x' as never })),
        TypeError,
        'WorkQueue.put(): `signal` must be an AbortSignal, got "x"',
      ),
      bad(
        'put(undefined) with the JSON codec',
        onQueue((q) => q.put(undefined as never)),
        TypeError,
        'WorkQueue.put(): the codec must encode `value` as a string, got undefined (JSON has no undefined: put null, or give a codec)',
      ),
      ...signalOptions('WorkQueue.get()', (o) => onQueue((q) => q.get(o as never))()),
      ...signalOptions('WorkQueue.join()', (o) => onQueue((q) => q.join(o as never))()),
      ...options({
        fn: 'WorkQueue.shutdown()',
        call: (o) => onQueue((q) => q.shutdown(o as never))(),
        names: ['immediate'],
        typo: ['immediat', 'immediate'],
      }),
      bad(
        'shutdown({ immediate: "yes" })',
        onQueue((q) => q.shutdown({ immediate: 'yes' as never })),
        TypeError,
        'WorkQueue.shutdown(): `options.immediate` must be a boolean, got "yes"',
      ),
      bad(
        'serve("handler")',
        onQueue((q) => q.serve('handler' as never)),
        TypeError,
        fnArg('WorkQueue.serve()', 'handler', '"handler"'),
      ),
      ...options({
        fn: 'WorkQueue.serve()',
        call: (o) => onQueue((q) => q.serve(f, o as never))(),
        names: ['concurrency', 'backoff'],
        typo: ['concurency', 'concurrency'],
      }),
      bad(
        'serve(f, { concurrency: 0 })',
        onQueue((q) => q.serve(f, { concurrency: 0 })),
        RangeError,
        integer('WorkQueue.serve()', 'options.concurrency', 1, '0'),
      ),
      bad(
        'serve(f, { concurrency: Infinity })',
        onQueue((q) => q.serve(f, { concurrency: Infinity })),
        RangeError,
        integer('WorkQueue.serve()', 'options.concurrency', 1, 'Infinity'),
      ),
      bad(
        'serve(f, { backoff: 100 })',
        onQueue((q) => q.serve(f, { backoff: 100 as never })),
        TypeError,
        fnArg('WorkQueue.serve()', 'options.backoff', '100'),
      ),
      bad(
        'cancel()',
        onQueue((q) => (q.cancel as (id?: string) => unknown)()),
        TypeError,
        'WorkQueue.cancel(): `id` must be a string, got undefined',
      ),
      bad(
        'cancel("")',
        onQueue((q) => q.cancel('')),
        RangeError,
        'WorkQueue.cancel(): `id` must be a non-empty string, got ""',
      ),
      bad(
        'cancel("x", 5)',
        onQueue((q) => q.cancel('x', 5 as never)),
        TypeError,
        'WorkQueue.cancel(): `reason` must be a string, got 5',
      ),
      bad(
        'taskDone({})',
        onQueue((q) => q.taskDone({} as never)),
        TypeError,
        'WorkQueue.taskDone(): `delivery` must be a Delivery, got an object',
      ),
    ],
  },
  {
    api: 'Delivery',
    covers: 'Delivery',
    mode: 'async',
    cases: [
      bad(
        'new Delivery()',
        () => new (Delivery as unknown as new (...a: unknown[]) => unknown)(Symbol()),
        TypeError,
        internal('Delivery', 'WorkQueue.get()'),
        'sync',
      ),
      ...options({
        fn: 'Delivery.nack()',
        call: (o) => onDelivery((d) => d.nack(o as never))(),
        names: ['delay', 'reason'],
        typo: ['dealy', 'delay'],
      }),
      bad(
        'nack({ delay: -1 })',
        onDelivery((d) => d.nack({ delay: -1 })),
        RangeError,
        'Delivery.nack(): `options.delay` must be a number >= 0, got -1',
      ),
      bad(
        'nack({ reason: 5 })',
        onDelivery((d) => d.nack({ reason: 5 as never })),
        TypeError,
        'Delivery.nack(): `options.reason` must be a string, got 5',
      ),
    ],
  },
);

// Exports that take no input, or that corio does not check, and why.
const unchecked: Readonly<Record<string, string>> = {
  // Errors: errors.ts imports nothing from corio (STYLE "Folder layout"), and
  // they take what Error and AggregateError take.
  CancelledError: 'an error class',
  TimeoutError: 'an error class',
  InvalidStateError: 'an error class',
  DeadlockError: 'an error class',
  ExceptionGroup: 'an error class',
  BrokenBarrierError: 'an error class',
  QueueEmpty: 'an error class',
  QueueFull: 'an error class',
  QueueShutDown: 'an error class',
  EndOfChannel: 'an error class',
  ClosedResourceError: 'an error class',
  BrokenResourceError: 'an error class',
  WouldBlock: 'an error class',
  LeaseLostError: 'an error class',
  SuppressedError: "the platform's class where there is one",
  // No arguments, or any value is fine.
  checkpoint: 'takes no arguments',
  currentEffectiveDeadline: 'takes no arguments',
  currentTask: 'takes no arguments',
  allTasks: 'takes no arguments',
  getRunningLoop: 'takes no arguments',
  waitAllTasksBlocked: 'takes no arguments',
  isCancellation: 'takes any value',
  SystemClock: 'takes no arguments',
  // Made by the kernel on hot paths (a timer per sleep, a guard per acquire):
  // their constructors are internal and unchecked, on purpose.
  Handle: 'made by EventLoop.callSoon()',
  TimerHandle: 'made by EventLoop.callLater()',
  Guard: 'made by acquire()',
  // Made by the kernel for a Scheduler (setScheduler()), one per held step.
  ScheduledStep: 'made by the kernel for a Scheduler',
  // corio/lowlevel's kernel primitives: every layer above the kernel calls them
  // on its hot paths (a suspension per wait, a timer per timeout), so they
  // trust their callers, as the kernel's internals do.
  awaitPromise: 'a kernel primitive',
  cancelAndJoin: 'a kernel primitive',
  enterWait: 'checks what it is given: the opening of every waiting method',
  // Introspection: read by task trees and debug mode, given kernel objects.
  tasksOf: 'a kernel primitive',
  taskFailed: 'a kernel primitive',
  taskError: 'a kernel primitive',
  waitsOf: 'a kernel primitive',
  parentTaskOf: 'a kernel primitive',
  taskStartTime: 'a kernel primitive',
  cancelReasonOf: 'a kernel primitive',
  cancelShieldedCheckpoint: 'takes no arguments',
  cancelTask: 'a kernel primitive',
  CancelNode: 'a kernel primitive',
  currentCancelNode: 'takes no arguments',
  currentLoop: 'takes no arguments',
  fail: 'a kernel primitive',
  hostOf: 'a kernel primitive',
  park: 'a kernel primitive',
  parkThen: 'a kernel primitive',
  rejected: 'takes any value',
  resumed: 'a kernel primitive',
  retrieveOutcome: 'a kernel primitive',
  setTimer: 'a kernel primitive',
  Suspension: 'a kernel primitive',
  suspend: 'a kernel primitive',
  taskOutcome: 'a kernel primitive',
  throwIfCancelled: 'a kernel primitive',
  unwatchTask: 'a kernel primitive',
  wake: 'a kernel primitive',
  watchTask: 'a kernel primitive',
  // corio/node's errors: made by the readers that throw them.
  CalledProcessError: 'made by runProcess',
  checkCancelled: 'takes no arguments',
  workerSignal: 'takes no arguments',
  BusyResourceError: 'made by StreamReader',
  IncompleteReadError: 'made by StreamReader',
  LimitOverrunError: 'made by StreamReader',
};

async function attempt(c: Case, mode: Mode): Promise<string | null> {
  const judge = (error: unknown): string | null => {
    if (!(error instanceof Error)) return `threw a non-error: ${String(error)}`;
    if (Object.getPrototypeOf(error) !== c.error.prototype) {
      return `threw ${error.name}: ${error.message} (wanted a ${c.error.name})`;
    }
    return c.message.test(error.message) ? null : `threw ${error.name}: ${error.message}`;
  };
  // In a scope of its own, so that a call that is wrongly accepted and then
  // waits forever is cut short (in virtual time) instead of hanging the test.
  const verdict = await moveOnAfter(60_000, async () => {
    let result: unknown;
    try {
      result = c.call();
    } catch (error) {
      return mode === 'sync' ? judge(error) : `threw synchronously: ${String(error)}`;
    }
    if (mode === 'sync') {
      // A sync API must throw; a promise it returned must not go unhandled.
      if (result instanceof Promise) result.catch(() => {});
      return 'returned instead of throwing';
    }
    if (!(result instanceof Promise)) return 'returned instead of a promise';
    try {
      await result;
    } catch (error) {
      return judge(error);
    }
    return 'resolved instead of rejecting';
  });
  return verdict === undefined ? 'was accepted and still waits' : verdict;
}

for (const entry of entries) {
  test(`${entry.api} rejects bad input, naming the argument`, () =>
    vrun(async () => {
      const failures: string[] = [];
      for (const c of entry.cases) {
        const failure = await attempt(c, c.mode ?? entry.mode);
        if (failure !== null) failures.push(`${c.what}: ${failure}`);
      }
      assert.deepEqual(failures, []);
    }));
}

test('the table covers every export that takes input', async (t) => {
  const covered = new Set(entries.map((e) => e.covers));
  const missing: string[] = [];
  for (const subpath of [
    'corio',
    'corio/iter',
    'corio/testing',
    'corio/trace',
    'corio/lowlevel',
    'corio/node',
    'corio/node/worker',
    'corio/redis',
  ]) {
    const module = (await import(subpath)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== 'function') continue;
      if (!covered.has(name) && unchecked[name] === undefined) missing.push(`${subpath}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
  const calls = entries.reduce((n, e) => n + e.cases.length, 0);
  // The entry points, as the messages name them: `Lock.acquire()`, `CancelScope.deadline`.
  const named = new Set(
    entries.flatMap((e) =>
      e.cases.map((c) => c.message.source.replace(/\\/g, '').replace(/^\^(.*?): .*$/, '$1')),
    ),
  );
  t.diagnostic(`${named.size} entry points, ${calls} bad calls`);
  assert.ok(calls >= 600, `${calls} bad calls`);
});
