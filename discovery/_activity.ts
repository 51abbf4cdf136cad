/**
 * Folder-private helpers for namer results: `Activity<NameTree<Name>>` constructors, a
 * structural equality (so Vars only notify on real changes), and a derived Var.
 *
 * @module
 */
import type { NameTree, Path } from "../router/dtab/types.ts";
import { constVar, type Var } from "../router/core/var.ts";
import type { Activity, Bound, Name } from "./types.ts";
import { pathEquals, pathKey, showPath } from "./_path.ts";

/** A lookup result. */
export type Lookup = Activity<NameTree<Name>>;

/** Still resolving. */
export const PENDING: Lookup = Object.freeze({ state: "pending" });
/** No such name: the dtab falls through to the next alternative. */
export const NEG: Lookup = Object.freeze({ state: "ok", value: Object.freeze({ type: "neg" }) });
/** Stop: do not try alternatives (`!`, `/$/fail`). */
export const FAIL: Lookup = Object.freeze({ state: "ok", value: Object.freeze({ type: "fail" }) });
/** Bound to nothing (`$`, `/$/nil`). */
export const EMPTY: Lookup = Object.freeze({
  state: "ok",
  value: Object.freeze({ type: "empty" }),
});

/** A leaf holding a bound name. */
export function leafBound(bound: Bound): Lookup {
  return { state: "ok", value: { type: "leaf", value: { kind: "bound", bound } } };
}

/** A leaf holding a path to delegate again. */
export function leafPath(path: Path): Lookup {
  return { state: "ok", value: { type: "leaf", value: { kind: "path", path } } };
}

/** A negative lookup that says why (the delegator shows it). */
export function negBecause(why: string): Lookup {
  return { state: "ok", value: { type: "neg", why } };
}

/** A failed lookup (an exception, not the `fail` tree). */
export function failed(error: string): Lookup {
  return { state: "failed", error };
}

function boundEquals(a: Bound, b: Bound): boolean {
  return a === b ||
    (a.idStr === b.idStr && a.addr === b.addr && pathEquals(a.residual, b.residual));
}

function nameEquals(a: Name, b: Name): boolean {
  if (a.kind === "bound") return b.kind === "bound" && boundEquals(a.bound, b.bound);
  return b.kind === "path" && pathEquals(a.path, b.path);
}

function treeEquals(a: NameTree<Name>, b: NameTree<Name>): boolean {
  if (a === b) return true;
  switch (a.type) {
    case "leaf":
      return b.type === "leaf" && nameEquals(a.value, b.value);
    case "alt":
      return b.type === "alt" && a.trees.length === b.trees.length &&
        a.trees.every((t, i) => treeEquals(t, b.trees[i] as NameTree<Name>));
    case "union":
      return b.type === "union" && a.trees.length === b.trees.length &&
        a.trees.every((w, i) => {
          const o = b.trees[i];
          return o !== undefined && o.weight === w.weight && treeEquals(w.tree, o.tree);
        });
    default:
      return b.type === a.type;
  }
}

/** Structural equality of lookups; bound names compare by id, residual and addr Var identity. */
export function lookupEquals(a: Lookup, b: Lookup): boolean {
  if (a === b) return true;
  if (a.state === "ok") return b.state === "ok" && treeEquals(a.value, b.value);
  if (a.state === "failed") return b.state === "failed" && b.error === a.error;
  return b.state === a.state;
}

/** Map every leaf of a tree (the dtab module's, re-exported for the namers). */
export { mapTree } from "../router/dtab/name_tree.ts";

/**
 * A Var computed from another: `get()` recomputes only when the source value changed, keeps the
 * previous result when `equals`, and subscribers are told only about real changes. Holds no
 * subscription of its own, so dropping it leaks nothing.
 */
export function mapVar<A, B>(src: Var<A>, f: (a: A) => B, equals: (x: B, y: B) => boolean): Var<B> {
  let has = false;
  let lastIn: A;
  let lastOut: B;
  const get = (): B => {
    const a = src.get();
    if (!has || !Object.is(a, lastIn)) {
      const b = f(a);
      if (!has || !equals(lastOut, b)) lastOut = b;
      lastIn = a;
      has = true;
    }
    return lastOut;
  };
  return {
    get,
    subscribe(fn) {
      let prev = get();
      return src.subscribe(() => {
        const next = get();
        if (next !== prev) {
          prev = next;
          fn(next);
        }
      });
    },
  };
}

/** A small LRU map: at most `max` entries, least recently used evicted first. */
export interface BoundedCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  clear(): void;
}

/** Make a BoundedCache. Eviction only loses identity (a later lookup builds a fresh value). */
export function boundedCache<V>(max: number): BoundedCache<V> {
  const map = new Map<string, V>();
  return {
    get(key) {
      const v = map.get(key);
      if (v !== undefined) {
        map.delete(key);
        map.set(key, v);
      }
      return v;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > max) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
    },
    clear: () => map.clear(),
  };
}

/**
 * A namer's `lookup` with one `Var` per path kept in `cache`: a path shorter than `width` labels
 * (or any path once `closing` has aborted) is a negative lookup saying so, under `label`; any
 * other is built by `make` on its first lookup.
 *
 * @example
 * ```ts ignore
 * lookup: cachedLookup(boundedCache(1000), 2, closing.signal, "consul", lookupService)
 * ```
 */
export function cachedLookup(
  cache: BoundedCache<Var<Lookup>>,
  width: number,
  closing: AbortSignal,
  label: string,
  make: (path: Path) => Var<Lookup>,
): (path: Path) => Var<Lookup> {
  return (path) => {
    const key = pathKey(path);
    let v = cache.get(key);
    if (v) return v;
    v = path.length < width || closing.aborted
      ? constVar(negBecause(`${label}: ${showPath(path)} has fewer than ${width} segments`))
      : make(path);
    cache.set(key, v);
    return v;
  };
}
