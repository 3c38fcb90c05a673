import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PriorityQueue, createTask } from 'corio';
import { waitAllTasksBlocked } from 'corio/testing';
import { outcome, vrun } from '../_helpers.js';

test('items leave smallest first, equal ones in arrival order', () =>
  vrun(async () => {
    const queue = new PriorityQueue<number>();
    for (const n of [5, 1, 4, 1, 3, 9, 2, 6]) queue.putNowait(n);
    const out: number[] = [];
    while (!queue.empty()) out.push(await queue.get());
    assert.deepEqual(out, [1, 1, 2, 3, 4, 5, 6, 9]);
    const pairs = new PriorityQueue<[number, string]>();
    for (const p of [
      [2, 'b'],
      [1, 'z'],
      [2, 'a'],
    ] as [number, string][])
      pairs.putNowait(p);
    assert.deepEqual(
      [pairs.getNowait(), pairs.getNowait(), pairs.getNowait()],
      [
        [1, 'z'],
        [2, 'a'],
        [2, 'b'],
      ],
    );
  }));

test('a custom comparator orders the items; stability keeps arrival order on ties', () =>
  vrun(() => {
    const queue = new PriorityQueue<{ id: string; p: number }>(0, { compare: (a, b) => a.p - b.p });
    for (const [id, p] of [
      ['a', 1],
      ['b', 0],
      ['c', 1],
      ['d', 0],
    ] as const)
      queue.putNowait({ id, p });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => queue.getNowait().id),
      ['b', 'd', 'a', 'c'],
    );
  }));

test('a getter cancelled as an item is handed to it puts the item back in priority order', () =>
  vrun(async () => {
    const queue = new PriorityQueue<number>();
    const getter = createTask(() => queue.get());
    await waitAllTasksBlocked();
    queue.putNowait(5);
    getter.cancel();
    queue.putNowait(7);
    queue.putNowait(1);
    assert.equal(await outcome(getter), 'CancelledError');
    assert.deepEqual([queue.getNowait(), queue.getNowait(), queue.getNowait()], [1, 5, 7]);
  }));

test('a comparator that is not a function is refused at once', () => {
  assert.throws(() => new PriorityQueue(0, { compare: 'desc' as never }), {
    name: 'TypeError',
    message: 'new PriorityQueue(): `options.compare` must be a function, got "desc"',
  });
});
