// W9 and W10, the corio/node workloads: an echo server and its clients on
// loopback, in one process, written three ways — raw node:net callbacks (the
// physical limit), corio/node streams as a user writes them, and Python's asyncio
// streams (bench/peers/asyncio_streams.py, run as a subprocess).
//
// W9  echo throughput: one connection; the client writes N lines (draining as it
//     goes) while it reads the N echoed lines; the server echoes line by line.
// W10 many connections: N lines over 1,000 concurrent connections, each a
//     ping-pong of N/1,000 lines; RSS is sampled once every connection has made
//     its first round trip (they wait for each other there), and reported per
//     connection (both of its ends: the server's socket and the client's).
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Barrier, run, taskGroup } from 'corio';
import { openConnection, startServer, type StreamReader, type StreamWriter } from 'corio/node';

export interface IoResult {
  readonly value: number;
  readonly ms?: number;
  readonly peakRssMiB?: number;
  readonly cpuMs?: number;
  readonly rssPerConnectionKiB?: number;
}

export const W10_CONNECTIONS = 1000;
const HOST = '127.0.0.1';

// One line as the clients send it: 31 bytes with its newline.
const line = (i: number): string => `line ${String(i).padStart(8, '0')} ................\n`;

// ---- raw node:net ----------------------------------------------------------------

// The raw echo server: splits each chunk into lines, writes each line back, and
// pauses the socket while its send buffer is full. With `cork`, the lines of a
// chunk go out in one writev (what corio's writer does by itself).
function rawEchoServer(cork = false): Promise<Server> {
  const server = createServer({ noDelay: true }, (socket) => {
    let carry: Buffer | null = null;
    const uncork = (): void => {
      socket.uncork();
    };
    socket.on('data', (chunk: Buffer) => {
      if (cork) {
        socket.cork();
        process.nextTick(uncork);
      }
      const data = carry === null ? chunk : Buffer.concat([carry, chunk]);
      let start = 0;
      let full = false;
      for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, start)) {
        if (!socket.write(data.subarray(start, at + 1))) full = true;
        start = at + 1;
      }
      carry = start < data.length ? data.subarray(start) : null;
      if (full) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
    socket.on('error', () => undefined);
  });
  server.listen({ host: HOST, port: 0, backlog: 4096 });
  return once(server, 'listening').then(() => server);
}

// Counts the lines of a stream of chunks, across chunk boundaries.
function lineCounter(onLine: () => void): (chunk: Buffer) => void {
  return (chunk) => {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) onLine();
  };
}

export async function rawW9(n: number, cork = false): Promise<IoResult> {
  const server = await rawEchoServer(cork);
  const { port } = server.address() as AddressInfo;
  const socket = connect({ host: HOST, port, noDelay: true });
  await once(socket, 'connect');
  let received = 0;
  const done = new Promise<void>((resolve) => {
    socket.on(
      'data',
      lineCounter(() => received++),
    );
    socket.on('end', resolve);
  });
  // Corked, the lines go out in one writev per 16 KiB (the high-water mark).
  if (cork) socket.cork();
  for (let i = 0; i < n; i++) {
    if (!socket.write(line(i))) {
      if (cork) socket.uncork();
      await once(socket, 'drain');
      if (cork) socket.cork();
    }
  }
  if (cork) socket.uncork();
  socket.end();
  await done;
  server.close();
  return { value: received };
}

export async function rawW10(n: number): Promise<IoResult> {
  const per = n / W10_CONNECTIONS;
  const server = await rawEchoServer();
  const { port } = server.address() as AddressInfo;
  const rss0 = process.memoryUsage().rss;
  let rssPerConnectionKiB = 0;
  let total = 0;
  let ready = 0;
  const waiting: (() => void)[] = [];
  const client = (): Promise<void> =>
    new Promise((resolve) => {
      const socket: Socket = connect({ host: HOST, port, noDelay: true });
      let got = 0;
      const next = (): void => {
        if (got === per) socket.end();
        else socket.write(line(got));
      };
      socket.on('connect', next);
      socket.on('data', (chunk: Buffer) => {
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) {
          got++;
          total++;
          if (got === 1) {
            // Every connection waits here until all have made a round trip.
            waiting.push(next);
            if (++ready === W10_CONNECTIONS) {
              rssPerConnectionKiB = (process.memoryUsage().rss - rss0) / 1024 / W10_CONNECTIONS;
              for (const go of waiting.splice(0)) go();
            }
          } else next();
        }
      });
      socket.on('end', () => {
        resolve();
      });
    });
  await Promise.all(Array.from({ length: W10_CONNECTIONS }, client));
  server.close();
  return { value: total, rssPerConnectionKiB };
}

// ---- corio/node ------------------------------------------------------------------

// asyncio's echo handler, line by line.
async function echo(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for await (const received of reader) {
    writer.write(received);
    await writer.drain();
  }
}

export function corioW9(n: number): Promise<IoResult> {
  return run(async () => {
    await using server = await startServer(echo, { host: HOST, port: 0 });
    const [{ port }] = server.addresses();
    await using conn = await openConnection({ host: HOST, port });
    const [reader, writer] = conn;
    let received = 0;
    await taskGroup((tg) => {
      tg.spawn(async () => {
        for (let i = 0; i < n; i++) {
          writer.write(line(i));
          await writer.drain();
        }
        writer.writeEof();
      });
      tg.spawn(async () => {
        for await (const _ of reader) received++;
      });
    });
    return { value: received };
  });
}

export function corioW10(n: number): Promise<IoResult> {
  const per = n / W10_CONNECTIONS;
  return run(async () => {
    await using server = await startServer(echo, { host: HOST, port: 0, backlog: 4096 });
    const [{ port }] = server.addresses();
    const rss0 = process.memoryUsage().rss;
    let rssPerConnectionKiB = 0;
    const everyone = new Barrier(W10_CONNECTIONS);
    let total = 0;
    await taskGroup((tg) => {
      for (let c = 0; c < W10_CONNECTIONS; c++) {
        tg.spawn(async () => {
          await using conn = await openConnection({ host: HOST, port });
          const [reader, writer] = conn;
          for (let i = 0; i < per; i++) {
            writer.write(line(i));
            await writer.drain();
            if ((await reader.readline()).length > 0) total++;
            if (i === 0 && (await everyone.wait()) === 0) {
              rssPerConnectionKiB = (process.memoryUsage().rss - rss0) / 1024 / W10_CONNECTIONS;
            }
          }
        });
      }
    });
    return { value: total, rssPerConnectionKiB };
  });
}

// ---- Python asyncio streams --------------------------------------------------------

const script = join(dirname(fileURLToPath(import.meta.url)), 'peers', 'asyncio_streams.py');

export function asyncio(workload: 'W9' | 'W10') {
  return (n: number): Promise<IoResult> => {
    const out = execFileSync('python3', [script, workload, String(n)], { encoding: 'utf8' });
    return Promise.resolve(JSON.parse(out.trim().split('\n').pop() as string) as IoResult);
  };
}
