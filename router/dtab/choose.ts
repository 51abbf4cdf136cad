/**
 * Per-request choice of one bound leaf from a bound tree: alternation picks the first branch
 * that yields a leaf, a union picks a branch at random by weight. Allocation-free: leaf results
 * are cached per `Bound`, and the other results are shared constants.
 *
 * A union branch that is `$` (`/$/nil`, Finagle's Empty) is picked at its weight like any other
 * and is final: the request fails with "No hosts are available", as Finagle's NameTreeFactory.
 *
 * With `usable` (e.g. "has a live endpoint"), an alt branch whose leaves are all unusable is
 * skipped when a later branch is usable (failover; pair with `bind(..., {failover: true})`),
 * and a union prefers usable branches. When nothing is usable the plain choice is returned, so
 * the balancer reports its usual "no hosts" error.
 *
 * @module
 */
import type { Bound } from "../../discovery/types.ts";
import type { NameTree } from "./types.ts";

/** The outcome of {@linkcode chooseLeaf}. */
export type Choice =
  | { readonly type: "leaf"; readonly bound: Bound }
  | { readonly type: "neg" }
  | { readonly type: "fail" }
  | { readonly type: "empty" };

const NEG_CHOICE: Choice = Object.freeze({ type: "neg" });
const FAIL_CHOICE: Choice = Object.freeze({ type: "fail" });
const EMPTY_CHOICE: Choice = Object.freeze({ type: "empty" });
const leafChoices = new WeakMap<Bound, Choice>();

function leafChoice(bound: Bound): Choice {
  let c = leafChoices.get(bound);
  if (c === undefined) {
    c = Object.freeze({ type: "leaf", bound });
    leafChoices.set(bound, c);
  }
  return c;
}

function isUsable(c: Choice, usable: ((b: Bound) => boolean) | undefined): boolean {
  return c.type === "leaf" && (usable === undefined || usable(c.bound));
}

/** Weighted random branch index among branches that are not `~`/`!` at the top (or -1). */
function pickIndex(
  trees: readonly { readonly weight: number; readonly tree: NameTree<Bound> }[],
  random: () => number,
): number {
  let total = 0;
  let count = 0;
  for (const w of trees) {
    if (w.tree.type === "neg" || w.tree.type === "fail") continue;
    total += w.weight > 0 ? w.weight : 0;
    count++;
  }
  if (count === 0) return -1;
  const byWeight = total > 0;
  let r = random() * (byWeight ? total : count);
  let last = -1;
  for (let i = 0; i < trees.length; i++) {
    const w = trees[i]!;
    if (w.tree.type === "neg" || w.tree.type === "fail") continue;
    const share = byWeight ? (w.weight > 0 ? w.weight : 0) : 1;
    if (share === 0) continue;
    last = i;
    if (r < share) return i;
    r -= share;
  }
  return last;
}

function choose(
  tree: NameTree<Bound>,
  random: () => number,
  usable: ((b: Bound) => boolean) | undefined,
): Choice {
  switch (tree.type) {
    case "leaf":
      return leafChoice(tree.value);
    case "neg":
      return NEG_CHOICE;
    case "fail":
      return FAIL_CHOICE;
    case "empty":
      return EMPTY_CHOICE;
    case "alt": {
      let fallback: Choice | undefined;
      for (const t of tree.trees) {
        const c = choose(t, random, usable);
        if (c.type === "neg") continue;
        if (c.type === "fail") return fallback ?? FAIL_CHOICE;
        if (usable === undefined || isUsable(c, usable)) return c;
        fallback ??= c;
      }
      return fallback ?? NEG_CHOICE;
    }
    case "union": {
      const trees = tree.trees;
      if (trees.length === 1) return choose(trees[0]!.tree, random, usable);
      const i = pickIndex(trees, random);
      let first = i < 0 ? NEG_CHOICE : choose(trees[i]!.tree, random, usable);
      if (first.type === "leaf" && (usable === undefined || usable(first.bound))) return first;
      // `$` (`/$/nil`) is final, as in Finagle's NameTreeFactory: a union keeps its Empty
      // branches and a request that picks one fails ("No hosts are available"), so
      // `9 * /svc/web & 1 * /$/nil` fails a tenth of the requests.
      if (first.type === "empty") return first;
      // The pick was negative or unusable: take the first branch that does better.
      for (let k = 0; k < trees.length; k++) {
        if (k === i) continue;
        const c = choose(trees[k]!.tree, random, usable);
        if (isUsable(c, usable)) return c;
        if (first.type === "neg" && c.type !== "neg" && c.type !== "fail") first = c;
      }
      return first;
    }
  }
}

/**
 * Choose the leaf one request goes to.
 *
 * @param tree A bound tree (from `bind`).
 * @param random Uniform [0, 1) source (inject the clock's for exact tests).
 * @param usable Optional health check; unusable leaves are avoided when an alternative exists.
 * @returns The chosen leaf, or `neg`, `fail` or `empty`.
 * @example
 * ```ts
 * import { chooseLeaf } from "./choose.ts";
 * chooseLeaf({ type: "neg" }, Math.random).type; // "neg"
 * ```
 */
export function chooseLeaf(
  tree: NameTree<Bound>,
  random: () => number,
  usable?: (b: Bound) => boolean,
): Choice {
  if (tree.type === "leaf") return leafChoice(tree.value);
  return choose(tree, random, usable);
}
