/**
 * Linkerd's `io.l5d.replace` and `io.l5d.const` transformers (L1 `namer/core/.../
 * ReplaceTransformer.scala`, `ConstTransformer.scala`, `linkerd/docs/transformer.md`): both bind a
 * configured `path` with an empty dtab through the namers, and name what it binds to
 * `/%/<prefix>` + `path` (prefix default `io.l5d.replace` / `io.l5d.const`).
 *
 * - `io.l5d.replace`: every bound name of a result is replaced by that tree; a result without
 *   bound names (neg, fail, empty) stays as it is, so a namer can still say a name does not exist.
 * - `io.l5d.const`: every result is that tree, even a negative one.
 *
 * A path leaf of a result is not a bound name yet: it passes through and is replaced once it
 * binds (the evaluator looks it up through the same transformed lookup).
 *
 * @example
 * ```ts ignore
 * const t = createReplaceTransformer(lookup, ["$", "inet", "127.0.0.1", "8080"]);
 * // /#/io.l5d.fs/web → /%/io.l5d.replace/$/inet/127.0.0.1/8080, at 127.0.0.1:8080
 * ```
 *
 * @module
 */
import type { Var } from "../../router/core/var.ts";
import type { NameTree, Path } from "../../router/dtab/types.ts";
import { flatMapTree } from "../../router/dtab/name_tree.ts";
import type { Bound, Name, NamerLookup } from "../types.ts";
import { type Lookup, lookupEquals, mapTree, mapVar, NEG } from "../_activity.ts";
import { makeBound } from "../bound.ts";
import { constVar } from "../../router/core/var.ts";
import { derivedVar } from "../_derived.ts";
import type { NameTreeTransformer } from "./transformer.ts";

/** Kinds. */
export const replaceKind = "io.l5d.replace";
export const constKind = "io.l5d.const";

/** `path` bound through `bind`, its bound names renamed `prefix ++ path` (cached per name). */
function boundPath(bind: NamerLookup, path: Path, prefix: Path): Var<Lookup> {
  const src = bind(path) ?? constVar<Lookup>(NEG); // no namer for it: Linkerd's bind gives Neg
  const renamed = new WeakMap<Bound, Bound>();
  const rename = (n: Name): Name => {
    if (n.kind !== "bound") return n;
    let b = renamed.get(n.bound);
    if (!b) {
      b = makeBound([...prefix, ...path], n.bound.addr, n.bound.residual);
      renamed.set(n.bound, b);
    }
    return { kind: "bound", bound: b };
  };
  return mapVar(
    src,
    (a): Lookup => a.state === "ok" ? { state: "ok", value: mapTree(a.value, rename) } : a,
    lookupEquals,
  );
}

function hasBound(t: NameTree<Name>): boolean {
  switch (t.type) {
    case "leaf":
      return t.value.kind === "bound";
    case "alt":
      return t.trees.some(hasBound);
    case "union":
      return t.trees.some((w) => hasBound(w.tree));
    default:
      return false;
  }
}

/** `t` with each bound leaf replaced by `by` (Linkerd's `replace`). */
function replaceBound(t: NameTree<Name>, by: NameTree<Name>): NameTree<Name> {
  return flatMapTree(
    t,
    (n): NameTree<Name> => n.kind === "bound" ? by : { type: "leaf", value: n },
  );
}

function pathTransformer(
  kind: string,
  prefix: Path,
  bind: NamerLookup,
  path: Path,
  combine: (a: Lookup, read: () => Lookup) => Lookup,
): NameTreeTransformer {
  let target: Var<Lookup> | undefined; // bound on first use: namers may still be starting
  const vars = new WeakMap<Var<Lookup>, Var<Lookup>>();
  return {
    kind,
    prefix,
    transform(v) {
      let out = vars.get(v);
      if (!out) {
        const t = target ??= boundPath(bind, path, prefix);
        out = derivedVar((read) => combine(read(v), () => read(t)), lookupEquals);
        vars.set(v, out);
      }
      return out;
    },
    close: () => Promise.resolve(),
  };
}

/**
 * `io.l5d.replace`: bound names become what `path` binds to.
 *
 * @param bind The namers' lookup (`/#/…`, `/$/…`), with no dtab.
 * @param path The replacement path, e.g. `/$/inet/127.0.0.1/8080`.
 * @param prefix The id prefix (default `/%/io.l5d.replace`).
 * @returns The transformer.
 */
export function createReplaceTransformer(
  bind: NamerLookup,
  path: Path,
  prefix: Path = ["%", replaceKind],
): NameTreeTransformer {
  return pathTransformer(replaceKind, prefix, bind, path, (a, target) => {
    if (a.state !== "ok" || !hasBound(a.value)) return a;
    const r = target();
    return r.state === "ok" ? { state: "ok", value: replaceBound(a.value, r.value) } : r;
  });
}

/**
 * `io.l5d.const`: every result is what `path` binds to.
 *
 * @param bind The namers' lookup, with no dtab.
 * @param path The constant path.
 * @param prefix The id prefix (default `/%/io.l5d.const`).
 * @returns The transformer.
 */
export function createConstTransformer(
  bind: NamerLookup,
  path: Path,
  prefix: Path = ["%", constKind],
): NameTreeTransformer {
  return pathTransformer(constKind, prefix, bind, path, (_a, target) => target());
}
