/**
 * `Var<T>`: a current value plus change notification (Finagle's Var, minimal). Namers expose
 * endpoint sets and name trees as Vars; the binding cache and balancers subscribe.
 *
 * @module
 */

/** A value that changes over time. */
export interface Var<T> {
  /** The current value. */
  get(): T;
  /** Call `fn` on every change (not with the current value); returns an unsubscribe function. */
  subscribe(fn: (value: T) => void): () => void;
}

/** A Var that its owner can update. */
export interface MutableVar<T> extends Var<T> {
  set(value: T): void;
}

/**
 * Make a mutable Var. `set` with an `equals`-equal value notifies nobody.
 *
 * @example
 * ```ts
 * import { mutableVar } from "./var.ts";
 * const v = mutableVar(1);
 * const seen: number[] = [];
 * v.subscribe((x) => seen.push(x));
 * v.set(2);
 * ```
 */
export function mutableVar<T>(
  initial: T,
  equals: (a: T, b: T) => boolean = Object.is,
): MutableVar<T> {
  let value = initial;
  const subs = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next: T) {
      if (equals(value, next)) return;
      value = next;
      for (const fn of [...subs]) fn(next);
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

/** A Var that never changes. */
export function constVar<T>(value: T): Var<T> {
  return { get: () => value, subscribe: () => () => {} };
}
