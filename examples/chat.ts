import { Queue, QueueFull, run, taskGroup } from 'corio';
import { openConnection, type StreamReader, type StreamWriter, startServer } from 'corio/node';

// A line-based chat server. Each member has a bounded outbox and a task that
// sends it at the member's own pace; a broadcast never waits for anyone. A
// member whose outbox is full cannot keep up: it is dropped, and the others go
// on at full speed.
class ChatRoom {
  readonly #outboxes = new Map<string, Queue<string>>();

  join(name: string): Queue<string> {
    const outbox = new Queue<string>(256);
    this.#outboxes.set(name, outbox);
    return outbox;
  }

  leave(name: string): void {
    this.#outboxes.get(name)?.shutdown({ immediate: true });
    this.#outboxes.delete(name);
  }

  broadcast(from: string, text: string): void {
    for (const [name, outbox] of this.#outboxes) {
      if (name === from) continue;
      try {
        outbox.putNowait(`${from}: ${text}\n`);
      } catch (error) {
        if (!(error instanceof QueueFull)) throw error;
        console.log(`server: ${name} is too slow, dropped`);
        this.leave(name); // its sender stops, and its connection is closed
      }
    }
  }
}

const room = new ChatRoom();

async function member(reader: StreamReader, writer: StreamWriter): Promise<void> {
  const name = (await reader.readline()).toString().trim();
  const outbox = room.join(name);
  writer.write(`welcome, ${name}\n`);
  await taskGroup(async (tg) => {
    tg.spawn(async () => {
      for await (const line of outbox) {
        writer.write(line);
        await writer.drain(); // backpressure from this member only
      }
      tg.cancel(); // dropped: stop reading too
    });
    for await (const text of reader.lines()) room.broadcast(name, text);
    tg.cancel(); // the member left
  });
  room.leave(name);
}

async function connect(port: number, name: string) {
  const conn = await openConnection({ host: '127.0.0.1', port });
  await conn.writer.writeAll(`${name}\n`);
  await conn.reader.readline(); // welcome
  return conn;
}

const MESSAGES = 20_000;
const ROUND = 100;
const TEXT = 'x'.repeat(1000);

await run(async () => {
  await using server = await startServer(member, { host: '127.0.0.1', port: 0 });
  const [{ port }] = server.addresses();
  await using bob = await connect(port, 'bob');
  await using slowpoke = await connect(port, 'slowpoke'); // never reads
  await using alice = await connect(port, 'alice');

  // alice sends in rounds, each once bob has the last: a brisk chat that bob
  // keeps up with. slowpoke falls behind by a round every round.
  const rounds = new Queue<number>();
  await taskGroup((tg) => {
    tg.spawn(async () => {
      for (let i = 1; i <= MESSAGES; i++) {
        alice.writer.write(`${i === MESSAGES ? 'bye' : TEXT}\n`);
        await alice.writer.drain();
        if (i % ROUND === 0) await rounds.get();
      }
    });
    tg.spawn(async () => {
      let received = 0;
      for await (const line of bob.reader.lines()) {
        if (++received % ROUND === 0) rounds.putNowait(received);
        if (line === 'alice: bye') break;
      }
      console.log(`bob: received all ${received} messages`);
    });
  });

  // slowpoke reads now: what it was sent before it was dropped, then the end.
  let got = 0;
  for await (const _ of slowpoke.reader.lines()) got++;
  console.log(`slowpoke: got ${got < MESSAGES ? 'fewer' : 'all'} messages, then the end`);
});
// => server: slowpoke is too slow, dropped
// => bob: received all 20000 messages
// => slowpoke: got fewer messages, then the end
