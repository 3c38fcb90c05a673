// Jobs that test/node/worker-pool.test.ts runs in WorkerPool threads.
import { setTimeout as delay } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { checkCancelled, workerSignal } from 'corio/node/worker';

export default function double(n: number): number {
  return n * 2;
}

export const thread = (): number => threadId;

/** Spins until its caller is cancelled, checking the flag on every turn. */
export function cooperative(shared: SharedArrayBuffer): never {
  const cells = new Int32Array(shared);
  Atomics.store(cells, 0, 1);
  for (;;) {
    Atomics.add(cells, 1, 1);
    checkCancelled();
  }
}

/** Spins forever, never checking: only terminate() stops it. */
export function stubborn(shared: SharedArrayBuffer): never {
  const cells = new Int32Array(shared);
  Atomics.store(cells, 0, 1);
  for (;;) Atomics.add(cells, 1, 1);
}

/** Awaits an hour-long timer under the job's signal. */
export async function sleeper(shared: SharedArrayBuffer): Promise<string> {
  const cells = new Int32Array(shared);
  Atomics.store(cells, 0, 1);
  await delay(3_600_000, undefined, { signal: workerSignal() });
  return 'woke';
}

/** Marks that it ran, then waits `ms` of real time. */
export async function mark(shared: SharedArrayBuffer, ms: number): Promise<number> {
  Atomics.add(new Int32Array(shared), 0, 1);
  await delay(ms);
  return threadId;
}

export function fail(): never {
  const error = new RangeError('the value is out of range', { cause: new Error('inner') });
  Object.assign(error, { code: 'E_RANGE', detail: { at: 3 } });
  throw error;
}

export class CustomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomError';
  }
}

export function failCustom(): never {
  throw new CustomError('custom failure');
}

export function throwString(): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  throw 'a plain string';
}

export function unclonable(): () => void {
  return () => {};
}

export function exit(): never {
  process.exit(3);
}

export function byteLength(buffer: ArrayBuffer): number {
  return buffer.byteLength;
}

export function add(a: number, b: number): number {
  return a + b;
}

export function outsideJob(): string {
  return 'ok';
}
