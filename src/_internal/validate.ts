/**
 * Argument checks with one wording, so every message names the function, the
 * argument and the value: ``RangeError: sleep(): `ms` must be a number >= 0, got -5``.
 * @module
 */

/** Renders a received value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'bigint') return `${value}n`;
  return `${value as number}`;
}

/** A delay in ms: a number >= 0; `Infinity` means never. */
export function checkDelay(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `${fn}: \`${arg}\` must be a number >= 0 (Infinity for no limit), got ${describe(value)}`,
    );
  }
  return value;
}

/** An absolute loop time: any number but NaN; `Infinity` means never. */
export function checkDeadline(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new RangeError(
      `${fn}: \`${arg}\` must be a loop time in ms (Infinity for none), got ${describe(value)}`,
    );
  }
  return value;
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
export function checkCount(fn: string, arg: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${fn}: \`${arg}\` must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

/** A size that may also be `Infinity` (a channel's capacity, a limiter's tokens). */
export function checkSize(fn: string, arg: string, value: unknown, min = 0): number {
  if (value === Infinity) return value;
  return checkCount(fn, arg, value, min).valueOf();
}

export function checkFunction(fn: string, arg: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(`${fn}: \`${arg}\` must be a function, got ${describe(value)}`);
  }
}

export function checkOptions(fn: string, arg: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new TypeError(`${fn}: \`${arg}\` must be an options object, got ${describe(value)}`);
  }
}

export function checkBoolean(fn: string, arg: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${fn}: \`${arg}\` must be a boolean, got ${describe(value)}`);
  }
}

export function checkString(fn: string, arg: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') {
    throw new TypeError(`${fn}: \`${arg}\` must be a string, got ${describe(value)}`);
  }
}

export function checkSignal(fn: string, value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(`${fn}: \`signal\` must be an AbortSignal, got ${describe(value)}`);
  }
}
