/**
 * `Tracer`: records a run's kernel events into a bounded ring buffer, to be
 * rendered afterwards as a Mermaid sequence diagram, Chrome trace JSON or an
 * HTML timeline. When the buffer is full the oldest events are dropped and
 * counted in `dropped`, so tracing a long-running server cannot exhaust memory.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { Tracer } from 'corio/trace';
 *
 * const tracer = new Tracer({ limit: 3 });
 * await run(() => sleep(5), { trace: tracer });
 * console.log(tracer.events().map((e) => e.kind).join(' '), tracer.dropped);
 * // => timer-fired woken finished 4
 * ```
 * @module
 */
import { formatValue } from '../_internal/inspect.js';
import {
  checkChoice,
  checkNumber,
  checkObject,
  checkOptions,
  checkSize,
  checkString,
  describe,
  optionNames,
} from '../_internal/validate.js';
import type { CancelScope } from '../core/cancel-scope.js';
import { type Instrument, type Wait, type WaitOutcome, taskOutcome } from '../core/lowlevel.js';
import type { TimerHandle } from '../core/timers.js';
import type { Task } from '../core/task.js';
import type { CancelledError } from '../errors.js';

/** What happened. */
export type TraceEventKind =
  | 'created'
  | 'started'
  | 'suspended'
  | 'woken'
  | 'cancelled'
  | 'finished'
  | 'scope-entered'
  | 'scope-cancelled'
  | 'scope-exited'
  | 'timer-set'
  | 'timer-fired';

/** One recorded kernel event. */
export interface TraceEvent {
  readonly kind: TraceEventKind;
  /** Loop time (ms) when it happened. */
  readonly time: number;
  /** The task's trace id (1, 2, … in creation order); 0 for none. */
  readonly task: number;
  /** The task's name, or the scope's or timer's label. */
  readonly name: string;
  /** What the task awaits (`suspended`, `woken`), the outcome (`finished`), the reason (`cancelled`). */
  readonly detail: string;
  /** `created`: the parent task's id (0 for none). `woken`: 1 if with an error, 2 if cancelled. */
  readonly arg: number;
}

export interface TracerOptions {
  /** Most events kept; older ones are dropped. Default 100,000. */
  readonly limit?: number;
}

const TRACER_OPTIONS = optionNames<TracerOptions>({ limit: true });

// Every kind, listed once: the compiler checks the list against TraceEventKind.
const KINDS = Object.keys({
  created: true,
  started: true,
  suspended: true,
  woken: true,
  cancelled: true,
  finished: true,
  'scope-entered': true,
  'scope-cancelled': true,
  'scope-exited': true,
  'timer-set': true,
  'timer-fired': true,
} satisfies Record<TraceEventKind, true>);

const OUTCOME: Record<WaitOutcome, number> = { value: 0, error: 1, cancelled: 2 };

/** Records kernel events; pass it as `run(main, { trace: tracer })`. */
export class Tracer implements Instrument {
  readonly #limit: number;
  readonly #ring: TraceEvent[] = [];
  // Events recorded since the last clear(); the ring keeps the last #limit of them.
  #total = 0;
  readonly #ids = new WeakMap<Task, number>();
  #lastId = 0;

  constructor(options?: TracerOptions) {
    checkOptions('new Tracer()', 'options', options, TRACER_OPTIONS);
    this.#limit = checkSize('new Tracer()', 'options.limit', options?.limit ?? 100_000, 1);
  }

  /** How many of the oldest events were dropped because the buffer was full. */
  get dropped(): number {
    return Math.max(0, this.#total - this.#limit);
  }

  /** The recorded events, oldest first. */
  events(): TraceEvent[] {
    // Once full, the oldest event sits where the next one will be written.
    const split = this.#total % this.#limit;
    return this.#total <= this.#limit
      ? [...this.#ring]
      : [...this.#ring.slice(split), ...this.#ring.slice(0, split)];
  }

  /** Forgets every event (and the dropped count). */
  clear(): void {
    this.#ring.length = 0;
    this.#total = 0;
  }

  #id(task: Task): number {
    let id = this.#ids.get(task);
    if (id === undefined) this.#ids.set(task, (id = ++this.#lastId));
    return id;
  }

  #push(
    kind: TraceEventKind,
    time: number,
    task: Task | null,
    name: string,
    detail: string,
    arg = 0,
  ): void {
    const event: TraceEvent = {
      kind,
      time,
      task: task === null ? 0 : this.#id(task),
      name,
      detail,
      arg,
    };
    this.#ring[this.#total % this.#limit] = event;
    this.#total++;
  }

  taskCreated(task: Task, parent: Task | null): void {
    this.#push(
      'created',
      task.loop.time(),
      task,
      task.name,
      '',
      parent === null ? 0 : this.#id(parent),
    );
  }

  taskStarted(task: Task): void {
    this.#push('started', task.loop.time(), task, task.name, '');
  }

  taskSuspended(task: Task, wait: Wait): void {
    this.#push('suspended', task.loop.time(), task, task.name, wait.description);
  }

  taskWoken(task: Task, wait: Wait, outcome: WaitOutcome): void {
    this.#push('woken', task.loop.time(), task, task.name, wait.description, OUTCOME[outcome]);
  }

  taskCancelled(task: Task, reason: CancelledError): void {
    this.#push('cancelled', task.loop.time(), task, task.name, reason.source);
  }

  taskFinished(task: Task): void {
    // taskOutcome(), not exception(): reading must not mark the error retrieved.
    const outcome_ = taskOutcome(task);
    const failure = outcome_.state === 'error' ? outcome_.error : undefined;
    const outcome = task.cancelled()
      ? 'cancelled'
      : failure !== undefined
        ? `failed: ${failure instanceof Error ? failure.message : formatValue(failure)}`
        : 'completed';
    this.#push('finished', task.loop.time(), task, task.name, outcome);
  }

  scopeEntered(scope: CancelScope, task: Task | null): void {
    this.#push('scope-entered', scope.loop.time(), task, task?.name ?? '', scopeLabel(scope));
  }

  scopeCancelled(scope: CancelScope, reason: CancelledError): void {
    this.#push(
      'scope-cancelled',
      scope.loop.time(),
      scope.task,
      scope.task?.name ?? '',
      reason.source,
    );
  }

  scopeExited(scope: CancelScope): void {
    this.#push(
      'scope-exited',
      scope.loop.time(),
      scope.task,
      scope.task?.name ?? '',
      scopeLabel(scope),
    );
  }

  timerSet(timer: TimerHandle): void {
    this.#push('timer-set', timer.loop.time(), null, '', String(timer.deadline));
  }

  timerFired(timer: TimerHandle): void {
    this.#push('timer-fired', timer.loop.time(), null, '', String(timer.deadline));
  }
}

const scopeLabel = (scope: CancelScope): string =>
  scope.deadline === Infinity ? 'scope' : `scope (deadline ${scope.deadline})`;

/**
 * @internal What the renderers take: a tracer, or events (then nothing was
 * dropped), checked for `fn`.
 */
export function eventsOf(
  fn: string,
  trace: Tracer | readonly TraceEvent[],
): {
  readonly events: readonly TraceEvent[];
  readonly dropped: number;
} {
  if (trace instanceof Tracer) return { events: trace.events(), dropped: trace.dropped };
  if (!Array.isArray(trace)) {
    throw new TypeError(
      `${fn}: \`trace\` must be a Tracer or an array of TraceEvents, got ${describe(trace)}`,
    );
  }
  checkTraceEvents(fn, 'trace', trace);
  return { events: trace, dropped: 0 };
}

/**
 * @internal Events given by hand (read back from JSON, say) are checked whole, so a
 * renderer never fails inside on a malformed one.
 */
export function checkTraceEvents(fn: string, arg: string, events: readonly TraceEvent[]): void {
  if (!Array.isArray(events)) {
    throw new TypeError(
      `${fn}: \`${arg}\` must be an array of TraceEvents, got ${describe(events)}`,
    );
  }
  events.forEach((e: unknown, i) => {
    const at = `${arg}[${i}]`;
    checkObject(fn, at, e, 'a TraceEvent');
    const event = e as Record<keyof TraceEvent, unknown>;
    checkChoice(fn, `${at}.kind`, event.kind, KINDS, 'a TraceEventKind');
    checkNumber(fn, `${at}.time`, event.time);
    checkNumber(fn, `${at}.task`, event.task, 0);
    checkString(fn, `${at}.name`, event.name, true);
    checkString(fn, `${at}.detail`, event.detail, true);
    checkNumber(fn, `${at}.arg`, event.arg);
  });
}
