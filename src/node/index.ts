/**
 * `corio/node`: asyncio's streams for Node, cancellable everywhere. Connections
 * over TCP, TLS and Unix sockets (`openConnection`), servers whose handlers are
 * tasks (`startServer`, `serveTcp`), `fetch` under the current scope, and
 * in-memory stream pairs for protocol tests in virtual time. Every read waits on
 * corio's own buffer, so a cancelled read loses no byte.
 *
 * @example
 * ```ts
 * import { run } from 'corio';
 * import { openConnection, startServer } from 'corio/node';
 *
 * // asyncio's echo server and client.
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     const data = await reader.readline();
 *     writer.write(data);
 *     await writer.drain();
 *   }, { host: '127.0.0.1', port: 0 });
 *   const [{ port }] = server.addresses();
 *
 *   const [reader, writer] = await openConnection({ host: '127.0.0.1', port });
 *   writer.write('Hello World!\n');
 *   console.log(`Received: ${String(await reader.readline()).trim()}`);
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * // => Received: Hello World!
 * ```
 * @module
 */
export {
  type ConnectAddress,
  type Connection,
  type ConnectOptions,
  openConnection,
} from './connection.js';
export { type DisposableResponse, fetch } from './fetch.js';
export {
  lockstepStreamPair,
  memoryStreamPair,
  type MemoryStreamOptions,
} from './memory-streams.js';
export {
  type ConnectionHandler,
  Server,
  type ServerAddresses,
  type ServerOptions,
  type ServerStatistics,
  serveTcp,
  startServer,
} from './server.js';
export {
  BusyResourceError,
  type ChunksOptions,
  DEFAULT_LIMIT,
  IncompleteReadError,
  LimitOverrunError,
  type LinesOptions,
  StreamReader,
  type StreamReaderOptions,
  type StreamReaderStatistics,
} from './stream-reader.js';
export { type ExtraInfo, StreamWriter, type StreamWriterStatistics } from './stream-writer.js';
export {
  type CancelMode,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStatistics,
  type WorkerRunOptions,
} from './worker-pool.js';
export {
  type WorkerFunction,
  type WorkerFunctionOptions,
  workerFunction,
} from './worker-function.js';
export { type CommunicateResult, Process } from './process.js';
export {
  createSubprocessExec,
  createSubprocessShell,
  type Stdio,
  type SubprocessOptions,
} from './subprocess.js';
export {
  CalledProcessError,
  type CompletedProcess,
  runProcess,
  type RunProcessOptions,
} from './run-process.js';
