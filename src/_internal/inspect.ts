/**
 * The one way stateful corio objects print: `ClassName<facts>`, such as
 * `Task<fetch-3 pending>` or `Event<unset waiters=2>`, in `console.log`,
 * `util.inspect` and `String()`.
 *
 * The symbol is the registered `nodejs.util.inspect.custom`, so the core never
 * imports `node:util` and stays portable.
 * @module
 */

export const inspectSymbol: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** A thrown non-Error value, rendered for a report. */
export function formatValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return typeof value === 'symbol' ? value.toString() : `${value as number}`;
}

/** Formats `Name<word word key=value …>`, leaving out facts that are undefined or 0. */
export function show(
  name: string,
  words: readonly string[],
  facts: Readonly<Record<string, number | string | undefined>> = {},
): string {
  const parts = [...words];
  for (const [key, value] of Object.entries(facts)) {
    if (value !== undefined && value !== 0) parts.push(`${key}=${value}`);
  }
  return `${name}<${parts.join(' ')}>`;
}
