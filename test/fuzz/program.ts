/**
 * The fuzzer's programs: what a randomized cancellation program is made of
 * (`arbitraries.ts` generates them, `format.ts` prints them).
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

export type Then = Handoff | null;
export type AbortAt = number | null;

export type Leaf =
  | { readonly op: 'sleep'; readonly ms: number }
  | { readonly op: 'checkpoint' }
  | { readonly op: 'fail' }
  | {
      readonly op: 'lock' | 'sem' | 'limiter';
      readonly hold: number;
      /** Held through `run(fn)` rather than `acquire()` and `release()`. */
      readonly run: boolean;
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
      // Operators stacked: each runs under the pump of the one after it.
      readonly op: 'pipeline';
      readonly n: number;
      readonly itemMs: number;
      readonly stages: readonly Stage[];
      readonly consumeMs: number;
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

/** A stage of a `pipeline` operation: order-keeping operators. */
export type Stage =
  | { readonly kind: 'buffer'; readonly size: number }
  | { readonly kind: 'map'; readonly concurrency: number; readonly ms: number };

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

export type Scripts = readonly (readonly Op[])[];

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
