// A private redis-server for tests, examples and benchmarks: on a Unix socket in
// a temp folder (no TCP port, so no collisions with anything else on the
// machine), stopped by its pid. `.ci/run` installs redis-server from Debian when
// it is missing; where it still is, `redisServer()` says so and callers skip
// with that reason.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The redis-server binary, or null when none is installed. */
export function redisServer(): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const file = join(dir, 'redis-server');
    if (dir !== '' && existsSync(file)) return file;
  }
  return null;
}

/** Why Redis tests skip on this machine, or null when they can run. */
export const noRedis: string | null =
  redisServer() === null
    ? 'no redis-server on this machine (.ci/run installs it: apt-get install redis-server)'
    : null;

/** An example that uses corio/redis: the runners give it a server (REDIS_URL) or skip it. */
export const needsRedis = (code: string): boolean => code.includes("'corio/redis'");

export interface RedisServerOptions {
  /** AOF persistence, fsync'd on every write (for the crash tests); default off. */
  readonly appendonly?: boolean;
}

export interface RunningRedis {
  /** `unix:///…/redis.sock`, for `createClient({ url })`. */
  readonly url: string;
  readonly socket: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, by pid) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL) and starts a new one on the same socket and data folder. */
  restart(options?: RedisServerOptions): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Starts a redis-server of its own; resolves once it answers. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RunningRedis> {
  const bin = redisServer();
  if (bin === null) throw new Error(noRedis ?? 'no redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'corio-redis-'));
  const socket = join(dir, 'redis.sock');
  let child = await launch(bin, dir, socket, options);
  const server: RunningRedis = {
    url: `unix://${socket}`,
    socket,
    get pid() {
      return child.pid as number;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
    async restart(again = options) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(socket, { force: true });
      child = await launch(bin, dir, socket, again);
    },
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function launch(
  bin: string,
  dir: string,
  socket: string,
  options: RedisServerOptions,
): Promise<ChildProcess> {
  const aof = options.appendonly === true;
  const args = [
    '--port',
    '0',
    '--unixsocket',
    socket,
    '--unixsocketperm',
    '700',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    aof ? 'yes' : 'no',
    ...(aof ? ['--appendfsync', 'always'] : []),
    '--loglevel',
    'warning',
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  for (let i = 0; i < 500; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
    if (existsSync(socket) && (await answers(socket))) return child;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start within 5 s: ${stderr}`);
}

// PING on the socket; true on +PONG.
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = createConnection(socket);
    conn.once('error', () => {
      resolve(false);
    });
    conn.once('data', (data) => {
      conn.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    conn.write('PING\r\n');
  });
}

/** The server's version (`7.0.15`), for reports. */
export function redisVersion(): string {
  const bin = redisServer();
  if (bin === null) return 'none';
  return /v=(\S+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
}
