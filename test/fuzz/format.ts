/** Prints a fuzz program compactly, one operation a line, for failure reports. */
import type { AbortAt, Op, Program, Scripts, Then } from './program.js';

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
      return `${indent}${o.op}${o.run ? '.run' : ''} hold ${o.hold}${abortText(o.abortAt)}${thenText(o.then)}`;
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
    case 'pipeline':
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
