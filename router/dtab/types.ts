/**
 * Data types of the dtab world (Finagle's Path, NameTree, Dentry, Dtab), shared by the
 * dtab parser/evaluator, the namers in `discovery/` and the router. Types only, no logic.
 *
 * @module
 */

/** A path `/a/b/c` as its decoded labels; `/` is the empty path `[]`. */
export type Path = readonly string[];

/** A weighted branch of a union. */
export interface Weighted<T> {
  readonly weight: number;
  readonly tree: NameTree<T>;
}

/** Finagle's NameTree: leaf, alternation, weighted union, and the three constants. */
export type NameTree<T> =
  | { readonly type: "leaf"; readonly value: T }
  | { readonly type: "alt"; readonly trees: readonly NameTree<T>[] }
  | { readonly type: "union"; readonly trees: readonly Weighted<T>[] }
  /** `why` (optional, additive): a namer may say why a name is negative, for the delegator. */
  | { readonly type: "neg"; readonly why?: string }
  | { readonly type: "fail" }
  | { readonly type: "empty" };

/** One element of a dentry prefix: a label, or `*` (matches exactly one segment). */
export type PrefixElem = { readonly kind: "label"; readonly value: string } | {
  readonly kind: "any";
};

/** A dentry prefix. */
export type Prefix = readonly PrefixElem[];

/** A delegation rule `prefix => dst`. */
export interface Dentry {
  readonly prefix: Prefix;
  readonly dst: NameTree<Path>;
}

/** A delegation table: later dentries take precedence. */
export type Dtab = readonly Dentry[];
