// The thread side of bench/piscina-abort/run.ts, loaded alike by piscina's
// threads and corio's.
import { pbkdf2Sync } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { checkCancelled } from 'corio/node/worker';

interface Task {
  readonly shared: SharedArrayBuffer;
  readonly iterations: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/** A busy loop that counts in shared memory until its thread is terminated. */
export function spin({ shared }: Task): never {
  const counts = new Int32Array(shared, 0, 2);
  Atomics.store(counts, 0, 1);
  for (;;) Atomics.add(counts, 1, 1);
}

/** One long native call (pbkdf2Sync) that terminate() cannot interrupt. */
export function native({ shared, iterations }: Task): void {
  const counts = new Int32Array(shared, 0, 2);
  Atomics.store(counts, 0, 1);
  pbkdf2Sync('password', 'salt', iterations, 32, 'sha512');
  Atomics.store(counts, 1, 1);
}

/** A busy loop that checks corio's flag on every turn, and records when it saw it. */
export function cooperative({ shared }: Task): never {
  const counts = new Int32Array(shared, 0, 2);
  const seen = new Float64Array(shared, 8, 1);
  Atomics.store(counts, 0, 1);
  for (;;) {
    try {
      checkCancelled();
    } catch (error) {
      seen[0] = now();
      throw error;
    }
  }
}

export const thread = (): number => threadId;
