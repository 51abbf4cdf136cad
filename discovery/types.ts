/**
 * Data types of service discovery: addresses, address sets (Finagle's Addr), bound names and
 * the namer interface. Types only, no logic.
 *
 * @module
 */
import type { NameTree, Path } from "../router/dtab/types.ts";
import type { Var } from "../router/core/var.ts";

/** One endpoint: an ip (or hostname) and port, with a load-balancer weight (default 1). */
export interface Address {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** Free-form metadata (nodeName, zone, ...). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** The state of an endpoint set. `neg` = the name does not exist; `failed` keeps the reason. */
export type Addr =
  | { readonly type: "pending" }
  | { readonly type: "neg" }
  | { readonly type: "failed"; readonly error: string }
  | { readonly type: "bound"; readonly addrs: readonly Address[] };

/** A name bound to a dynamic endpoint set: `id` is the client name, e.g. `/#/io.l5d.fs/hello`. */
export interface Bound {
  /** The concrete (client) name. */
  readonly id: Path;
  /** `showPath(id)`, computed once. */
  readonly idStr: string;
  /** The endpoints, changing over time. */
  readonly addr: Var<Addr>;
  /** The part of the looked-up path the namer did not consume (reported in `l5d-dst-residual`). */
  readonly residual: Path;
}

/** What a namer lookup yields: a bound name, or a path to delegate again (rewriting namers). */
export type Name =
  | { readonly kind: "bound"; readonly bound: Bound }
  | { readonly kind: "path"; readonly path: Path };

/** An asynchronous, changing result (Finagle's Activity state). */
export type Activity<T> =
  | { readonly state: "pending" }
  | { readonly state: "ok"; readonly value: T }
  | { readonly state: "failed"; readonly error: string };

/**
 * A namer resolves the part of a `/#/<prefix>/...` or `/$/<name>/...` path after its prefix.
 * Lookups of the same path should return the same Var (cache inside the namer).
 */
export interface Namer {
  /** The Linkerd `kind`, e.g. `io.l5d.fs`. */
  readonly kind: string;
  /** Look up the path after the prefix. */
  lookup(path: Path): Var<Activity<NameTree<Name>>>;
  /** Namer state for `/namer_state/<prefix>.json`. */
  state?(): unknown;
  /**
   * The names this namer can enumerate, relative to its prefix (Linkerd's
   * `EnumeratingNamer.getAllNames`, listed by `/bound-names.json`). Absent: not enumerable.
   */
  allNames?(): Promise<readonly Path[]>;
  /** Stop watches and timers. */
  close?(): void;
}

/**
 * The interpreter's global lookup for `/#/...` (configured namers) and `/$/...` (built-in
 * namers) paths. Returns `undefined` when no namer handles the path (that is Neg).
 */
export type NamerLookup = (path: Path) => Var<Activity<NameTree<Name>>> | undefined;
