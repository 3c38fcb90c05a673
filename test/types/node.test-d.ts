// corio/node's types: checked by `npm run typecheck` (tsc), never executed.
import type { AddressInfo } from 'node:net';
import { run, taskGroup } from 'corio';
import {
  type Connection,
  type DisposableResponse,
  type ServerAddresses,
  type StreamReader,
  type StreamWriter,
  fetch,
  memoryStreamPair,
  openConnection,
  serveTcp,
  startServer,
} from 'corio/node';

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const expectType = <T extends true>(_: T): void => {};

export async function nodeSurface(): Promise<void> {
  // A connection destructures position by position.
  const conn = await openConnection({ host: '127.0.0.1', port: 1 });
  const [reader, writer] = conn;
  expectType<Equal<typeof reader, StreamReader>>(true);
  expectType<Equal<typeof writer, StreamWriter>>(true);
  expectType<Equal<typeof conn, Connection>>(true);
  await using _closed = conn;
  expectType<Equal<Awaited<ReturnType<StreamReader['readline']>>, Buffer>>(true);

  // Lines are strings; for await on the reader yields buffers.
  for await (const line of reader.lines()) expectType<Equal<typeof line, string>>(true);
  for await (const line of reader) expectType<Equal<typeof line, Buffer>>(true);

  // getExtraInfo knows its names.
  const socket = writer.getExtraInfo('socket');
  expectType<Equal<typeof socket, import('node:net').Socket | undefined>>(true);
  const other: unknown = writer.getExtraInfo('custom', 42);
  void other;

  // addresses() is never empty, so its first element needs no assertion.
  const server = await startServer(() => undefined, { port: 0 });
  const [first] = server.addresses();
  expectType<Equal<typeof first, AddressInfo>>(true);
  // @ts-expect-error: a handler takes (reader, writer)
  await startServer((a: number) => a, { port: 0 });
  // @ts-expect-error: no such option
  await startServer(() => undefined, { port: 0, timeout: 5 });
  // @ts-expect-error: openConnection takes no timeout: wrap it in timeout()
  await openConnection({ port: 1 }, { timeout: 5 });

  await run(() =>
    taskGroup(async (tg) => {
      const addresses = await tg.start<ServerAddresses>((status) =>
        serveTcp(() => undefined, { port: 0 }, status),
      );
      expectType<Equal<typeof addresses, ServerAddresses>>(true);
    }),
  );

  const [a, b] = memoryStreamPair();
  expectType<Equal<typeof a, Connection>>(true);
  expectType<Equal<typeof b, Connection>>(true);

  const response = await fetch('http://127.0.0.1/');
  expectType<Equal<typeof response, DisposableResponse>>(true);
  const asResponse: Response = response;
  void asResponse;
}
