/**
 * Schedules as `explore()` records them: one decision per step, where a step is
 * the moment the explorer lets held work go on (task starts, resumptions, due
 * timers). A decision is the default — everything ready, oldest first, as corio
 * itself runs it — or a deviation: one entry alone (`single`), all of them in
 * another order (`batch`), and optionally a cancellation injected first. A
 * replay token carries the deviations and a hash of what was ready at each step,
 * so a replay that sees something else stops instead of passing by luck.
 *
 * @example
 * ```ts
 * import { Lock, checkpoint, taskGroup } from 'corio';
 * import { explore, replaySchedule, ScheduleFailure } from 'corio/testing';
 *
 * // Two locks taken in opposite orders.
 * async function test(): Promise<void> {
 *   const [a, b] = [new Lock(), new Lock()];
 *   await taskGroup((tg) => {
 *     tg.spawn(() => a.run(async () => { await checkpoint(); await b.run(() => {}); }));
 *     tg.spawn(async () => {
 *       await checkpoint();
 *       await checkpoint();
 *       await b.run(async () => { await checkpoint(); await a.run(() => {}); });
 *     });
 *   });
 * }
 *
 * const found = await explore(test, { seed: 2 }).catch((error: unknown) => error);
 * if (found instanceof ScheduleFailure) {
 *   // The token alone brings the same schedule back, in this process or another.
 *   const again = await replaySchedule(found.token, test).catch((error: unknown) => error);
 *   console.log(found.kind, again instanceof ScheduleFailure && again.token === found.token);
 * }
 * // => deadlock true
 * ```
 * @module
 */

/** How one step let the ready entries go on. */
export interface Decision {
  /**
   * Indices into the ready list (oldest first), in the order they run in this
   * step; null: the default, every entry oldest first. One index: that entry
   * alone, the rest wait for a later step.
   */
  readonly choice: readonly number[] | null;
  /** Index into the living tasks (creation order, the test's own task left out) to cancel first. */
  readonly cancel: number | null;
}

export const DEFAULT: Decision = Object.freeze({ choice: null, cancel: null });

export const isDefault = (d: Decision | undefined): boolean =>
  d === undefined || (d.choice === null && d.cancel === null);

/** A seeded PRNG (mulberry32): fast, and the same on every platform. */
export class Rng {
  #a: number;

  constructor(seed: number) {
    this.#a = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#a = (this.#a + 0x6d2b79f5) >>> 0;
    let t = this.#a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** The seed of run `run` of a campaign: independent streams from one seed. */
export const runSeed = (seed: number, run: number): number => fnv(`${seed >>> 0}:${run}`);

/** FNV-1a, 32 bits. */
export function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The one-byte hash of what was ready at a step, which a replay compares. */
export const readyHash = (labels: readonly string[]): number => fnv(labels.join('\n')) & 0xff;

/** A random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(rng: Rng, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** A choice that is the default one written out (all entries, oldest first) becomes null. */
export function normalize(choice: readonly number[] | null, ready: number): number[] | null {
  if (choice === null) return null;
  if (ready <= 1) return null;
  if (choice.length === ready && choice.every((v, i) => v === i)) return null;
  return [...choice];
}

/** A schedule in a token: its deviations, and the hash of what was ready at every step. */
export interface Schedule {
  readonly decisions: readonly Decision[];
  readonly hashes: readonly number[];
}

/** What a token holds besides the schedule: where it came from. */
export interface TokenInfo {
  readonly seed: number;
  readonly run: number;
}

const VERSION = 'c1';

function pushVarint(out: number[], n: number): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function readVarint(bytes: Uint8Array, at: { i: number }): number {
  let n = 0;
  let scale = 1;
  for (;;) {
    if (at.i >= bytes.length) throw new RangeError('truncated');
    const b = bytes[at.i++] as number;
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n;
    scale *= 128;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function toBase64Url(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let k = 0; k < chars; k++) out += B64.charAt((n >> (18 - 6 * k)) & 63);
  }
  return out;
}

function fromBase64Url(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const chunk = text.slice(i, i + 4);
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = chunk[k];
      const v = c === undefined ? 0 : B64.indexOf(c);
      if (v < 0) throw new RangeError('bad character');
      n = (n << 6) | v;
    }
    bytes.push((n >> 16) & 255);
    if (chunk.length > 2) bytes.push((n >> 8) & 255);
    if (chunk.length > 3) bytes.push(n & 255);
  }
  return Uint8Array.from(bytes);
}

/**
 * `c1.<seed>.<run>.<data>`: letters, digits, `.`, `-` and `_` only, so it needs
 * no quoting in a shell. The data: the step count, one hash byte per step, then
 * each step that deviates (its distance from the previous one, a tag, the
 * choice and the cancellation). Nothing names the test: the test a token
 * belongs to is the one that follows its schedule (a hash of the test's source
 * would differ between tsc's output and esbuild's).
 */
export function encodeToken(schedule: Schedule, info: TokenInfo): string {
  const out: number[] = [];
  pushVarint(out, schedule.hashes.length);
  for (const h of schedule.hashes) out.push(h & 0xff);
  let last = 0;
  schedule.decisions.forEach((d, step) => {
    if (isDefault(d)) return;
    pushVarint(out, step - last);
    last = step;
    const tag =
      (d.choice === null ? 0 : d.choice.length === 1 ? 1 : 2) | (d.cancel === null ? 0 : 4);
    out.push(tag);
    if (d.cancel !== null) pushVarint(out, d.cancel);
    if (d.choice !== null) {
      if (d.choice.length !== 1) pushVarint(out, d.choice.length);
      for (const i of d.choice) pushVarint(out, i);
    }
  });
  return `${VERSION}.${info.seed >>> 0}.${info.run}.${toBase64Url(out)}`;
}

/**
 * Reads a token made by `encodeToken`.
 *
 * @throws {TypeError} if it is not one.
 */
export function decodeToken(token: string): Schedule & TokenInfo {
  const parts = typeof token === 'string' ? token.trim().split('.') : [];
  const [version, seed, run, data] = parts;
  if (
    parts.length !== 4 ||
    version !== VERSION ||
    !/^\d+$/.test(seed ?? '') ||
    !/^\d+$/.test(run ?? '')
  ) {
    throw new TypeError(
      `replaySchedule(): \`token\` must be a replay token from a ScheduleFailure (c1.…), got ${JSON.stringify(token)}`,
    );
  }
  try {
    const bytes = fromBase64Url(data ?? '');
    const at = { i: 0 };
    const steps = readVarint(bytes, at);
    if (at.i + steps > bytes.length) throw new RangeError('truncated');
    const hashes = [...bytes.subarray(at.i, at.i + steps)];
    at.i += steps;
    const decisions: Decision[] = [];
    let step = 0;
    while (at.i < bytes.length) {
      step += readVarint(bytes, at);
      const tag = bytes[at.i++] as number;
      const cancel = (tag & 4) !== 0 ? readVarint(bytes, at) : null;
      let choice: number[] | null = null;
      if ((tag & 3) !== 0) {
        const length = (tag & 3) === 1 ? 1 : readVarint(bytes, at);
        choice = [];
        for (let k = 0; k < length; k++) choice.push(readVarint(bytes, at));
      }
      while (decisions.length < step) decisions.push(DEFAULT);
      decisions[step] = { choice, cancel };
    }
    return { decisions, hashes, seed: Number(seed), run: Number(run) };
  } catch {
    throw new TypeError(`replaySchedule(): the replay token is damaged: ${JSON.stringify(token)}`);
  }
}
