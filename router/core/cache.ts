/**
 * A bounded cache for per-target services (Linkerd's `bindingCache`), with CLOCK (second chance)
 * eviction: a hit only sets a flag — no reordering on the request path — and an insert past
 * capacity evicts the oldest entry not used since it was last considered, calling `onEvict`.
 *
 * @module
 */

/**
 * An entry of the cache, which a caller may hold to skip the lookup of a key it asks for again
 * and again (issue 6: with 1000 services, the hash lookups of the request path missed the CPU's
 * caches): while `live`, `value` is the cached value, and setting `used` is what a `get` does.
 */
export interface CacheSlot<V> {
  value: V;
  /** Used since the clock hand last passed (a hit sets it). */
  used: boolean;
  /** Still in the cache: false once evicted, expired or cleared (a `set` replaces `value`). */
  live: boolean;
}

interface Slot<V> extends CacheSlot<V> {
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

  /**
   * The entry of `key`, marked as recently used, for a caller to hold (see {@link CacheSlot}).
   *
   * @example
   * ```ts
   * import { LruCache } from "./cache.ts";
   * const c = new LruCache<string, number>(10);
   * c.set("a", 1);
   * const slot = c.slot("a")!;
   * slot.live && slot.value; // 1
   * ```
   */
  slot(key: K): CacheSlot<V> | undefined {
    const s = this.#map.get(key);
    if (s !== undefined) s.used = true;
    return s;
  }

  /** Insert (or replace), evicting an entry not used recently past capacity. */
  set(key: K, value: V): void {
    const old = this.#map.get(key);
    if (old) {
      old.value = value;
      old.used = true;
      return;
    }
    this.#map.set(key, { value, used: false, live: true, born: this.#sweeps });
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
      s.live = false;
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
    const idle: [K, Slot<V>][] = [];
    for (const [k, s] of this.#map) {
      if (s.used) s.used = false;
      else if (s.born !== this.#sweeps) idle.push([k, s]);
    }
    this.#sweeps++;
    for (const [k, s] of idle) {
      this.#map.delete(k);
      s.live = false;
      this.#onEvict?.(k, s.value);
    }
    return idle.length;
  }

  /** Remove every entry, calling `onEvict` for each. */
  clear(): void {
    const all = [...this.#map];
    this.#map.clear();
    for (const [, s] of all) s.live = false;
    for (const [k, s] of all) this.#onEvict?.(k, s.value);
  }
}
