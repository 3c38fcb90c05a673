import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Heap, type HeapEntry } from '../../src/_internal/heap.js';

// A deterministic pseudo-random sequence (mulberry32), so a failure replays.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Entry extends HeapEntry {
  live: boolean;
}

test('the heap pops in (when, seq) order through random pushes, removals and prunes', () => {
  const next = random(42);
  const heap = new Heap<Entry>();
  const model: Entry[] = [];
  let seq = 0;
  for (let step = 0; step < 20_000; step++) {
    const r = next();
    if (r < 0.5) {
      const entry: Entry = { when: Math.floor(next() * 100), seq: seq++, index: -1, live: true };
      heap.push(entry);
      model.push(entry);
    } else if (r < 0.7 && model.length > 0) {
      const i = Math.floor(next() * model.length);
      const [entry] = model.splice(i, 1);
      assert.equal(heap.remove(entry as Entry), true);
      assert.equal((entry as Entry).index, -1);
    } else if (r < 0.72) {
      for (const entry of model) entry.live = next() < 0.5;
      heap.prune((e) => e.live);
      model.splice(0, model.length, ...model.filter((e) => e.live));
    } else if (model.length > 0) {
      model.sort((a, b) => a.when - b.when || a.seq - b.seq);
      assert.equal(heap.pop(), model.shift());
    }
    assert.equal(heap.size, model.length);
  }
});

test('removing an entry that is not in the heap does nothing', () => {
  const heap = new Heap<HeapEntry>();
  const entry = { when: 1, seq: 0, index: -1 };
  assert.equal(heap.remove(entry), false);
  heap.push(entry);
  assert.equal(heap.pop(), entry);
  assert.equal(heap.remove(entry), false);
});
