/**
 * Helpers for `Address` and `Addr` (Finagle's `Address` / `Addr`): equality, display, building a
 * bound set, a Var that only notifies on real changes, and the "keep last good" rule.
 *
 * A bound set is a *set*, as in Finagle (`Addr.Bound(addrs: Set[Address])`): order does not
 * matter for equality and exact duplicates are dropped.
 *
 * @module
 */
import type { Addr, Address } from "./types.ts";
import { type MutableVar, mutableVar } from "../router/core/var.ts";

/**
 * Build an `Address`.
 *
 * @param host An ip or host name.
 * @param port 1..65535.
 * @param weight Load-balancer weight, default 1.
 * @returns The address.
 * @example
 * ```ts
 * import { address } from "./addr.ts";
 * const a = address("10.0.0.1", 8080, 2);
 * ```
 */
export function address(host: string, port: number, weight = 1): Address {
  return { host, port, weight };
}

/**
 * `host:port`, with IPv6 literals bracketed (`[::1]:80`). The weight is not shown, so the
 * result identifies an endpoint (a balancer/endpoint-cache key).
 *
 * @param a The address.
 * @returns Its display form.
 * @example
 * ```ts
 * import { showAddress } from "./addr.ts";
 * showAddress({ host: "::1", port: 80, weight: 1 }); // "[::1]:80"
 * ```
 */
export function showAddress(a: Address): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function addressKey(a: Address): string {
  const meta = a.meta === undefined ? "" : JSON.stringify(a.meta);
  return `${showAddress(a)} ${a.weight} ${meta}`;
}

/**
 * Structural equality of two addresses (host, port, weight, meta).
 *
 * @param a One address.
 * @param b The other.
 * @returns True when equal.
 * @example
 * ```ts
 * import { address, addressEquals } from "./addr.ts";
 * addressEquals(address("a", 1), address("a", 1)); // true
 * ```
 */
export function addressEquals(a: Address, b: Address): boolean {
  return addressKey(a) === addressKey(b);
}

/**
 * A `bound` Addr over `addrs`, with exact duplicates removed (first occurrence kept).
 *
 * @param addrs The endpoints; may be empty (bound to nothing, unlike `neg`).
 * @returns `{ type: "bound", addrs }`.
 * @example
 * ```ts
 * import { address, boundAddr } from "./addr.ts";
 * const addr = boundAddr([address("10.0.0.1", 80), address("10.0.0.1", 80)]); // one address
 * ```
 */
export function boundAddr(addrs: readonly Address[]): Addr {
  const seen = new Set<string>();
  const out: Address[] = [];
  for (const a of addrs) {
    const k = addressKey(a);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(a);
  }
  return { type: "bound", addrs: out };
}

/**
 * Equality of two Addr states; bound sets compare as sets (order-insensitive).
 *
 * @param a One state.
 * @param b The other.
 * @returns True when equal.
 * @example
 * ```ts
 * import { address, addrEquals, boundAddr } from "./addr.ts";
 * addrEquals(boundAddr([address("a", 1), address("b", 2)]), boundAddr([address("b", 2), address("a", 1)])); // true
 * ```
 */
export function addrEquals(a: Addr, b: Addr): boolean {
  if (a === b) return true;
  switch (a.type) {
    case "pending":
    case "neg":
      return b.type === a.type;
    case "failed":
      return b.type === "failed" && b.error === a.error;
    case "bound": {
      if (b.type !== "bound") return false;
      const ka = new Set(a.addrs.map(addressKey));
      const kb = new Set(b.addrs.map(addressKey));
      if (ka.size !== kb.size) return false;
      for (const k of ka) if (!kb.has(k)) return false;
      return true;
    }
  }
}

/**
 * A mutable `Var<Addr>` whose `set` notifies only when the state really changed (by
 * `addrEquals`), so rewriting a file with the same endpoints does not churn balancers.
 *
 * @param initial The initial state, default `pending`.
 * @returns The Var.
 * @example
 * ```ts
 * import { addrVar } from "./addr.ts";
 * const v = addrVar();
 * v.set({ type: "neg" });
 * ```
 */
export function addrVar(initial: Addr = { type: "pending" }): MutableVar<Addr> {
  return mutableVar<Addr>(initial, addrEquals);
}

/**
 * The "keep last good" rule: a `failed` update after a `bound` state keeps the bound state
 * (a transient resolver error should not drain traffic). Anything else takes `next`.
 *
 * @param prev The current state.
 * @param next The new observation.
 * @returns The state to publish.
 * @example
 * ```ts
 * import { address, boundAddr, keepLastGood } from "./addr.ts";
 * const good = boundAddr([address("10.0.0.1", 80)]);
 * keepLastGood(good, { type: "failed", error: "timeout" }) === good; // true
 * ```
 */
export function keepLastGood(prev: Addr, next: Addr): Addr {
  return next.type === "failed" && prev.type === "bound" ? prev : next;
}
