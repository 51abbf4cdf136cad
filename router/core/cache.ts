/**
 * A bounded cache for per-target services (Linkerd's `bindingCache`), with CLOCK (second chance)
 * eviction: a hit only sets a flag — no reordering on the request path — and an insert past
 * capacity evicts the oldest entry not used since it was last considered, calling `onEvict`.
 *
 * @module
 */

interface Slot<V> {
  value: V;
  used: boolean;
  /** The sweep count when it was inserted: one inserted since the last sweep is not idle yet. */
  readonly born: number;
}

/** Bounded cache over a Map (insertion order = the clock hand's order). */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, Slot<V>>();
  readonly #onEvict: ((key: K, value: V) => void) | undefined;
  #sweeps = 0;

  constructor(max: number, onEvict?: (key: K, value: V) => void) {
    this.#max = Math.max(1, max);
    this.#onEvict = onEvict;
  }

  /** The value, marked as recently used. */
  get(key: K): V | undefined {
    const s = this.#map.get(key);
    if (s === undefined) return undefined;
    s.used = true;
    return s.value;
  }

  /** Insert (or replace), evicting an entry not used recently past capacity. */
  set(key: K, value: V): void {
    const old = this.#map.get(key);
    if (old) {
      old.value = value;
      old.used = true;
      return;
    }
    this.#map.set(key, { value, used: false, born: this.#sweeps });
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      const k = oldest.value;
      const s = this.#map.get(k)!;
      this.#map.delete(k);
      // The entry being inserted is never its own victim: when every other entry was used, the
      // hand clears them all and comes round to it, and evicting it would hand the caller a value
      // already evicted (a closed client: "endpoint … is closed" past `bindingCache.clients`).
      if (s.used || k === key) {
        s.used = false;
        this.#map.set(k, s); // second chance: to the back of the clock
        continue;
      }
      this.#onEvict?.(k, s.value);
    }
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** All entries, in the clock's order. */
  *entries(): IterableIterator<[K, V]> {
    for (const [k, s] of this.#map) yield [k, s.value];
  }

  /**
   * Expire idle entries: those not used (nor inserted) since the last sweep are removed (calling
   * `onEvict`), the others are marked unused. Swept every TTL, an entry idle for 1–2 TTLs goes, at
   * no cost to `get` (it only sets the bit it already sets).
   *
   * @returns how many entries were removed
   */
  sweep(): number {
    const idle: [K, V][] = [];
    for (const [k, s] of this.#map) {
      if (s.used) s.used = false;
      else if (s.born !== this.#sweeps) idle.push([k, s.value]);
    }
    this.#sweeps++;
    for (const [k, v] of idle) {
      this.#map.delete(k);
      this.#onEvict?.(k, v);
    }
    return idle.length;
  }

  /** Remove every entry, calling `onEvict` for each. */
  clear(): void {
    const all = [...this.#map];
    this.#map.clear();
    for (const [k, s] of all) this.#onEvict?.(k, s.value);
  }
}
