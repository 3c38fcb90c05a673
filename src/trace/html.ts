/**
 * A trace as a self-contained HTML page: inline SVG and CSS and a few lines of
 * script, nothing fetched. One lane per task; a span for each stretch of
 * running (dark) and of waiting, coloured by what was awaited; hovering a span
 * shows its task, what it awaited, and when. Lanes stay 18 px tall, so 1,000
 * tasks make a long page that scrolls, not an unreadable one.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from 'corio';
 * import { Tracer, toHTML } from 'corio/trace';
 *
 * const tracer = new Tracer();
 * await run(() => taskGroup((tg) => {
 *   tg.spawn(() => sleep(100), { name: 'A' });
 * }), { trace: tracer });
 * const html = toHTML(tracer, { title: 'one nap' });
 * console.log(html.startsWith('<!doctype html>'), html.includes('sleep(100)'));
 * // => true true
 * ```
 * @module
 */
import { checkOptions, checkString, optionNames } from '../_internal/validate.js';
import { type Span, toLanes } from './spans.js';
import { type TraceEvent, type Tracer, eventsOf } from './tracer.js';

export interface HtmlOptions {
  /** The page's title and heading. Default `corio trace`. */
  readonly title?: string;
}

const HTML_OPTIONS = optionNames<HtmlOptions>({ title: true });

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// What a wait is on decides its colour; the legend lists these.
const KINDS: readonly [RegExp, string, string][] = [
  [/^sleep|^checkpoint|^waitFor|^timeout/, 'sleep', '#9ecae1'],
  [/Lock|Semaphore|CapacityLimiter|Condition/, 'lock', '#fdae6b'],
  [/Queue|Channel|send|receive|Pool/, 'queue', '#a1d99b'],
  [/Event|Barrier/, 'event', '#dadaeb'],
  [/^await |TaskGroup|gather|wait|asCompleted/, 'task', '#fcbba1'],
];
const RUNNING = '#3b5b92';
const OTHER = '#d9d9d9';

const colour = (span: Span): string => {
  if (span.kind === 'running') return RUNNING;
  for (const [re, , c] of KINDS) if (re.test(span.detail)) return c;
  return OTHER;
};

const LANE = 18;
const LABEL = 160;
const WIDTH = 1000;

/** The trace as a complete HTML document. */
export function toHTML(trace: Tracer | readonly TraceEvent[], options?: HtmlOptions): string {
  const { events, dropped } = eventsOf('toHTML()', trace);
  checkOptions('toHTML()', 'options', options, HTML_OPTIONS);
  checkString('toHTML()', 'options.title', options?.title);
  const title = options?.title ?? 'corio trace';
  const { lanes, start, end } = toLanes(events);
  const span = Math.max(end - start, 1);
  const x = (t: number): number => LABEL + ((t - start) / span) * (WIDTH - LABEL - 10);
  const fmt = (t: number): string => `${(t - start).toFixed(t - start < 10 ? 2 : 0)} ms`;
  const height = 30 + lanes.length * LANE;
  const rows: string[] = [];
  const ticks: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const t = start + (span * i) / 10;
    ticks.push(
      `<line x1="${x(t).toFixed(1)}" y1="20" x2="${x(t).toFixed(1)}" y2="${height}" class="tick"/>` +
        `<text x="${x(t).toFixed(1)}" y="14" class="axis">${escape(fmt(t))}</text>`,
    );
  }
  lanes.forEach((lane, i) => {
    const y = 24 + i * LANE;
    rows.push(
      `<g class="lane" data-task="${escape(lane.name)}"><text x="4" y="${y + 12}" class="name">${escape(lane.name)}</text>`,
    );
    for (const s of lane.spans) {
      const w = Math.max(x(s.end) - x(s.start), 1);
      const what = s.kind === 'running' ? 'running' : `waiting on ${s.detail}`;
      const detail = `${lane.name}: ${what}, ${fmt(s.start)} to ${fmt(s.end)} (${(s.end - s.start).toFixed(2)} ms); ${lane.outcome}`;
      rows.push(
        `<rect class="span ${s.kind}" x="${x(s.start).toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${LANE - 4}" fill="${colour(s)}" data-detail="${escape(detail)}"><title>${escape(detail)}</title></rect>`,
      );
    }
    rows.push('</g>');
  });
  const legend = [
    ['running', RUNNING],
    ...KINDS.map(([, name, c]) => [`waiting: ${name}`, c]),
    ['waiting: other', OTHER],
  ]
    .map(
      ([name, c]) =>
        `<span class="key"><i style="background:${c}"></i>${escape(name as string)}</span>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:16px;margin:0 0 4px}
.meta,.legend{color:#555;margin:4px 0}
.key{margin-right:12px}.key i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
svg{display:block;border:1px solid #ddd;background:#fff}
.tick{stroke:#eee}.axis{font-size:10px;fill:#777;text-anchor:middle}
.name{font-size:11px;fill:#222}
.span:hover{stroke:#000;stroke-width:1}
#tip{position:fixed;display:none;background:#222;color:#fff;padding:4px 8px;border-radius:3px;font-size:12px;pointer-events:none;max-width:480px}
</style></head><body>
<h1>${escape(title)}</h1>
<div class="meta">${lanes.length} task(s), ${fmt(end)} of loop time, ${events.length} event(s)${dropped > 0 ? `, ${dropped} older event(s) dropped` : ''}</div>
<div class="legend">${legend}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
${ticks.join('\n')}
${rows.join('\n')}
</svg>
<div id="tip" role="tooltip"></div>
<script>
const tip = document.getElementById('tip');
document.querySelector('svg').addEventListener('mousemove', (e) => {
  const d = e.target.getAttribute && e.target.getAttribute('data-detail');
  if (!d) { tip.style.display = 'none'; return; }
  tip.textContent = d;
  tip.style.display = 'block';
  tip.style.left = e.clientX + 12 + 'px';
  tip.style.top = e.clientY + 12 + 'px';
});
document.querySelector('svg').addEventListener('mouseleave', () => { tip.style.display = 'none'; });
</script>
</body></html>
`;
}
