/**
 * A trace as a Mermaid `sequenceDiagram` in the seed's style: the main task,
 * the event loop, one participant per task; schedule, await, resume and
 * complete arrows, and a note whenever loop time moves on.
 *
 * @example
 * ```ts
 * import { createTask, gather, run, sleep } from 'corio';
 * import { Tracer, toMermaid } from 'corio/trace';
 *
 * const tracer = new Tracer();
 * await run(async () => {
 *   await gather(createTask(() => sleep(100), { name: 'A' }));
 * }, { trace: tracer });
 * console.log(toMermaid(tracer).split('\n').slice(4, -1).map((line) => line.trim()).join('\n'));
 * // => main->>loop: run(main)
 * // => loop->>A: schedule A
 * // => main-->>loop: await gather
 * // => A-->>loop: await sleep(100)
 * // => Note over loop: 0.1 s
 * // => loop->>A: resume after sleep(100)
 * // => A-->>loop: completed
 * // => loop->>main: all tasks completed
 * // => main-->>loop: completed
 * ```
 * @module
 */
import { type TraceEvent, type Tracer, eventsOf } from './tracer.js';

// Waits whose end means "every task I waited for is done".
const JOINS = /^(TaskGroup\.join|gather|wait|asCompleted)/;

/** Mermaid's message text cannot hold `;`, `#` or line breaks. */
const text = (s: string): string => s.replace(/[;#\r\n]+/g, ' ');

/** Participant ids: the task's name when it is a plain identifier and unique, else `tN`. */
function participants(events: readonly TraceEvent[]): Map<number, { id: string; name: string }> {
  const names = new Map<number, string>();
  for (const e of events) if (e.task !== 0 && !names.has(e.task)) names.set(e.task, e.name);
  const counts = new Map<string, number>();
  for (const n of names.values()) counts.set(n, (counts.get(n) ?? 0) + 1);
  const out = new Map<number, { id: string; name: string }>();
  for (const [task, name] of names) {
    const plain = /^[A-Za-z_][\w-]*$/.test(name) && counts.get(name) === 1 && name !== 'loop';
    out.set(task, { id: plain ? name : `t${task}`, name });
  }
  return out;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms % 100 === 0 ? 1 : 3)} s`;

/** The trace (a `Tracer` or its events) as the text of a Mermaid sequence diagram. */
export function toMermaid(trace: Tracer | readonly TraceEvent[]): string {
  const { events } = eventsOf('toMermaid()', trace);
  const who = participants(events);
  const lines = ['sequenceDiagram'];
  const ids = [...who.entries()];
  const [first] = ids;
  const declare = (id: string, name: string): void => {
    lines.push(id === name ? `    participant ${id}` : `    participant ${id} as ${text(name)}`);
  };
  if (first !== undefined) declare(first[1].id, first[1].name);
  lines.push('    participant loop as event loop');
  for (const [, p] of ids.slice(1)) declare(p.id, p.name);
  const start = events[0]?.time ?? 0;
  let now = start;
  const at = (e: TraceEvent): string => (who.get(e.task) as { id: string }).id;
  for (const e of events) {
    if (e.task === 0) continue;
    const body: string[] = [];
    const t = at(e);
    switch (e.kind) {
      case 'created':
        if (e.arg === 0 && e.task === first?.[0]) body.push(`${t}->>loop: run(${text(e.name)})`);
        else body.push(`loop->>${t}: schedule ${text(e.name)}`);
        break;
      case 'suspended':
        body.push(`${t}-->>loop: await ${text(e.detail)}`);
        break;
      case 'woken':
        if (e.arg === 2) body.push(`loop-x${t}: cancelled in ${text(e.detail)}`);
        else if (e.arg === 1) body.push(`loop-x${t}: ${text(e.detail)} failed`);
        else if (JOINS.test(e.detail)) body.push(`loop->>${t}: all tasks completed`);
        else body.push(`loop->>${t}: resume after ${text(e.detail)}`);
        break;
      case 'cancelled':
        body.push(`loop-x${t}: cancel (${text(e.detail)})`);
        break;
      case 'finished':
        body.push(
          e.detail === 'completed' ? `${t}-->>loop: completed` : `${t}--xloop: ${text(e.detail)}`,
        );
        break;
      case 'scope-cancelled':
        body.push(`Note over ${t}: scope cancelled (${text(e.detail)})`);
        break;
      default:
        break;
    }
    if (body.length === 0) continue;
    if (e.time !== now) {
      now = e.time;
      lines.push(`    Note over loop: ${seconds(now - start)}`);
    }
    for (const b of body) lines.push(`    ${b}`);
  }
  return `${lines.join('\n')}\n`;
}
