import { CapacityLimiter, openChannel, run, sleep, taskGroup } from 'corio';

// Two producers, one consumer, a rendezvous channel, and a limiter on the consumer.
await run(async () => {
  const [send, receive] = openChannel<string>(0);
  const database = new CapacityLimiter(1); // at most one write at a time
  await taskGroup((tg) => {
    for (const source of ['sensor-a', 'sensor-b']) {
      const out = send.clone(); // each producer owns its end and closes it
      tg.spawn(async () => {
        using channel = out;
        for (let i = 1; i <= 2; i++) {
          await sleep(source === 'sensor-a' ? 10 : 15);
          await channel.send(`${source} #${i}`);
        }
      });
    }
    send.close(); // the original end: the channel ends when every clone is closed
    tg.spawn(async () => {
      for await (const reading of receive) {
        await database.run(() => sleep(1));
        console.log('stored', reading);
      }
      console.log('every producer is done');
    });
  });
});
// => stored sensor-a #1
// => stored sensor-b #1
// => stored sensor-a #2
// => stored sensor-b #2
// => every producer is done
