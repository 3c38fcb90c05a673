/**
 * Argument checks of `corio/node`, worded as `_internal/validate.ts` words
 * them: the function, the argument, the value.
 * @module
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Transferable } from 'node:worker_threads';
import { checkChoice, describe } from '../../_internal/validate.js';
import type { CancelMode } from '../worker-pool.js';

const CANCEL_MODES: readonly string[] = ['cooperative', 'terminate', 'abandon'];

/**
 * A module of a worker thread: an absolute path or a `file:` URL of a file that
 * exists (under a TypeScript loader, `job.js` may exist as `job.ts`).
 */
export function moduleUrl(fn: string, arg: string, value: unknown): string {
  let url: URL | null = null;
  if (value instanceof URL) url = value;
  else if (typeof value === 'string') {
    if (value.startsWith('file:')) url = new URL(value);
    else if (isAbsolute(value)) url = pathToFileURL(value);
  }
  if (url === null || url.protocol !== 'file:') {
    throw new TypeError(
      `${fn}: \`${arg}\` must be an absolute path or a file: URL (new URL('./job.js', import.meta.url)), got ${describe(value instanceof URL ? value.href : value)}`,
    );
  }
  const path = fileURLToPath(url);
  if (!existsSync(path) && !existsSync(path.replace(/\.(m|c)?js$/, '.$1ts'))) {
    throw new TypeError(`${fn}: \`${arg}\` names no file: ${path} does not exist`);
  }
  return url.href;
}

export function checkThreads(fn: string, arg: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${fn}: \`${arg}\` must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function checkLimit(fn: string, arg: string, value: unknown): number {
  if (value === Infinity) return value;
  return checkThreads(fn, arg, value, 0);
}

export function checkMode(fn: string, arg: string, value: unknown): CancelMode {
  checkChoice(fn, arg, value, CANCEL_MODES);
  return value as CancelMode;
}

export function checkTransfer(fn: string, value: unknown): readonly Transferable[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeError(`${fn}: \`options.transfer\` must be an array, got ${describe(value)}`);
  }
  return value as readonly Transferable[];
}
