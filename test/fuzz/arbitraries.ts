/**
 * The fast-check arbitraries that generate (and shrink) the fuzzer's programs:
 * small durations so events collide in virtual time, hand-off cancellations on
 * half the operations that hand something over, and programs that draw from one
 * to three families so the primitives they use are contended.
 */
import fc from 'fast-check';
import {
  type Config,
  FAMILIES,
  type Family,
  type Leaf,
  type Op,
  type Program,
  type Then,
} from './program.js';

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
      return [
        w(4, fc.record({ op: fc.constant(op), hold: ms(4), run: fc.boolean(), then, abortAt })),
      ];
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
        op: fc.constant('pipeline' as const),
        n,
        itemMs: ms(2),
        stages: fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('buffer' as const),
              size: fc.integer({ min: 1, max: 2 }),
            }),
            fc.record({
              kind: fc.constant('map' as const),
              concurrency: fc.integer({ min: 1, max: 3 }),
              ms: ms(3),
            }),
          ),
          { minLength: 2, maxLength: 3 },
        ),
        consumeMs: ms(2),
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
