/**
 * A trace as Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and
 * `chrome://tracing` open: one thread per task, named after it, with a span for
 * each stretch of running and of waiting (named after what was awaited).
 *
 * @example
 * ```ts
 * import { run, sleep } from 'corio';
 * import { Tracer, toChromeTrace } from 'corio/trace';
 *
 * const tracer = new Tracer();
 * await run(() => sleep(20), { trace: tracer });
 * const { traceEvents } = toChromeTrace(tracer);
 * console.log(traceEvents.filter((e) => e.ph === 'X').map((e) => `${e.name} ${e.dur / 1000} ms`));
 * // => [ 'running 0 ms', 'sleep(20) 20 ms', 'running 0 ms' ]
 * ```
 * @module
 */
import { toLanes } from './spans.js';
import { type TraceEvent, type Tracer, eventsOf } from './tracer.js';

/** One Chrome trace event (the fields corio writes). */
export interface ChromeTraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M' | 'i';
  /** Microseconds since the trace began. */
  readonly ts: number;
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly cat?: string;
  readonly s?: 't';
  readonly args?: Readonly<Record<string, string | number>>;
}

export interface ChromeTrace {
  readonly traceEvents: ChromeTraceEvent[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Readonly<Record<string, string | number>>;
}

/** The trace as a Chrome trace-event object; `JSON.stringify` it to a `.json` file. */
export function toChromeTrace(trace: Tracer | readonly TraceEvent[]): ChromeTrace {
  const { events, dropped } = eventsOf('toChromeTrace()', trace);
  const { lanes, start } = toLanes(events);
  const us = (ms: number): number => Math.round((ms - start) * 1000);
  const out: ChromeTraceEvent[] = [
    { name: 'process_name', ph: 'M', ts: 0, dur: 0, pid: 1, tid: 0, args: { name: 'corio loop' } },
  ];
  for (const lane of lanes) {
    out.push({
      name: 'thread_name',
      ph: 'M',
      ts: 0,
      dur: 0,
      pid: 1,
      tid: lane.id,
      args: { name: lane.name },
    });
    for (const span of lane.spans) {
      out.push({
        name: span.kind === 'running' ? 'running' : span.detail,
        cat: span.kind,
        ph: 'X',
        ts: us(span.start),
        dur: us(span.end) - us(span.start),
        pid: 1,
        tid: lane.id,
      });
    }
  }
  for (const e of events) {
    if (e.kind === 'cancelled' || e.kind === 'scope-cancelled') {
      out.push({
        name: `${e.kind} (${e.detail})`,
        ph: 'i',
        s: 't',
        ts: us(e.time),
        dur: 0,
        pid: 1,
        tid: e.task,
      });
    }
  }
  return {
    traceEvents: out,
    displayTimeUnit: 'ms',
    otherData: { generator: 'corio/trace', dropped },
  };
}
