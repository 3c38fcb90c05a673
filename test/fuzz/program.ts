/**
 * The fuzzer's programs: what a randomized cancellation program is made of, the
 * fast-check arbitraries that generate (and shrink) them, and a compact printer
 * for counterexamples.
 *
 * A program is a few workers, each running a short script of operations on a
 * shared set of primitives (one of each kind, configured at random), plus
 * cancellations: at set times (`cancels`), from a task's done callback (`links`),
 * and at hand-off moments: an operation's `then` cancels a task right after it
 * released, put, got, sent, received, notified or set something, in the same
 * synchronous step, a microtask later, on the next loop turn or from a zero-delay
 * timer. Every operation that waits may also get a `signal` that aborts `abortAt`
 * ms after it starts. Each program draws from a few families, so the ones it
 * uses are contended.
 */
import fc from 'fast-check';

/** The groups of operations a program draws from. */
export const FAMILIES = [
  'lock',
  'semaphore',
  'limiter',
  'condition',
  'event',
  'barrier',
  'queue',
  'channel',
  'pool',
  'group',
  'combinator',
  'iter',
] as const;
export type Family = (typeof FAMILIES)[number];

/**
 * A cancellation made right after a hand-off: of the task the hand-off woke
 * (`'woken'`: the first task waiting on that primitive), or of the task at
 * `target` (mod the task count).
 */
export interface Handoff {
  readonly target: number | 'woken';
  readonly how: 'sync' | 'micro' | 'soon' | 'timer0';
}

type Then = Handoff | null;
type AbortAt = number | null;

export type Leaf =
  | { readonly op: 'sleep'; readonly ms: number }
  | { readonly op: 'checkpoint' }
  | { readonly op: 'fail' }
  | {
      readonly op: 'lock' | 'sem' | 'limiter';
      readonly hold: number;
      readonly then: Then;
      readonly abortAt: AbortAt;
    }
  | { readonly op: 'condWait'; readonly then: Then; readonly abortAt: AbortAt }
  | {
      readonly op: 'condNotify';
      readonly before: number;
      readonly after: number;
      readonly all: boolean;
      readonly then: Then;
    }
  | { readonly op: 'eventWait'; readonly abortAt: AbortAt }
  | { readonly op: 'eventSet'; readonly then: Then }
  | { readonly op: 'eventClear' }
  | { readonly op: 'barrierWait'; readonly then: Then; readonly abortAt: AbortAt }
  | { readonly op: 'barrierAbort' | 'barrierReset' }
  | {
      readonly op: 'put' | 'get' | 'send' | 'recv';
      readonly nowait: boolean;
      readonly then: Then;
      readonly abortAt: AbortAt;
    }
  | {
      // A put, then (in the same step as its hand-off) shutdown({ immediate: true }).
      readonly op: 'putShutdown';
      readonly then: Then;
    }
  | { readonly op: 'shutdown'; readonly immediate: boolean }
  | { readonly op: 'join'; readonly abortAt: AbortAt }
  | { readonly op: 'recvAll'; readonly most: number; readonly then: Then }
  | { readonly op: 'clone' | 'close'; readonly end: 'send' | 'recv' }
  | {
      readonly op: 'pool';
      readonly hold: number;
      readonly discard: boolean;
      readonly use: boolean;
      readonly then: Then;
      readonly abortAt: AbortAt;
    }
  | {
      readonly op: 'map';
      readonly n: number;
      readonly concurrency: number;
      readonly ordered: boolean;
      readonly itemMs: number;
      readonly fnMs: number;
      readonly breakAfter: number | null;
    }
  | {
      readonly op: 'forEach';
      readonly n: number;
      readonly concurrency: number;
      readonly itemMs: number;
      readonly fnMs: number;
    }
  | {
      readonly op: 'merge';
      readonly sources: readonly { readonly n: number; readonly ms: number }[];
      readonly breakAfter: number | null;
    }
  | {
      readonly op: 'buffer' | 'chunk';
      readonly n: number;
      readonly size: number;
      readonly within: number;
      readonly itemMs: number;
      readonly consumeMs: number;
      readonly breakAfter: number | null;
    };

export type ScopeHow =
  | 'cleanup'
  | 'moveOnAfter'
  | 'timeout'
  | 'waitFor'
  | 'waitForTask'
  | 'cancelScope'
  | 'shield';

export type Op =
  | Leaf
  | {
      readonly op: 'scope';
      readonly how: ScopeHow;
      readonly ms: number;
      readonly body: readonly Op[];
    }
  | {
      readonly op: 'group';
      readonly body: readonly Op[];
      readonly children: readonly (readonly Op[])[];
      readonly start: readonly Op[] | null;
      readonly cancel: boolean;
    }
  | { readonly op: 'gather'; readonly children: Scripts; readonly returnExceptions: boolean }
  | {
      readonly op: 'wait';
      readonly children: Scripts;
      readonly returnWhen: 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';
      readonly timeout: number | null;
    }
  | {
      readonly op: 'asCompleted';
      readonly children: Scripts;
      readonly dup: boolean;
      readonly leaveAfter: number | null;
      readonly timeout: number | null;
    }
  | { readonly op: 'race'; readonly children: Scripts };

type Scripts = readonly (readonly Op[])[];

export interface Config {
  readonly permits: number;
  readonly bounded: boolean;
  readonly tokens: number;
  readonly parties: number;
  readonly queueKind: 'fifo' | 'lifo' | 'priority';
  readonly maxsize: number;
  readonly capacity: number;
  readonly poolMax: number;
  readonly createMs: number;
  readonly validateMs: number | null;
  readonly invalidEvery: number;
  readonly destroyMs: number;
}

export interface Program {
  readonly families: readonly Family[];
  readonly config: Config;
  readonly workers: readonly (readonly Op[])[];
  readonly cancels: readonly {
    readonly target: number;
    readonly at: number;
    readonly scope: boolean;
  }[];
  readonly links: readonly { readonly from: number; readonly to: number }[];
  /** Start the workers eagerly (`createTask(fn, { eager: true })`). */
  readonly eager: boolean;
}

const ms = (max: number) => fc.integer({ min: 0, max });
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: arb, weight: 1 });
const then: fc.Arbitrary<Then> = fc.option(
  fc.record({
    target: fc.oneof(fc.constant('woken' as const), fc.nat({ max: 9 })),
    how: fc.constantFrom('sync' as const, 'micro' as const, 'soon' as const, 'timer0' as const),
  }),
  { nil: null, freq: 2 },
);
const abortAt = rarely(ms(6));
const nowait = fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, fc.constant(true));

const config: fc.Arbitrary<Config> = fc.record({
  permits: fc.integer({ min: 1, max: 3 }),
  bounded: fc.boolean(),
  tokens: fc.integer({ min: 1, max: 3 }),
  parties: fc.integer({ min: 2, max: 3 }),
  queueKind: fc.constantFrom('fifo' as const, 'lifo' as const, 'priority' as const),
  maxsize: fc.integer({ min: 0, max: 3 }),
  capacity: fc.integer({ min: 0, max: 2 }),
  poolMax: fc.integer({ min: 1, max: 2 }),
  createMs: ms(2),
  validateMs: fc.option(ms(2), { nil: null }),
  invalidEvery: fc.constantFrom(0, 2, 3),
  destroyMs: ms(2),
});

type W<T> = fc.WeightedArbitrary<T>;
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>): W<T> => ({ arbitrary, weight });

function leavesOf(family: Family): W<Leaf>[] {
  switch (family) {
    case 'lock':
    case 'semaphore':
    case 'limiter': {
      const op = ({ lock: 'lock', semaphore: 'sem', limiter: 'limiter' } as const)[family];
      return [w(4, fc.record({ op: fc.constant(op), hold: ms(4), then, abortAt }))];
    }
    case 'condition':
      return [
        w(3, fc.record({ op: fc.constant('condWait' as const), then, abortAt })),
        w(
          3,
          fc.record({
            op: fc.constant('condNotify' as const),
            before: ms(2),
            after: ms(3),
            all: fc.boolean(),
            then,
          }),
        ),
      ];
    case 'event':
      return [
        w(3, fc.record({ op: fc.constant('eventWait' as const), abortAt })),
        w(2, fc.record({ op: fc.constant('eventSet' as const), then })),
        w(1, fc.constant({ op: 'eventClear' as const })),
      ];
    case 'barrier':
      return [
        w(4, fc.record({ op: fc.constant('barrierWait' as const), then, abortAt })),
        w(1, fc.constantFrom({ op: 'barrierAbort' as const }, { op: 'barrierReset' as const })),
      ];
    case 'queue':
      return [
        w(3, fc.record({ op: fc.constant('put' as const), nowait, then, abortAt })),
        w(3, fc.record({ op: fc.constant('get' as const), nowait, then, abortAt })),
        w(1, fc.record({ op: fc.constant('shutdown' as const), immediate: fc.boolean() })),
        w(1, fc.record({ op: fc.constant('putShutdown' as const), then })),
        w(1, fc.record({ op: fc.constant('join' as const), abortAt })),
      ];
    case 'channel':
      return [
        w(3, fc.record({ op: fc.constant('send' as const), nowait, then, abortAt })),
        w(3, fc.record({ op: fc.constant('recv' as const), nowait, then, abortAt })),
        w(
          1,
          fc.record({
            op: fc.constant('recvAll' as const),
            most: fc.integer({ min: 1, max: 3 }),
            then,
          }),
        ),
        w(
          1,
          fc.record({
            op: fc.constantFrom('clone' as const, 'close' as const),
            end: fc.constantFrom('send' as const, 'recv' as const),
          }),
        ),
      ];
    case 'pool':
      return [
        w(
          4,
          fc.record({
            op: fc.constant('pool' as const),
            hold: ms(3),
            discard: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, fc.constant(true)),
            use: fc.boolean(),
            then,
            abortAt,
          }),
        ),
      ];
    case 'iter':
      return iterLeaves();
    case 'group':
    case 'combinator':
      return [];
  }
}

function iterLeaves(): W<Leaf>[] {
  const n = fc.integer({ min: 0, max: 5 });
  const breakAfter = rarely(fc.integer({ min: 0, max: 4 }));
  return [
    w(
      1,
      fc.record({
        op: fc.constant('map' as const),
        n,
        concurrency: fc.integer({ min: 1, max: 3 }),
        ordered: fc.boolean(),
        itemMs: ms(2),
        fnMs: ms(4),
        breakAfter,
      }),
    ),
    w(
      1,
      fc.record({
        op: fc.constant('forEach' as const),
        n,
        concurrency: fc.integer({ min: 1, max: 3 }),
        itemMs: ms(2),
        fnMs: ms(4),
      }),
    ),
    w(
      1,
      fc.record({
        op: fc.constant('merge' as const),
        sources: fc.array(fc.record({ n: fc.integer({ min: 0, max: 3 }), ms: ms(3) }), {
          minLength: 1,
          maxLength: 3,
        }),
        breakAfter,
      }),
    ),
    w(
      1,
      fc.record({
        op: fc.constantFrom('buffer' as const, 'chunk' as const),
        n,
        size: fc.integer({ min: 1, max: 3 }),
        within: fc.integer({ min: 1, max: 5 }),
        itemMs: ms(3),
        consumeMs: ms(3),
        breakAfter,
      }),
    ),
  ];
}

const common: W<Leaf>[] = [
  w(2, fc.record({ op: fc.constant('sleep' as const), ms: ms(4) })),
  w(1, fc.constant({ op: 'checkpoint' as const })),
  w(1, fc.constant({ op: 'fail' as const })),
];

const script = (op: fc.Arbitrary<Op>, max: number) =>
  fc.array(op, { minLength: 1, maxLength: max });

function scopeOf(body: fc.Arbitrary<readonly Op[]>, leafBody: fc.Arbitrary<readonly Op[]>) {
  return fc.oneof(
    fc.record({
      op: fc.constant('scope' as const),
      how: fc.constantFrom(
        'cleanup' as const,
        'moveOnAfter' as const,
        'timeout' as const,
        'waitFor' as const,
        'waitForTask' as const,
        'cancelScope' as const,
      ),
      ms: ms(8),
      body,
    }),
    // A shielded body stays on leaves, so a cancellation inside it can only be a direct one.
    fc.record({
      op: fc.constant('scope' as const),
      how: fc.constant('shield' as const),
      ms: fc.constant(0),
      body: leafBody,
    }),
  );
}

function structuresOf(families: readonly Family[], child: fc.Arbitrary<readonly Op[]>): W<Op>[] {
  const children = fc.array(child, { minLength: 1, maxLength: 3 });
  const out: W<Op>[] = [];
  if (families.includes('group')) {
    out.push(
      w(
        3,
        fc.record({
          op: fc.constant('group' as const),
          body: fc.array(fc.oneof(...common), { maxLength: 2 }),
          children,
          start: rarely(child),
          cancel: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, fc.constant(true)),
        }),
      ),
    );
  }
  if (families.includes('combinator')) {
    out.push(
      w(
        1,
        fc.record({ op: fc.constant('gather' as const), children, returnExceptions: fc.boolean() }),
      ),
      w(
        1,
        fc.record({
          op: fc.constant('wait' as const),
          children,
          returnWhen: fc.constantFrom(
            'FIRST_COMPLETED' as const,
            'FIRST_EXCEPTION' as const,
            'ALL_COMPLETED' as const,
          ),
          timeout: rarely(ms(6)),
        }),
      ),
      w(
        1,
        fc.record({
          op: fc.constant('asCompleted' as const),
          children,
          dup: fc.boolean(),
          leaveAfter: rarely(fc.integer({ min: 0, max: 2 })),
          timeout: rarely(ms(6)),
        }),
      ),
      w(1, fc.record({ op: fc.constant('race' as const), children })),
    );
  }
  return out;
}

/** The operations of a program restricted to `families`, nested at most two deep. */
export function opsOf(families: readonly Family[]): fc.Arbitrary<Op> {
  const leaves = [...families.flatMap(leavesOf), ...common];
  const leaf: fc.Arbitrary<Leaf> = fc.oneof(...leaves);
  const leafScript = script(leaf, 3);
  const inner: fc.Arbitrary<Op> = fc.oneof(w(6, leaf), w(1, scopeOf(leafScript, leafScript)));
  const innerScript = script(inner, 3);
  return fc.oneof(
    w(8, leaf),
    w(2, scopeOf(innerScript, leafScript)),
    ...structuresOf(families, innerScript),
  );
}

/**
 * Programs over `families` (default: a random one to three of all families).
 * `scale` multiplies the most workers, operations per script and timed
 * cancellations: larger programs, more interleavings, slower runs.
 */
export function programs(families?: readonly Family[], scale = 1): fc.Arbitrary<Program> {
  const chosen =
    families === undefined
      ? fc.subarray([...FAMILIES], { minLength: 1, maxLength: 3 })
      : fc.constant(families);
  return chosen.chain((fams) =>
    fc.record({
      families: fc.constant(fams),
      config,
      workers: fc.array(script(opsOf(fams), 6 * scale), { minLength: 2, maxLength: 5 * scale }),
      cancels: fc.array(
        fc.record({ target: fc.nat({ max: 9 * scale }), at: ms(40), scope: fc.boolean() }),
        { maxLength: 4 * scale },
      ),
      links: fc.array(fc.record({ from: fc.nat({ max: 4 }), to: fc.nat({ max: 9 }) }), {
        maxLength: 1,
      }),
      eager: fc.boolean(),
    }),
  );
}

// ---- printing -------------------------------------------------------------

const thenText = (t: Then): string =>
  t === null ? '' : ` → cancel ${t.target === 'woken' ? 'the woken' : `#${t.target}`} ${t.how}`;
const abortText = (a: AbortAt): string => (a === null ? '' : ` [signal aborts +${a}]`);

function opText(o: Op, indent: string): string {
  const nested = (ops: readonly Op[]) => ops.map((x) => opText(x, `${indent}  `)).join('\n');
  const deeper = (ops: readonly Op[]) => ops.map((x) => opText(x, `${indent}    `)).join('\n');
  const kids = (scripts: Scripts) =>
    scripts.map((s, i) => `${indent}  child ${i}:\n${deeper(s)}`).join('\n');
  switch (o.op) {
    case 'sleep':
      return `${indent}sleep(${o.ms})`;
    case 'checkpoint':
    case 'fail':
    case 'eventClear':
    case 'barrierAbort':
    case 'barrierReset':
      return `${indent}${o.op}`;
    case 'lock':
    case 'sem':
    case 'limiter':
      return `${indent}${o.op} hold ${o.hold}${abortText(o.abortAt)}${thenText(o.then)}`;
    case 'condWait':
      return `${indent}condWait${abortText(o.abortAt)}${thenText(o.then)}`;
    case 'condNotify':
      return `${indent}condNotify${o.all ? 'All' : ''} (hold ${o.before}+${o.after})${thenText(o.then)}`;
    case 'eventWait':
      return `${indent}eventWait${abortText(o.abortAt)}`;
    case 'eventSet':
      return `${indent}eventSet${thenText(o.then)}`;
    case 'barrierWait':
      return `${indent}barrierWait${abortText(o.abortAt)}${thenText(o.then)}`;
    case 'put':
    case 'get':
    case 'send':
    case 'recv':
      return `${indent}${o.op}${o.nowait ? 'Nowait' : ''}${abortText(o.abortAt)}${thenText(o.then)}`;
    case 'shutdown':
      return `${indent}shutdown${o.immediate ? '({ immediate: true })' : ''}`;
    case 'putShutdown':
      return `${indent}put${thenText(o.then)}, shutdown({ immediate: true })`;
    case 'clone':
    case 'close':
      return `${indent}${o.op} ${o.end} end`;
    case 'join':
      return `${indent}join${abortText(o.abortAt)}`;
    case 'recvAll':
      return `${indent}for await of the receive end (at most ${o.most})${thenText(o.then)}`;
    case 'pool':
      return `${indent}pool.${o.use ? 'use' : 'acquire'} hold ${o.hold}${o.discard ? ' discard' : ''}${abortText(o.abortAt)}${thenText(o.then)}`;
    case 'map':
    case 'forEach':
    case 'merge':
    case 'buffer':
    case 'chunk': {
      const { op, ...rest } = o;
      return `${indent}${op} ${JSON.stringify(rest)}`;
    }
    case 'scope':
      return o.how === 'cleanup'
        ? `${indent}try {\n${nested(o.body)}\n${indent}} finally { shielded sleep(${o.ms}) }`
        : `${indent}${o.how}(${o.how === 'shield' ? '' : o.ms}) {\n${nested(o.body)}\n${indent}}`;
    case 'group':
      return [
        `${indent}taskGroup${o.cancel ? ' (tg.cancel() after body)' : ''} {`,
        ...(o.start === null ? [] : [`${indent}  started child:\n${deeper(o.start)}`]),
        kids(o.children),
        `${indent}  body:${o.body.length === 0 ? ' (empty)' : `\n${deeper(o.body)}`}`,
        `${indent}}`,
      ].join('\n');
    case 'gather':
      return `${indent}gather${o.returnExceptions ? ' (returnExceptions)' : ''} {\n${kids(o.children)}\n${indent}}`;
    case 'wait':
      return `${indent}wait ${o.returnWhen}${o.timeout === null ? '' : ` timeout ${o.timeout}`} {\n${kids(o.children)}\n${indent}}`;
    case 'asCompleted':
      return `${indent}asCompleted${o.dup ? ' (first task twice)' : ''}${o.leaveAfter === null ? '' : ` leave after ${o.leaveAfter}`}${o.timeout === null ? '' : ` timeout ${o.timeout}`} {\n${kids(o.children)}\n${indent}}`;
    case 'race':
      return `${indent}race {\n${kids(o.children)}\n${indent}}`;
  }
}

/** A program as readable text, for failure reports. */
export function formatProgram(p: Program): string {
  const lines = [
    `families: ${p.families.join(', ')}${p.eager ? ' (workers start eagerly)' : ''}`,
    `config: ${JSON.stringify(p.config)}`,
  ];
  p.workers.forEach((s, i) => {
    lines.push(`worker ${i}:`, ...s.map((o) => opText(o, '  ')));
  });
  for (const c of p.cancels) {
    lines.push(`at t=${c.at}: cancel ${c.scope ? 'cancelScope' : 'task'} #${c.target}`);
  }
  for (const l of p.links) lines.push(`when worker ${l.from} ends: cancel task #${l.to}`);
  return lines.join('\n');
}
