/**
 * Finagle's NameTree algebra over the shared {@linkcode NameTree} type: constructors,
 * `show` in Finagle's exact format, `simplify` and `eval` (Finagle 21.4.0 semantics: failures
 * and negatives are dropped from unions; in an alternation `!` stops the search).
 *
 * @module
 */
import type { NameTree, Weighted } from "./types.ts";

/** The negative tree `~`: no such name, so an alternation falls through. */
export const NEG: NameTree<never> = Object.freeze({ type: "neg" });
/** The failing tree `!`: stop, do not try alternatives. */
export const FAIL: NameTree<never> = Object.freeze({ type: "fail" });
/** The empty tree `$`: the name exists but has no endpoints. */
export const EMPTY: NameTree<never> = Object.freeze({ type: "empty" });

/**
 * A leaf.
 *
 * @param value The leaf value (a path, a bound name, ...).
 * @returns `{type: "leaf", value}`.
 * @example
 * ```ts
 * import { leaf } from "./name_tree.ts";
 * leaf(["svc", "foo"]);
 * ```
 */
export function leaf<T>(value: T): NameTree<T> {
  return { type: "leaf", value };
}

/**
 * An alternation `a | b | ...`: the first non-negative branch wins.
 *
 * @param trees The branches, in precedence order.
 * @returns The alt node.
 * @example
 * ```ts
 * import { alt, leaf, NEG } from "./name_tree.ts";
 * alt(NEG, leaf(["a"]));
 * ```
 */
export function alt<T>(...trees: NameTree<T>[]): NameTree<T> {
  return { type: "alt", trees };
}

/**
 * A weighted union `w1 * a & w2 * b`: load-balanced across branches by weight.
 *
 * @param trees The weighted branches (see {@linkcode weighted}).
 * @returns The union node.
 * @example
 * ```ts
 * import { leaf, union, weighted } from "./name_tree.ts";
 * union(weighted(0.7, leaf(["v1"])), weighted(0.3, leaf(["v2"])));
 * ```
 */
export function union<T>(...trees: Weighted<T>[]): NameTree<T> {
  return { type: "union", trees };
}

/**
 * A union branch.
 *
 * @param weight The branch weight (Finagle's default is 1.0).
 * @param tree The branch tree.
 * @returns `{weight, tree}`.
 * @example
 * ```ts
 * import { leaf, weighted } from "./name_tree.ts";
 * weighted(2, leaf(["a"]));
 * ```
 */
export function weighted<T>(weight: number, tree: NameTree<T>): Weighted<T> {
  return { weight, tree };
}

/**
 * Map every leaf value.
 *
 * @param tree The tree.
 * @param f The leaf mapping.
 * @returns A tree of the same shape.
 * @example
 * ```ts
 * import { leaf, mapTree } from "./name_tree.ts";
 * mapTree(leaf(1), (n) => n + 1);
 * ```
 */
export function mapTree<T, U>(tree: NameTree<T>, f: (value: T) => U): NameTree<U> {
  return flatMapTree(tree, (v) => leaf(f(v)));
}

/**
 * Replace each leaf by the tree `f` gives for its value (Finagle's `NameTree.flatMap`); the
 * constants are kept.
 *
 * @example
 * ```ts
 * import { alt, flatMapTree, leaf } from "./name_tree.ts";
 * flatMapTree(leaf(1), (n) => alt(leaf(n), leaf(n + 1))); // alt(leaf(1), leaf(2))
 * ```
 */
export function flatMapTree<T, U>(tree: NameTree<T>, f: (value: T) => NameTree<U>): NameTree<U> {
  switch (tree.type) {
    case "leaf":
      return f(tree.value);
    case "alt":
      return { type: "alt", trees: tree.trees.map((t) => flatMapTree(t, f)) };
    case "union":
      return {
        type: "union",
        trees: tree.trees.map((w) => ({ weight: w.weight, tree: flatMapTree(w.tree, f) })),
      };
    default:
      return tree;
  }
}

/**
 * Format a weight like Java's `"%.2f"` (HALF_UP on the shortest decimal form, so 1.005 shows
 * as `1.01`, as on the JVM).
 */
function formatWeight(w: number): string {
  if (!Number.isFinite(w)) return Number.isNaN(w) ? "NaN" : w > 0 ? "Infinity" : "-Infinity";
  const neg = w < 0;
  let s = String(Math.abs(w));
  if (s.includes("e")) {
    if (Math.abs(w) < 1) return (neg ? "-" : "") + "0.00";
    s = BigInt(Math.abs(w)).toString();
  }
  const dot = s.indexOf(".");
  let intPart = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? "" : s.slice(dot + 1);
  if (frac.length > 2) {
    const roundUp = frac.charCodeAt(2) >= 53; // '5'
    frac = frac.slice(0, 2);
    if (roundUp) {
      const digits = (intPart + frac).split("").map(Number);
      let k = digits.length - 1;
      while (k >= 0) {
        if (digits[k] === 9) {
          digits[k] = 0;
          k--;
        } else {
          digits[k] = (digits[k] ?? 0) + 1;
          break;
        }
      }
      let all = digits.join("");
      if (k < 0) all = "1" + all;
      intPart = all.slice(0, all.length - 2);
      frac = all.slice(all.length - 2);
    }
  }
  return `${neg ? "-" : ""}${intPart}.${frac.padEnd(2, "0")}`;
}

/**
 * Show a tree in Finagle's `NameTree.show` format: `|` and `&` separated by spaces, weights
 * other than exactly 1.0 as `%.2f*`, `!` `~` `$` for fail, neg and empty. Inside a union an alt
 * or union child is parenthesised; inside an alt only an alt child is; single-child nodes show
 * as their child.
 *
 * @param tree The tree.
 * @param showLeaf How to show a leaf value (e.g. {@linkcode showPath}).
 * @returns The text, which the dtab parser reads back (weights beyond two decimals are lost).
 * @example
 * ```ts
 * import { showTree } from "./name_tree.ts";
 * import { showPath } from "./path.ts";
 * import { parseNameTree } from "./dtab.ts";
 * showTree(parseNameTree(".5 * ! & .5 * $ | /c"), showPath); // "0.50*! & 0.50*$ | /c"
 * ```
 */
export function showTree<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string {
  for (;;) {
    if (tree.type === "union" && tree.trees.length === 1) tree = tree.trees[0]!.tree;
    else if (tree.type === "alt" && tree.trees.length === 1) tree = tree.trees[0]!;
    else break;
  }
  if (tree.type === "alt") return tree.trees.map((t) => show1(t, showLeaf)).join(" | ");
  return show1(tree, showLeaf);
}

function show1<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string {
  for (;;) {
    if (tree.type === "union" && tree.trees.length === 1) tree = tree.trees[0]!.tree;
    else if (tree.type === "alt" && tree.trees.length === 1) tree = tree.trees[0]!;
    else break;
  }
  if (tree.type === "union") {
    return tree.trees.map((w) =>
      w.weight === 1
        ? showSimple(w.tree, showLeaf)
        : `${formatWeight(w.weight)}*${showSimple(w.tree, showLeaf)}`
    ).join(" & ");
  }
  if (tree.type === "alt") return `(${showTree(tree, showLeaf)})`;
  return showSimple(tree, showLeaf);
}

function showSimple<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string {
  for (;;) {
    if (tree.type === "union" && tree.trees.length === 1) tree = tree.trees[0]!.tree;
    else if (tree.type === "alt" && tree.trees.length === 1) tree = tree.trees[0]!;
    else break;
  }
  switch (tree.type) {
    case "union":
    case "alt":
      return `(${showTree(tree, showLeaf)})`;
    case "leaf":
      return showLeaf(tree.value);
    case "fail":
      return "!";
    case "neg":
      return "~";
    case "empty":
      return "$";
  }
}

/**
 * Simplify without changing evaluation (Finagle's `NameTree.simplify`): empty alt/union → `~`,
 * single children collapse, `~` branches drop from alts (and a `!` ends one), `~` and `!`
 * branches drop from unions.
 *
 * @param tree The tree.
 * @returns The simplified tree (a fixpoint: simplifying it again changes nothing).
 * @example
 * ```ts
 * import { simplify } from "./name_tree.ts";
 * import { parseNameTree } from "./dtab.ts";
 * simplify(parseNameTree("~ | /a | !")); // leaf /a | !
 * ```
 */
export function simplify<T>(tree: NameTree<T>): NameTree<T> {
  if (tree.type === "alt") {
    if (tree.trees.length === 0) return NEG;
    if (tree.trees.length === 1) return simplify(tree.trees[0]!);
    const out: NameTree<T>[] = [];
    for (const t of tree.trees) {
      const s = simplify(t);
      if (s.type === "neg") continue;
      out.push(s);
      if (s.type === "fail") break;
    }
    return out.length === 0 ? NEG : out.length === 1 ? out[0]! : { type: "alt", trees: out };
  }
  if (tree.type === "union") {
    if (tree.trees.length === 0) return NEG;
    if (tree.trees.length === 1) return simplify(tree.trees[0]!.tree);
    const out: Weighted<T>[] = [];
    for (const w of tree.trees) {
      const s = simplify(w.tree);
      if (s.type !== "neg" && s.type !== "fail") out.push({ weight: w.weight, tree: s });
    }
    return out.length === 0 ? NEG : out.length === 1 ? out[0]!.tree : { type: "union", trees: out };
  }
  return tree;
}

const NEG_RESULT = 0;
const FAIL_RESULT = 1;

/**
 * Evaluate a tree (Finagle's `NameTree.eval`): the set of leaf values reached, or `null` when it
 * is negative or fails. Alt takes its first non-negative branch (`!` fails the whole alt);
 * a union collects its branches, ignoring negative and failing ones; `$` gives the empty set.
 *
 * @param tree The tree.
 * @returns The leaves reached, or `null`.
 * @example
 * ```ts
 * import { evalTree } from "./name_tree.ts";
 * import { parseNameTree } from "./dtab.ts";
 * evalTree(parseNameTree("~ | /foo | /bar")); // Set { ["foo"] }
 * ```
 */
export function evalTree<T>(tree: NameTree<T>): Set<T> | null {
  const out = new Set<T>();
  const r = evalInto(tree, out);
  return r === true ? out : null;
}

function evalInto<T>(
  tree: NameTree<T>,
  out: Set<T>,
): true | typeof NEG_RESULT | typeof FAIL_RESULT {
  switch (tree.type) {
    case "leaf":
      out.add(tree.value);
      return true;
    case "empty":
      return true;
    case "neg":
      return NEG_RESULT;
    case "fail":
      return FAIL_RESULT;
    case "alt":
      for (const t of tree.trees) {
        const scratch = new Set<T>();
        const r = evalInto(t, scratch);
        if (r === NEG_RESULT) continue;
        if (r === FAIL_RESULT) return FAIL_RESULT;
        for (const v of scratch) out.add(v);
        return true;
      }
      return NEG_RESULT;
    case "union": {
      if (tree.trees.length === 1) return evalInto(tree.trees[0]!.tree, out);
      let any = false;
      for (const w of tree.trees) {
        const scratch = new Set<T>();
        if (evalInto(w.tree, scratch) === true) {
          any = true;
          for (const v of scratch) out.add(v);
        }
      }
      return any ? true : NEG_RESULT;
    }
  }
}
