/**
 * Argument checks with one wording, so every message names the function, the
 * argument and the value: ``RangeError: sleep(): `ms` must be a number >= 0, got -5``.
 *
 * The rule (docs/design.md, "Errors and input"): an options argument is
 * `undefined` or a plain object; a key it does not know is a `TypeError` (with a
 * "did you mean" when a known key is close); an option is absent, `undefined`, or
 * a valid value, never `null`. Wrong types are `TypeError`s, numbers out of range
 * `RangeError`s. Every check returns at once on the common case (no options), so
 * the hot paths (`acquire`, `put`, `get`, `sleep`) pay one comparison.
 * @module
 */

/** Renders a received value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') {
    if (Array.isArray(value)) return 'an array';
    const name = className(value);
    return name === null ? 'an object' : `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'bigint') return `${value}n`;
  return `${value as number}`;
}

// The class of an object that is not a plain one (`Map`, `AbortSignal`), else null.
function className(value: object): string | null {
  if (isPlainObject(value)) return null;
  const ctor = (Object.getPrototypeOf(value) as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : '';
  return name === '' ? null : name;
}

// An object literal (or `Object.create(null)`), also from another realm: its
// prototype is null or a prototype whose own prototype is null.
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/** What `checkOptions` knows of an options argument: its keys, and which are required. */
export interface OptionNames {
  readonly names: readonly string[];
  readonly required: readonly string[];
}

/**
 * The keys of the options interface `T`, listed once per function. The compiler
 * checks the list against `T` both ways: every key of `T` must be listed (an
 * optional one as `true`, a required one as `'required'`), and no other.
 *
 * @example `const MAP_OPTIONS = optionNames<MapOptions>({ concurrency: true, ordered: true });`
 */
export function optionNames<T>(
  keys: {
    readonly [K in keyof T]-?: object extends Pick<T, K> ? true : 'required';
  },
): OptionNames {
  const entries = Object.entries(keys as Record<string, true | 'required'>);
  return Object.freeze({
    names: Object.freeze(entries.map(([key]) => key)),
    required: Object.freeze(entries.filter(([, v]) => v === 'required').map(([key]) => key)),
  });
}

/**
 * An options argument: `undefined` (when nothing is required), or a plain object
 * whose keys are all in `options.names` and none of whose optional values is `null`.
 * The values' own types are checked by the caller.
 */
export function checkOptions(fn: string, arg: string, value: unknown, options: OptionNames): void {
  if (value === undefined && options.required.length === 0) return;
  checkGivenOptions(fn, arg, value, options);
}

// Kept apart from checkOptions so that the no-options path stays small enough to
// inline, and small itself: the messages are built in notOptions() and badKey(),
// off the path of good options (spawn passes options on every call).
function checkGivenOptions(fn: string, arg: string, value: unknown, options: OptionNames): void {
  // An array is no plain object: its prototype is Array.prototype.
  if (typeof value !== 'object' || value === null || !isPlainObject(value)) {
    notOptions(fn, arg, value, options);
  }
  const names = options.names;
  for (const key in value) {
    if (!names.includes(key) || (value as Record<string, unknown>)[key] === null) {
      badKey(fn, arg, key, options);
    }
  }
}

function notOptions(fn: string, arg: string, value: unknown, options: OptionNames): never {
  const needs = options.required.length === 0 ? '' : ` with ${list(options.required, 'and')}`;
  throw new TypeError(
    `${fn}: \`${arg}\` must be an options object${needs}, got ${describe(value)}`,
  );
}

// An unknown key, or a null value: null is left to the caller's type check for
// a required key (`options.create must be a function, got null`).
function badKey(fn: string, arg: string, key: string, options: OptionNames): void {
  if (!options.names.includes(key)) throw unknownOption(fn, arg, key, options.names);
  if (options.required.includes(key)) return;
  throw new TypeError(
    `${fn}: \`${arg}.${key}\` must not be null; leave it out (or undefined) for the default`,
  );
}

function unknownOption(fn: string, arg: string, key: string, names: readonly string[]): TypeError {
  const near = closest(key, names);
  const advice =
    near !== null
      ? `did you mean \`${near}\`?`
      : names.length === 1
        ? `the only option is \`${names[0] as string}\``
        : `the options are ${list(names, 'and')}`;
  return new TypeError(`${fn}: \`${arg}.${key}\` is not an option; ${advice}`);
}

// `a`, `b` and `c`: names as code, joined as a sentence.
const list = (
  names: readonly string[],
  last: string,
  quote = (n: string) => `\`${n}\``,
): string => {
  const quoted = names.map(quote);
  return quoted.length < 2
    ? quoted.join('')
    : `${quoted.slice(0, -1).join(', ')} ${last} ${quoted[quoted.length - 1] as string}`;
};

// The known key nearest to `key`, if it is near enough to be a typo: case aside,
// at most one edit per three letters (and at least one).
function closest(key: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

// Optimal string alignment distance: insertions, deletions, substitutions and
// swaps of two neighbours each count one.
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

const SIGNAL_OPTIONS = optionNames<{ readonly signal?: AbortSignal }>({ signal: true });

/**
 * The options of every waiting method of the primitives: `{ signal }`. Returns at
 * once when there are none (the hot path).
 */
export function checkSignalOptions(fn: string, options: unknown): void {
  if (options === undefined) return;
  checkGivenOptions(fn, 'options', options, SIGNAL_OPTIONS);
  checkSignal(fn, (options as { signal?: unknown }).signal);
}

// A number, or a TypeError: what every numeric check starts with.
function checkIsNumber(fn: string, arg: string, value: unknown, must: string): void {
  if (typeof value !== 'number') {
    throw new TypeError(`${fn}: \`${arg}\` must be ${must}, got ${describe(value)}`);
  }
}

/** A delay in ms: a number >= 0; `Infinity` means never. */
export function checkDelay(fn: string, arg: string, value: unknown): number {
  const must = 'a number >= 0 (Infinity for no limit)';
  checkIsNumber(fn, arg, value, must);
  if (Number.isNaN(value) || (value as number) < 0) {
    throw new RangeError(`${fn}: \`${arg}\` must be ${must}, got ${describe(value)}`);
  }
  return value as number;
}

/** An absolute loop time: any number but NaN; `Infinity` means never. */
export function checkDeadline(fn: string, arg: string, value: unknown): number {
  const must = 'a loop time in ms (Infinity for none)';
  checkIsNumber(fn, arg, value, must);
  if (Number.isNaN(value)) {
    throw new RangeError(`${fn}: \`${arg}\` must be ${must}, got ${describe(value)}`);
  }
  return value as number;
}

/** A number >= `min`, `Infinity` included; `finite` also excludes the infinities. */
export function checkNumber(
  fn: string,
  arg: string,
  value: unknown,
  min = -Infinity,
  finite = false,
): number {
  const must = `a ${finite ? 'finite ' : ''}number${min === -Infinity ? '' : ` >= ${min}`}`;
  checkIsNumber(fn, arg, value, must);
  const n = value as number;
  if (Number.isNaN(n) || n < min || (finite && !Number.isFinite(n))) {
    throw new RangeError(`${fn}: \`${arg}\` must be ${must}, got ${describe(value)}`);
  }
  return n;
}

/** The longest delay a host timer takes: `setTimeout` fires at once (with a warning) past it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration in ms that feeds a host timer: a number from `min` to
 * `MAX_TIMER_MS` (about 24.8 days), so it cannot overflow into a 1 ms timer.
 */
export function checkTimerMs(fn: string, arg: string, value: unknown, min: number): number {
  const must = `a number >= ${min} and <= ${MAX_TIMER_MS} (a host timer's limit, about 24.8 days)`;
  checkIsNumber(fn, arg, value, must);
  const n = value as number;
  if (Number.isNaN(n) || n < min || n > MAX_TIMER_MS) {
    throw new RangeError(`${fn}: \`${arg}\` must be ${must}, got ${describe(value)}`);
  }
  return n;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value != null &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}

export function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value != null && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function'
  );
}

/** A whole number >= `min` (a count, a size). */
export function checkCount(
  fn: string,
  arg: string,
  value: unknown,
  min = 0,
  must = `an integer >= ${min}`,
): number {
  checkIsNumber(fn, arg, value, must);
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new RangeError(`${fn}: \`${arg}\` must be ${must}, got ${describe(value)}`);
  }
  return value as number;
}

/**
 * A size that may also be `Infinity` (a channel's capacity, a limiter's tokens);
 * the error says so, so that nobody reaches for `Number.MAX_SAFE_INTEGER`.
 */
export function checkSize(fn: string, arg: string, value: unknown, min = 0): number {
  if (value === Infinity) return value;
  return checkCount(fn, arg, value, min, `an integer >= ${min} (Infinity for no limit)`);
}

export function checkFunction(fn: string, arg: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(`${fn}: \`${arg}\` must be a function, got ${describe(value)}`);
  }
}

/** A boolean, or `undefined` unless `required`. */
export function checkBoolean(fn: string, arg: string, value: unknown, required = false): void {
  if ((required || value !== undefined) && typeof value !== 'boolean') {
    throw new TypeError(`${fn}: \`${arg}\` must be a boolean, got ${describe(value)}`);
  }
}

/** A string, or `undefined` unless `required`. */
export function checkString(fn: string, arg: string, value: unknown, required = false): void {
  if ((required || value !== undefined) && typeof value !== 'string') {
    throw new TypeError(`${fn}: \`${arg}\` must be a string, got ${describe(value)}`);
  }
}

export function checkSignal(fn: string, value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(`${fn}: \`signal\` must be an AbortSignal, got ${describe(value)}`);
  }
}

/** An object that is not an array (`what` names it in the message: `an ExceptionContext`). */
export function checkObject(fn: string, arg: string, value: unknown, what: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${fn}: \`${arg}\` must be ${what}, got ${describe(value)}`);
  }
}

/** An instance of `type` (named `what` in the message: `a Lock`). */
export function checkInstance(
  fn: string,
  arg: string,
  value: unknown,
  type: abstract new (...args: never[]) => unknown,
  what: string,
): void {
  if (!(value instanceof type)) {
    throw new TypeError(`${fn}: \`${arg}\` must be ${what}, got ${describe(value)}`);
  }
}

/**
 * The arguments of a constructor only corio calls (the class is exported for
 * `instanceof` and its methods), `ok` when they are what corio passes: users get
 * the factory's name instead of a failure inside.
 */
export function checkMadeBy(fn: string, ok: boolean, factory: string): void {
  if (!ok) {
    throw new TypeError(`${fn}: the constructor is internal; use ${factory}`);
  }
}

/** One of the strings of `choices`: a `TypeError` for a non-string, a `RangeError` for another one. */
export function checkChoice(
  fn: string,
  arg: string,
  value: unknown,
  choices: readonly string[],
  what = `one of ${list(choices, 'or', (c) => JSON.stringify(c))}`,
): void {
  if (typeof value === 'string' && choices.includes(value)) return;
  const Err = typeof value === 'string' ? RangeError : TypeError;
  throw new Err(`${fn}: \`${arg}\` must be ${what}, got ${describe(value)}`);
}

/**
 * A `Clock`: an object with `now()` and `setAlarm()`. The loop calls both, so a
 * clock without them would fail later, inside the loop.
 */
export function checkClock(fn: string, arg: string, value: unknown): void {
  const clock = value as { now?: unknown; setAlarm?: unknown } | null;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setAlarm !== 'function'
  ) {
    throw new TypeError(`${fn}: \`${arg}\` must be a Clock, got ${describe(value)}`);
  }
}
