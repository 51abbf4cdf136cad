/**
 * Folder-private: a Var computed from other Vars whose set may change between computations
 * (Finagle's `Var.flatMap` / `Var.collect`). The k8s transformers need it: a transformed endpoint set
 * reads the original set *and* the gateway set, and the gateway set reads whichever bound
 * names the gateway lookup currently yields.
 *
 * - `get()` without subscribers recomputes only when a Var read last time now holds a
 *   different value (`Object.is`), so repeated calls return the same object.
 * - While subscribed it follows every Var read by the latest computation, re-subscribing when
 *   that set changes, and notifies only when the result changed by `equals`.
 * - The last unsubscribe drops every inner subscription: nothing is left behind.
 *
 * @module
 */
import type { Var } from "../router/core/var.ts";

/** Reads a Var inside a computation and records it as a dependency. */
export type Read = <U>(v: Var<U>) => U;

interface Dep {
  readonly v: Var<unknown>;
  readonly value: unknown;
}

/**
 * Make a derived Var.
 *
 * @param compute Builds the value; every Var it reads through `read` becomes a dependency.
 * @param equals Result equality (a change that is `equals` notifies nobody).
 * @returns The Var.
 * @example
 * ```ts
 * import { derivedVar } from "./_derived.ts";
 * import { mutableVar } from "../router/core/var.ts";
 * const a = mutableVar(1), b = mutableVar(2);
 * const sum = derivedVar((read) => read(a) + read(b), Object.is);
 * sum.get(); // 3
 * ```
 */
export function derivedVar<T>(compute: (read: Read) => T, equals: (a: T, b: T) => boolean): Var<T> {
  let deps: Dep[] = [];
  let has = false;
  let last: T;
  const subs = new Set<(value: T) => void>();
  let inner = new Map<Var<unknown>, () => void>();

  function stale(): boolean {
    return !has || deps.some((d) => !Object.is(d.v.get(), d.value));
  }

  function recompute(): T {
    const seen: Dep[] = [];
    const read: Read = <U>(v: Var<U>): U => {
      const value = v.get();
      seen.push({ v: v as Var<unknown>, value });
      return value;
    };
    const next = compute(read);
    deps = seen;
    if (!has || !equals(last, next)) last = next;
    has = true;
    return last;
  }

  function get(): T {
    return stale() ? recompute() : last;
  }

  function resubscribe(): void {
    const want = new Set(deps.map((d) => d.v));
    for (const [v, off] of inner) {
      if (!want.has(v)) {
        off();
        inner.delete(v);
      }
    }
    for (const v of want) if (!inner.has(v)) inner.set(v, v.subscribe(onChange));
  }

  function onChange(): void {
    if (subs.size === 0) return;
    const prev = last;
    const next = get();
    resubscribe();
    if (next !== prev) { for (const fn of [...subs]) fn(next); }
  }

  return {
    get,
    subscribe(fn) {
      if (subs.size === 0) {
        get();
        resubscribe();
        // a dependency may have changed while subscribing (a lazy source starting): catch up
        // silently, since nobody has seen the old value through this subscription
        if (stale()) {
          get();
          resubscribe();
        }
      }
      subs.add(fn);
      return () => {
        if (!subs.delete(fn) || subs.size > 0) return;
        for (const off of inner.values()) off();
        inner = new Map();
      };
    },
  };
}
