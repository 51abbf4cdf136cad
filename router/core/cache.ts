/**
 * A bounded least-recently-used map for per-target services (Linkerd's `bindingCache`).
 * `get` refreshes recency; inserting past capacity evicts the oldest entry and calls `onEvict`.
 *
 * @module
 */

/** LRU cache over a Map (insertion order = recency order). */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  readonly #onEvict: ((key: K, value: V) => void) | undefined;

  constructor(max: number, onEvict?: (key: K, value: V) => void) {
    this.#max = Math.max(1, max);
    this.#onEvict = onEvict;
  }

  /** The value, refreshed as most recent. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  /** Insert, evicting the least recent entry past capacity. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) {
        const old = this.#map.get(oldest.value)!;
        this.#map.delete(oldest.value);
        this.#onEvict?.(oldest.value, old);
      }
    }
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** All entries, least recent first. */
  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }

  /** Remove every entry, calling `onEvict` for each. */
  clear(): void {
    const all = [...this.#map];
    this.#map.clear();
    for (const [k, v] of all) this.#onEvict?.(k, v);
  }
}
