/**
 * Turns a trace's events into per-task lanes of spans — running, and waiting on
 * something — the shared model of the Chrome trace and the HTML timeline, and a
 * start for renderers of your own.
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { Tracer, toLanes } from 'corio/trace';
 *
 * const tracer = new Tracer();
 * await run(() => sleep(30), { trace: tracer });
 * const [main] = toLanes(tracer.events()).lanes;
 * console.log(main?.name, main?.spans.map((s) => `${s.kind} ${s.end - s.start}`), main?.outcome);
 * // => main [ 'running 0', 'waiting 30', 'running 0' ] completed
 * ```
 * @module
 */
import { type TraceEvent, checkTraceEvents } from './tracer.js';

export interface Span {
  readonly kind: 'running' | 'waiting';
  readonly start: number;
  readonly end: number;
  /** What was awaited, for a waiting span. */
  readonly detail: string;
}

export interface Lane {
  readonly id: number;
  readonly name: string;
  parent: number;
  readonly spans: Span[];
  /** How the task ended (`completed`, `cancelled`, `failed: …`), or `running` if it had not. */
  outcome: string;
  created: number;
}

/** The lanes of `events`, in task creation order; open spans end at the last event's time. */
export function toLanes(events: readonly TraceEvent[]): {
  lanes: Lane[];
  start: number;
  end: number;
} {
  checkTraceEvents('toLanes()', 'events', events);
  const lanes = new Map<number, Lane>();
  const open = new Map<
    number,
    { kind: Span['kind']; start: number; detail: string; waits: number }
  >();
  const start = events[0]?.time ?? 0;
  const end = events[events.length - 1]?.time ?? start;
  const lane = (e: TraceEvent): Lane => {
    let l = lanes.get(e.task);
    if (l === undefined) {
      l = { id: e.task, name: e.name, parent: 0, spans: [], outcome: 'running', created: e.time };
      lanes.set(e.task, l);
    }
    return l;
  };
  const close = (l: Lane, at: number): void => {
    const o = open.get(l.id);
    if (o === undefined) return;
    open.delete(l.id);
    l.spans.push({ kind: o.kind, start: o.start, end: at, detail: o.detail });
  };
  for (const e of events) {
    if (e.task === 0) continue;
    const l = lane(e);
    switch (e.kind) {
      case 'created':
        l.parent = e.arg;
        l.created = e.time;
        break;
      case 'started':
        close(l, e.time);
        open.set(l.id, { kind: 'running', start: e.time, detail: '', waits: 0 });
        break;
      case 'suspended': {
        const o = open.get(l.id);
        if (o?.kind === 'waiting') {
          o.waits++;
          break;
        }
        close(l, e.time);
        open.set(l.id, { kind: 'waiting', start: e.time, detail: e.detail, waits: 1 });
        break;
      }
      case 'woken': {
        const o = open.get(l.id);
        if (o?.kind === 'waiting' && --o.waits > 0) break;
        close(l, e.time);
        open.set(l.id, { kind: 'running', start: e.time, detail: '', waits: 0 });
        break;
      }
      case 'finished':
        close(l, e.time);
        l.outcome = e.detail;
        break;
      default:
        break;
    }
  }
  for (const l of lanes.values()) close(l, end);
  return { lanes: [...lanes.values()].sort((a, b) => a.id - b.id), start, end };
}
