// Checksums of every file in a folder, computed in worker threads, with a
// progress bar on stderr. This file is both the program and the threads'
// module: the pool's threads import it, and only the main thread runs the
// program. Ctrl+C cancels the run: the jobs in flight stop, and no thread is
// left hashing.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { isCancellation, run } from 'corio';
import { forEach } from 'corio/iter';
import { WorkerPool } from 'corio/node';
import { checkCancelled } from 'corio/node/worker';

/** Runs in a thread: the SHA-256 of one file, read in 64 KiB slices. */
export function sha256(path: string): string {
  const hash = createHash('sha256');
  const bytes = readFileSync(path);
  for (let at = 0; at < bytes.length; at += 65_536) {
    checkCancelled(); // a cancelled caller stops the job here
    hash.update(bytes.subarray(at, at + 65_536));
  }
  return hash.digest('hex');
}

/** A folder of files to hash, made up for the demo: a path can be given instead. */
function sampleFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corio-checksum-'));
  mkdirSync(join(dir, 'data'));
  for (let i = 0; i < 24; i++) {
    writeFileSync(
      join(dir, 'data', `part-${String(i).padStart(2, '0')}.bin`),
      Buffer.alloc(i * 40_000, i),
    );
  }
  return join(dir, 'data');
}

function progress(done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

if (isMainThread) {
  const folder = process.argv[2] ?? sampleFolder();
  const files = readdirSync(folder).sort();
  const interrupt = new AbortController();
  const onInterrupt = (): void => {
    interrupt.abort();
  };
  process.once('SIGINT', onInterrupt);

  await using pool = new WorkerPool({ filename: import.meta.url, maxThreads: 2 });
  const sums = new Map<string, string>();
  try {
    await run(
      async () => {
        await forEach(
          files,
          async (name) => {
            sums.set(name, await pool.run<string>(join(folder, name), { name: 'sha256' }));
            progress(sums.size, files.length);
          },
          { concurrency: pool.maxThreads },
        );
      },
      { signal: interrupt.signal },
    );
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Every job in flight has stopped by now: the threads are idle.
    console.error(`\ninterrupted after ${sums.size} of ${files.length} files`);
    process.exitCode = 130;
  }
  process.off('SIGINT', onInterrupt);
  if (process.exitCode === 130) process.exit();
  const all = createHash('sha256');
  for (const name of files) all.update(`${sums.get(name)}  ${name}\n`);
  console.log(
    `${sums.size} files, ${pool.statistics().completed} jobs on ${pool.maxThreads} threads`,
  );
  console.log(`part-01.bin ${sums.get('part-01.bin')?.slice(0, 16)}`);
  console.log(`all: ${all.digest('hex').slice(0, 16)}`);
  if (process.argv[2] === undefined) rmSync(join(folder, '..'), { recursive: true });
}
// => 24 files, 24 jobs on 2 threads
// => part-01.bin fb67091504b666f3
// => all: 8c50cd1b2eb42268
