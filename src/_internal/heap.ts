/**
 * A binary min-heap of entries that know their own index, so an entry can be
 * removed in O(log n), and the heap can be rebuilt without its dead entries in
 * O(n) (the loop's timer heap prunes cancelled timers that way, after Trio's
 * DEADLINE_HEAP_MIN_PRUNE_THRESHOLD).
 *
 * Ordering is by `when`, then by `seq` (insertion order), so timers due at the
 * same instant fire in the order they were set: virtual-time traces depend on it.
 * @module
 */

export interface HeapEntry {
  when: number;
  seq: number;
  /** Position in the heap; -1 iff the entry is not in a heap. */
  index: number;
}

const before = (a: HeapEntry, b: HeapEntry): boolean =>
  a.when < b.when || (a.when === b.when && a.seq < b.seq);

export class Heap<E extends HeapEntry> {
  readonly #items: E[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): E | undefined {
    return this.#items[0];
  }

  push(entry: E): void {
    const items = this.#items;
    entry.index = items.length;
    items.push(entry);
    this.#up(entry.index);
  }

  pop(): E | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `entry` if it is in this heap; returns whether it was. */
  remove(entry: E): boolean {
    const items = this.#items;
    const i = entry.index;
    if (i < 0 || items[i] !== entry) return false;
    const last = items.pop() as E;
    entry.index = -1;
    if (last !== entry) {
      items[i] = last;
      last.index = i;
      this.#down(i);
      this.#up(last.index);
    }
    return true;
  }

  /** Restores `entry`'s place after its key (`when`, `seq`) changed. */
  update(entry: E): void {
    const i = entry.index;
    if (i < 0 || this.#items[i] !== entry) return;
    this.#down(i);
    this.#up(entry.index);
  }

  /** Keeps only the entries `keep` accepts, then restores heap order in O(n). */
  prune(keep: (entry: E) => boolean): void {
    const items = this.#items;
    let n = 0;
    for (const entry of items) {
      if (keep(entry)) items[n++] = entry;
      else entry.index = -1;
    }
    items.length = n;
    for (let i = 0; i < n; i++) (items[i] as E).index = i;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #up(i: number): void {
    const items = this.#items;
    const entry = items[i] as E;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p] as E;
      if (!before(entry, parent)) break;
      items[i] = parent;
      parent.index = i;
      i = p;
    }
    items[i] = entry;
    entry.index = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const entry = items[i] as E;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(items[r] as E, items[l] as E) ? r : l;
      const child = items[c] as E;
      if (!before(child, entry)) break;
      items[i] = child;
      child.index = i;
      i = c;
    }
    items[i] = entry;
    entry.index = i;
  }
}
