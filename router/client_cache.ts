/**
 * Client stacks cached per bound (client) name, e.g. `/#/io.l5d.fs/world`. Many logical names
 * that bind to the same client share one balancer and one set of endpoint connections
 * (Linkerd's bound/client cache).
 *
 * @module
 */
import type { Service } from "./core/service.ts";
import type { Bound } from "../discovery/types.ts";
import type { ClientStack, StackFactory } from "./stacks.ts";
import { type CacheSlot, LruCache } from "./core/cache.ts";

/** A cached client: its stack and the bound name it was built for. */
export interface CachedClient {
  readonly stack: ClientStack;
  readonly bound: Bound;
}

/** The cache. */
export interface ClientCache {
  /** The client service for a bound name (built on first use). */
  get(bound: Bound): Service;
  /**
   * The cache entry of a bound name's client (built on first use), for a caller that sends to
   * it again and again to hold while it is `live` (a path stack: see `CacheSlot`).
   */
  slot(bound: Bound): CacheSlot<CachedClient>;
  /** False when the bound name's client exists and has no usable endpoint (for failover). */
  usable(bound: Bound): boolean;
  /** The bound names of the cached clients (id and live Addr), least recently used first. */
  bounds(): Bound[];
  /** Close the clients not used since the last sweep (`bindingCache.idleTtlSecs`). */
  sweep(): void;
  /** Close every client (`graceMs`: as {@link ClientStack.close}). */
  close(graceMs?: number): Promise<void>;
}

/** Make a client cache for one router. */
export function createClientCache(router: string, stacks: StackFactory, max: number): ClientCache {
  const closing: Promise<void>[] = [];
  let graceMs: number | undefined; // set by close(): evictions before it use the default
  let closed = false;
  const cache = new LruCache<string, CachedClient>(max, (_k, c) => {
    closing.push(c.stack.close(graceMs));
    // Evicted or idle: gone for good, and its metrics with it (their gauges hold the stack). On
    // close (a reload) they stay for the next router's client of the same name.
    if (!closed) c.stack.forget?.();
  });
  function entry(bound: Bound): ClientStack {
    let c = cache.get(bound.idStr);
    if (!c) {
      c = { stack: stacks.client(router, bound), bound };
      cache.set(bound.idStr, c);
    }
    return c.stack;
  }
  return {
    get: (bound) => entry(bound).service,
    slot(bound) {
      const s = cache.slot(bound.idStr);
      if (s !== undefined) return s;
      entry(bound);
      return cache.slot(bound.idStr)!;
    },
    usable: (bound) => entry(bound).usable(),
    bounds: () => [...cache.entries()].map(([, c]) => c.bound),
    sweep: () => void cache.sweep(),
    async close(ms?: number) {
      graceMs = ms;
      closed = true;
      cache.clear();
      await Promise.allSettled(closing);
    },
  };
}
