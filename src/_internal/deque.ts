/**
 * A double-ended queue on a growable ring buffer: O(1) push and shift at both
 * ends with no per-item allocation, the storage of `Queue`, `LifoQueue` and the
 * memory channels (asyncio uses `collections.deque` the same way).
 * @module
 */

export class Deque<T> {
  // Capacity is a power of two, so `& mask` wraps an index.
  #items: (T | undefined)[] = new Array<T | undefined>(16);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = item;
    this.#size++;
  }

  unshift(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#size++;
  }

  /** Removes and returns the first item; the deque must not be empty. */
  shift(): T {
    const items = this.#items;
    const item = items[this.#head] as T;
    items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (items.length - 1);
    this.#size--;
    return item;
  }

  /** Removes and returns the last item; the deque must not be empty. */
  pop(): T {
    const items = this.#items;
    const i = (this.#head + this.#size - 1) & (items.length - 1);
    const item = items[i] as T;
    items[i] = undefined;
    this.#size--;
    return item;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  clear(): void {
    this.#items = new Array<T | undefined>(16);
    this.#head = 0;
    this.#size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#size; i++) {
      yield this.#items[(this.#head + i) & (this.#items.length - 1)] as T;
    }
  }

  #grow(): void {
    const old = this.#items;
    const items = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#size; i++) items[i] = old[(this.#head + i) & (old.length - 1)];
    this.#items = items;
    this.#head = 0;
  }
}
