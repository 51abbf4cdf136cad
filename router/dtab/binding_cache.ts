/**
 * The binding cache: `(dtab, path) → bound tree`, kept current by subscribing to every Var the
 * binding consulted (Linkerd's `bindingCache.trees`, default 1000 entries, and
 * `bindingTimeoutMs`, default 10 s).
 *
 * - A hit returns the cached tree synchronously: no parse, no bind, no allocation.
 * - A pending binding (namer or Addr still pending) returns a promise shared by all callers; it
 *   re-binds on every change of its deps and rejects with {@linkcode DeadlineExceeded}
 *   ("binding timed out ...") after `bindingTimeoutMs`.
 * - A dep change drops a settled entry (the next request binds again). An Addr change that does
 *   not change whether it is `neg`, `pending` or live (e.g. endpoints added) leaves the tree as
 *   it is: the leaf's Addr Var already carries the new endpoints.
 * - A failed binding rejects with {@linkcode BindFailed} until a dep changes.
 * - Past `maxEntries`, an entry not used recently is evicted (CLOCK, as the path and client
 *   caches: a hit sets a bit, and the hand gives a used entry a second chance), and unsubscribed.
 *   A hit used to move its entry to the front of a list, which wrote to two other entries on
 *   every request: with 1000 services those were cache misses (issue 6).
 * - {@linkcode BindingCache.binder} holds one entry for a caller that binds the same name again
 *   and again (a path stack), so that a request skips the two map lookups.
 *
 * Sits in the path stack's leaf (`router/binding.ts`); one cache per Router snapshot.
 *
 * @module
 */
import { BindFailed, DeadlineExceeded } from "../core/errors.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import type { Var } from "../core/var.ts";
import type { Bound, NamerLookup } from "../../discovery/types.ts";
import { bind as bindPath, type BindOptions } from "./bind.ts";
import type { Dtab, NameTree, Path } from "./types.ts";

/** Options for {@linkcode createBindingCache}. */
export interface BindingCacheOptions {
  /** The global namer lookup (`/#/...`, `/$/...`). */
  lookup: NamerLookup;
  /** LRU bound on cached (dtab, path) entries; default 1000 (Linkerd `bindingCache.trees`). */
  maxEntries?: number;
  /** How long a pending binding may wait; default 10000 (Linkerd `bindingTimeoutMs`). */
  bindingTimeoutMs?: number;
  /** Passed to `bind` (`maxDepth`, `failover`). */
  bindOptions?: BindOptions;
  /** Timers; default the system clock. */
  clock?: Clock;
}

/** A cache of bound trees; see the module doc. */
export interface BindingCache {
  /**
   * The bound tree for `path` under `dtab`. `dtabKey`/`pathKey` identify them (e.g. the header
   * text and `showPath(path)`); equal keys must mean equal values.
   */
  bind(
    dtab: Dtab,
    dtabKey: string,
    path: Path,
    pathKey: string,
  ): Promise<NameTree<Bound>> | NameTree<Bound>;
  /**
   * `bind` of one `(dtab, path)`, for a caller that asks again and again (a path stack's leaf):
   * it holds the entry it found or made, and while that entry stays cached with a tree, a call
   * returns the tree without looking it up (no hashing, no map probes).
   *
   * @example
   * ```ts
   * import { createBindingCache } from "./binding_cache.ts";
   * import { parseDtab } from "./dtab.ts";
   * const cache = createBindingCache({ lookup: () => undefined });
   * const bindA = cache.binder(parseDtab("/svc=>!"), "/svc=>!", ["svc", "a"], "/svc/a");
   * const tree = await bindA(); // bound as `bind` would; the next call skips the lookup
   * tree.type; // "fail"
   * cache.close();
   * ```
   */
  binder(
    dtab: Dtab,
    dtabKey: string,
    path: Path,
    pathKey: string,
  ): () => Promise<NameTree<Bound>> | NameTree<Bound>;
  /** Number of cached entries. */
  size(): number;
  /** Drop every entry, unsubscribe, reject pending waiters. */
  close(): void;
}

interface Entry {
  readonly dtabKey: string;
  readonly pathKey: string;
  readonly dtab: Dtab;
  readonly path: Path;
  tree: NameTree<Bound> | undefined;
  error: Error | undefined;
  promise: Promise<NameTree<Bound>> | undefined;
  resolve: ((t: NameTree<Bound>) => void) | undefined;
  reject: ((e: Error) => void) | undefined;
  cancelTimer: (() => void) | undefined;
  unsubs: (() => void)[];
  inMap: boolean;
  /** Used since the clock hand last passed it. */
  used: boolean;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** What about a dep's value matters to the bound tree (for an Addr: neg / pending / live). */
function depClass(v: unknown): unknown {
  if (typeof v === "object" && v !== null && "type" in v && !("state" in v)) {
    const t = (v as { type: unknown }).type;
    if (t === "neg" || t === "pending") return t;
    if (t === "bound" || t === "failed") return "live";
  }
  return v;
}

/**
 * Create a binding cache.
 *
 * @param opts The namer lookup, size bound and binding timeout.
 * @returns The cache.
 * @example
 * ```ts
 * import { createBindingCache } from "./binding_cache.ts";
 * import { parseDtab } from "./dtab.ts";
 * const cache = createBindingCache({ lookup: () => undefined });
 * const tree = await cache.bind(parseDtab("/svc=>!"), "/svc=>!", ["svc", "a"], "/svc/a");
 * tree.type; // "fail"
 * cache.close();
 * ```
 */
export function createBindingCache(opts: BindingCacheOptions): BindingCache {
  const maxEntries = Math.max(1, opts.maxEntries ?? 1000);
  const timeoutMs = opts.bindingTimeoutMs ?? 10_000;
  const clock = opts.clock ?? systemClock;
  const byDtab = new Map<string, Map<string, Entry>>();
  let count = 0;
  let head: Entry | undefined; // newest (or given a second chance last)
  let tail: Entry | undefined; // where the clock hand is

  function unlink(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else head = e.next;
    if (e.next) e.next.prev = e.prev;
    else tail = e.prev;
    e.prev = e.next = undefined;
  }

  function pushFront(e: Entry): void {
    e.next = head;
    e.prev = undefined;
    if (head) head.prev = e;
    head = e;
    tail ??= e;
  }

  function unsubscribe(e: Entry): void {
    for (const u of e.unsubs) u();
    e.unsubs = [];
  }

  function remove(e: Entry): void {
    if (!e.inMap) return;
    e.inMap = false;
    const m = byDtab.get(e.dtabKey);
    m?.delete(e.pathKey);
    if (m?.size === 0) byDtab.delete(e.dtabKey);
    unlink(e);
    count--;
    if (!e.promise) unsubscribe(e); // a pending entry finishes on its own, then unsubscribes
  }

  function settle(e: Entry, tree: NameTree<Bound> | undefined, error: Error | undefined): void {
    e.cancelTimer?.();
    e.cancelTimer = undefined;
    const { resolve, reject } = e;
    e.promise = e.resolve = e.reject = undefined;
    e.tree = tree;
    e.error = error;
    if (!e.inMap) unsubscribe(e);
    if (error) reject?.(error);
    else if (tree) resolve?.(tree);
  }

  /** Bind (again) and subscribe to the deps; settles the entry unless still pending. */
  function run(e: Entry): void {
    let r;
    for (let attempt = 0;; attempt++) {
      unsubscribe(e);
      r = bindPath(e.dtab, e.path, opts.lookup, opts.bindOptions);
      const deps = r.deps;
      const classes = deps.map((d) => depClass(d.get()));
      e.unsubs = deps.map((d, i) => subscribe(e, d, classes[i]));
      // A Var that changed while we subscribed (a lazy watch starting) means: bind again, a
      // couple of times at most (a Var whose get() makes a new object each time looks changed).
      if (attempt >= 2 || !deps.some((d, i) => depClass(d.get()) !== classes[i])) break;
    }
    if (r.pending) return;
    if (r.error !== undefined) {
      settle(e, undefined, new BindFailed(`${r.error} (binding ${e.pathKey})`));
    } else settle(e, r.tree, undefined);
  }

  function subscribe(e: Entry, dep: Var<unknown>, cls: unknown): () => void {
    return dep.subscribe((v) => {
      if (depClass(v) === cls) return;
      if (e.promise) run(e);
      else remove(e);
    });
  }

  function startPending(e: Entry): Promise<NameTree<Bound>> {
    const promise = new Promise<NameTree<Bound>>((resolve, reject) => {
      e.resolve = resolve;
      e.reject = reject;
    });
    promise.catch(() => {}); // callers that went away must not cause an unhandled rejection
    e.promise = promise;
    e.cancelTimer = clock.setTimer(timeoutMs, () => {
      e.cancelTimer = undefined;
      remove(e);
      settle(
        e,
        undefined,
        new DeadlineExceeded(`binding timed out after ${timeoutMs} ms for ${e.pathKey}`),
      );
    });
    return promise;
  }

  function create(dtab: Dtab, dtabKey: string, path: Path, pathKey: string): Entry {
    const e: Entry = {
      dtabKey,
      pathKey,
      dtab,
      path,
      tree: undefined,
      error: undefined,
      promise: undefined,
      resolve: undefined,
      reject: undefined,
      cancelTimer: undefined,
      unsubs: [],
      inMap: true,
      used: false,
      prev: undefined,
      next: undefined,
    };
    let m = byDtab.get(dtabKey);
    if (!m) byDtab.set(dtabKey, m = new Map());
    m.set(pathKey, e);
    pushFront(e);
    count++;
    while (count > maxEntries) {
      const t = tail!;
      // A used entry gets a second chance, and so does the new one (never its own victim): with
      // more than one entry, a full turn of the hand clears every bit and finds one to evict.
      if (t.used || t === e) {
        t.used = false;
        unlink(t);
        pushFront(t);
        continue;
      }
      remove(t);
    }
    return e;
  }

  /** The entry of `(dtab, path)`, marked used; made and bound (or left pending) on a miss. */
  function entryFor(dtab: Dtab, dtabKey: string, path: Path, pathKey: string): Entry {
    const hit = byDtab.get(dtabKey)?.get(pathKey);
    if (hit) {
      hit.used = true;
      return hit;
    }
    const e = create(dtab, dtabKey, path, pathKey);
    run(e);
    if (!e.tree && !e.error) startPending(e);
    return e;
  }

  function answer(e: Entry): Promise<NameTree<Bound>> | NameTree<Bound> {
    if (e.tree) return e.tree;
    if (e.error) return Promise.reject(e.error);
    return e.promise!;
  }

  return {
    bind(dtab, dtabKey, path, pathKey) {
      const e = entryFor(dtab, dtabKey, path, pathKey);
      return e.tree ?? answer(e);
    },
    binder(dtab, dtabKey, path, pathKey) {
      let held: Entry | undefined;
      return () => {
        const e = held;
        if (e !== undefined && e.inMap && e.tree !== undefined) {
          e.used = true;
          return e.tree;
        }
        const found = held = entryFor(dtab, dtabKey, path, pathKey);
        return found.tree ?? answer(found);
      };
    },
    size: () => count,
    close() {
      for (let e = head; e; e = head) {
        remove(e);
        if (e.promise) settle(e, undefined, new BindFailed("binding cache closed"));
      }
    },
  };
}
