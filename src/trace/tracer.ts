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
import { checkOptions, checkSize } from '../_internal/validate.js';
import type { CancelScope } from '../core/cancel-scope.js';
import type { Instrument, Wait, WaitOutcome } from '../core/instrument.js';
import type { TimerHandle } from '../core/loop.js';
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

const OUTCOME: Record<WaitOutcome, number> = { value: 0, error: 1, cancelled: 2 };

/** Records kernel events; pass it as `run(main, { trace: tracer })`. */
export class Tracer implements Instrument {
  readonly #limit: number;
  readonly #ring: (TraceEvent | undefined)[];
  #next = 0;
  #count = 0;
  #dropped = 0;
  readonly #ids = new WeakMap<Task, number>();
  #lastId = 0;

  constructor(options?: TracerOptions) {
    checkOptions('new Tracer()', 'options', options);
    this.#limit = checkSize('new Tracer()', 'options.limit', options?.limit ?? 100_000, 1);
    this.#ring = [];
  }

  /** How many of the oldest events were dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The recorded events, oldest first. */
  events(): TraceEvent[] {
    const out: TraceEvent[] = [];
    const start = this.#count < this.#limit ? 0 : this.#next;
    for (let i = 0; i < this.#count; i++) {
      out.push(this.#ring[(start + i) % this.#limit] as TraceEvent);
    }
    return out;
  }

  /** Forgets every event (and the dropped count). */
  clear(): void {
    this.#ring.length = 0;
    this.#next = 0;
    this.#count = 0;
    this.#dropped = 0;
  }

  #id(task: Task): number {
    let id = this.#ids.get(task);
    if (id === undefined) this.#ids.set(task, (id = ++this.#lastId));
    return id;
  }

  #push(
    kind: TraceEventKind,
    task: Task | null,
    name: string,
    detail: string,
    arg = 0,
    at?: number,
  ): void {
    const time = at ?? task?.loop.time() ?? this.#lastTime;
    this.#lastTime = time;
    const event: TraceEvent = {
      kind,
      time,
      task: task === null ? 0 : this.#id(task),
      name,
      detail,
      arg,
    };
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.#limit;
    if (this.#count < this.#limit) this.#count++;
    else this.#dropped++;
  }

  #lastTime = 0;

  taskCreated(task: Task, parent: Task | null): void {
    this.#push('created', task, task.name, '', parent === null ? 0 : this.#id(parent));
  }

  taskStarted(task: Task): void {
    this.#push('started', task, task.name, '');
  }

  taskSuspended(task: Task, wait: Wait): void {
    this.#push('suspended', task, task.name, wait.description);
  }

  taskWoken(task: Task, wait: Wait, outcome: WaitOutcome): void {
    this.#push('woken', task, task.name, wait.description, OUTCOME[outcome]);
  }

  taskCancelled(task: Task, reason: CancelledError): void {
    this.#push('cancelled', task, task.name, reason.source);
  }

  taskFinished(task: Task): void {
    const failure = task._failure();
    const outcome = task.cancelled()
      ? 'cancelled'
      : failure !== undefined
        ? `failed: ${failure instanceof Error ? failure.message : formatValue(failure)}`
        : 'completed';
    this.#push('finished', task, task.name, outcome);
  }

  scopeEntered(scope: CancelScope, task: Task | null): void {
    this.#push('scope-entered', task, task?.name ?? '', scopeLabel(scope));
  }

  scopeCancelled(scope: CancelScope, reason: CancelledError): void {
    this.#push('scope-cancelled', scope.task, scope.task?.name ?? '', reason.source);
  }

  scopeExited(scope: CancelScope): void {
    this.#push('scope-exited', scope.task, scope.task?.name ?? '', scopeLabel(scope));
  }

  timerSet(timer: TimerHandle): void {
    this.#push('timer-set', null, '', String(timer.deadline));
  }

  timerFired(timer: TimerHandle): void {
    this.#push('timer-fired', null, '', String(timer.deadline), 0, timer.deadline);
  }
}

const scopeLabel = (scope: CancelScope): string =>
  scope.deadline === Infinity ? 'scope' : `scope (deadline ${scope.deadline})`;
