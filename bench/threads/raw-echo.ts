// W12's raw thread: answers each number with the next one, by message passing.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (n: number) => {
  parentPort?.postMessage(n + 1);
});
