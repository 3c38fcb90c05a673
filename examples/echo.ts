import { run } from 'corio';
import { openConnection, type StreamReader, type StreamWriter, startServer } from 'corio/node';

// asyncio's TCP echo server and client, line for line in corio.
async function handleEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
  const data = await reader.read(100);
  const message = data.toString();
  const peer = writer.getExtraInfo('peername') as { address: string };
  console.log(`Received ${JSON.stringify(message)} from ${peer.address}`);

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(data);
  await writer.drain();

  console.log('Close the connection');
  writer.close();
  await writer.waitClosed();
}

async function tcpEchoClient(port: number, message: string): Promise<void> {
  const [reader, writer] = await openConnection({ host: '127.0.0.1', port });

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(message);
  await writer.drain();

  const data = await reader.read(100);
  console.log(`Received: ${JSON.stringify(data.toString())}`);

  console.log('Close the connection');
  writer.close();
  await writer.waitClosed();
}

await run(async () => {
  // Port 0: the system picks a free port, and the client asks the server which.
  await using server = await startServer(handleEcho, { host: '127.0.0.1', port: 0 });
  const [{ address, port }] = server.addresses();
  console.log(`Serving on ${address}`);
  await tcpEchoClient(port, 'Hello World!');
});
// => Serving on 127.0.0.1
// => Send: "Hello World!"
// => Received "Hello World!" from 127.0.0.1
// => Send: "Hello World!"
// => Close the connection
// => Received: "Hello World!"
// => Close the connection
