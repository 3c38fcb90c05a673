import { createClient } from '@redis/client';
import { createTask, run } from 'corio';
import { openWorkQueue } from 'corio/redis';
const now = () => performance.now();
const c1 = await createClient({ socket: { path: '/tmp/h17r/redis.sock' } }).connect();
const c2 = await createClient({ socket: { path: '/tmp/h17r/redis.sock' } }).connect();
await c1.flushAll();
const lat: number[] = [];
await run(async () => {
  await using w = await openWorkQueue<{ t: number }>({ client: c1, name: 'lat' });
  await using p = await openWorkQueue<{ t: number }>({ client: c2, name: 'lat' });
  const conc = Number(process.argv[2] ?? 8);
  const s = createTask(() => w.serve(async (j) => { lat.push(now() - j.t); }, { concurrency: conc }));
  for (let i = 0; i < 200; i++) { await p.put({ t: now() }); await new Promise((r) => setTimeout(r, 2)); }
  await p.join();
  await w.shutdown(); await s;
});
lat.sort((a, b) => a - b);
console.log('p50', lat[100]?.toFixed(2), 'p99', lat[198]?.toFixed(2));
c1.destroy(); c2.destroy();
