/**
 * Binding: turn a logical path into a tree of bound names, with Finagle's DefaultInterpreter
 * semantics (`Namer.bind` over `dtab.lookup` falling back to the configured and built-in namers).
 *
 * - A path is looked up in the dtab (bottom to top); when that gives `~`, the global
 *   {@linkcode NamerLookup} (`/#/...` configured namers, `/$/...` built-ins) is asked.
 * - Rewritten paths and namer results of kind `path` are bound again, recursively, up to
 *   `maxDepth` (Finagle's `namerMaxDepth`, default 100), past which binding fails with
 *   `Max recursion level: 100 reached in Namer lookup`.
 * - Alt: the first branch that does not bind to `~` (a `!` stops the search). Union: branches
 *   that bind to `~` or `!` are dropped; weights are kept.
 * - Namer activity `pending` makes the result pending, `failed` fails it (in a union only when
 *   no branch is ok, as Finagle's `bindUnion` does).
 * - Switchyard extension: a bound leaf whose Addr is `neg` counts as `~`, so a dtab falls
 *   through to the next candidate whether a namer says "no such name" with a `~` tree or with
 *   a `neg` Addr (Linkerd's "missing service falls back" behaviour). An Addr that is `pending`
 *   makes that leaf pending. A `failed` Addr is kept as a leaf, as Finagle does: it stops the
 *   alternation and requests to it fail with the Addr's error.
 *
 * Binding reads the current value of every Var it consults and lists them in `deps`, so a cache
 * can subscribe and bind again on change (see `binding_cache.ts`).
 *
 * @module
 */
import type { Var } from "../core/var.ts";
import type { Bound, Name, NamerLookup } from "../../discovery/types.ts";
import { lookup as dtabLookup } from "./dtab.ts";
import { FAIL, NEG, simplify } from "./name_tree.ts";
import type { Dtab, NameTree, Path, Weighted } from "./types.ts";

/** Options for {@linkcode bind}. */
export interface BindOptions {
  /** Recursion limit (Finagle's `namerMaxDepth`); default 100. */
  maxDepth?: number;
  /**
   * Limit on the paths looked up in one binding; default 10000. Alternations that each branch
   * again (`/a => /b | /b; /b => /c | /c; …`, a few hundred bytes of `l5d-dtab`) make the work
   * exponential in the depth: past the limit binding fails, as it does past `maxDepth`.
   */
  maxLookups?: number;
  /**
   * Switchyard extension, default false (Finagle keeps only the chosen branch): keep the later
   * non-negative branches of an alternation after the chosen one, as `alt(chosen, ...rest)`, so
   * that `chooseLeaf` can fail over when every endpoint of the chosen branch is unusable.
   */
  failover?: boolean;
}

/** The outcome of {@linkcode bind}. */
export interface BindResult {
  /** The bound tree: no path leaves; `~` when nothing binds (or while pending); `!` on error. */
  readonly tree: NameTree<Bound>;
  /** Every namer Var and Addr Var consulted (deduplicated). */
  readonly deps: Var<unknown>[];
  /** True while a consulted namer or Addr is still pending (the tree is then not final). */
  readonly pending: boolean;
  /** Why binding failed (namer failure, recursion limit). */
  readonly error?: string;
}

type Step =
  | NameTree<Bound>
  | { readonly type: "pending" }
  | { readonly type: "failed"; readonly error: string };

const PENDING: Step = Object.freeze({ type: "pending" });

interface BindCtx {
  readonly dtab: Dtab;
  readonly namers: NamerLookup;
  readonly maxDepth: number;
  readonly maxLookups: number;
  lookups: number;
  readonly failover: boolean;
  readonly deps: Set<Var<unknown>>;
}

function failed(error: string): Step {
  return { type: "failed", error };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Look a path up (dtab, then namers) and bind the result one level deeper. */
function bindPath(ctx: BindCtx, path: Path, depth: number): Step {
  if (++ctx.lookups > ctx.maxLookups) return failed(tooManyLookups(ctx));
  const fromDtab = dtabLookup(ctx.dtab, path);
  if (fromDtab.type !== "neg") return bindNode(ctx, fromDtab, depth + 1, bindPath);
  let v;
  try {
    v = ctx.namers(path);
  } catch (e: unknown) {
    return failed(errorText(e));
  }
  if (v === undefined) return NEG;
  ctx.deps.add(v);
  const act = v.get();
  if (act.state === "pending") return PENDING;
  if (act.state === "failed") return failed(act.error);
  return bindNode(ctx, act.value, depth + 1, bindName);
}

function bindName(ctx: BindCtx, name: Name, depth: number): Step {
  if (name.kind === "path") return bindPath(ctx, name.path, depth);
  const bound = name.bound;
  ctx.deps.add(bound.addr);
  const addr = bound.addr.get();
  if (addr.type === "neg") return NEG;
  if (addr.type === "pending") return PENDING;
  return { type: "leaf", value: bound };
}

function bindNode<T>(
  ctx: BindCtx,
  tree: NameTree<T>,
  depth: number,
  bindLeaf: (ctx: BindCtx, value: T, depth: number) => Step,
): Step {
  if (depth > ctx.maxDepth) {
    return failed(`Max recursion level: ${ctx.maxDepth} reached in Namer lookup`);
  }
  switch (tree.type) {
    case "leaf":
      return bindLeaf(ctx, tree.value, depth);
    case "neg":
    case "fail":
    case "empty":
      return tree;
    case "union": {
      if (tree.trees.length === 0) return NEG;
      if (tree.trees.length === 1) return bindNode(ctx, tree.trees[0]!.tree, depth, bindLeaf);
      const oks: Weighted<Bound>[] = [];
      let firstFailure: Step | undefined;
      for (const w of tree.trees) {
        const s = bindNode(ctx, w.tree, depth, bindLeaf);
        if (s.type === "pending") continue;
        if (s.type === "failed") firstFailure ??= s;
        else oks.push({ weight: w.weight, tree: s });
      }
      if (oks.length === 0) return firstFailure ?? PENDING;
      return simplify<Bound>({ type: "union", trees: oks });
    }
    case "alt": {
      if (tree.trees.length === 0) return NEG;
      const trees = tree.trees;
      for (let i = 0; i < trees.length; i++) {
        const s = bindNode(ctx, trees[i]!, depth, bindLeaf);
        if (s.type === "neg") continue;
        if (s.type === "fail" || s.type === "pending" || s.type === "failed") return s;
        // `$` / `/$/nil` is Finagle's Empty: chosen like any non-negative branch, and final (no
        // failover past it; failover is for bound names whose endpoints are unusable).
        if (s.type === "empty" || !ctx.failover) return s;
        return withFailover(ctx, s, trees, i + 1, depth, bindLeaf);
      }
      return NEG;
    }
  }
}

/** Bind the branches after the chosen one and keep the usable ones as failover candidates. */
function withFailover<T>(
  ctx: BindCtx,
  chosen: NameTree<Bound>,
  trees: readonly NameTree<T>[],
  from: number,
  depth: number,
  bindLeaf: (ctx: BindCtx, value: T, depth: number) => Step,
): NameTree<Bound> {
  const out: NameTree<Bound>[] = [chosen];
  for (let i = from; i < trees.length; i++) {
    const s = bindNode(ctx, trees[i]!, depth, bindLeaf);
    if (s.type === "fail") break;
    if (s.type === "neg" || s.type === "pending" || s.type === "failed") continue;
    out.push(s);
  }
  return out.length === 1 ? chosen : { type: "alt", trees: out };
}

function tooManyLookups(ctx: BindCtx): string {
  return `Max lookups: ${ctx.maxLookups} reached in Namer lookup (too many alternatives)`;
}

function toResult(ctx: BindCtx, s: Step): BindResult {
  const deps = [...ctx.deps];
  // Past the limit some branches were cut (a union drops failed ones): the tree is not whole.
  if (ctx.lookups > ctx.maxLookups) {
    return { tree: FAIL, deps, pending: false, error: tooManyLookups(ctx) };
  }
  if (s.type === "pending") return { tree: NEG, deps, pending: true };
  if (s.type === "failed") return { tree: FAIL, deps, pending: false, error: s.error };
  return { tree: s, deps, pending: false };
}

function newCtx(dtab: Dtab, namers: NamerLookup, opts: BindOptions | undefined): BindCtx {
  return {
    dtab,
    namers,
    maxDepth: opts?.maxDepth ?? 100,
    maxLookups: opts?.maxLookups ?? 10_000,
    lookups: 0,
    failover: opts?.failover ?? false,
    deps: new Set(),
  };
}

/**
 * Bind a path through the dtab and the namers.
 *
 * @param dtab The full dtab (base ++ local), later dentries first at lookup.
 * @param path The logical name, e.g. `/svc/hello`.
 * @param lookup The global namer lookup for `/#/...` and `/$/...` paths (`undefined` = `~`).
 * @param opts `maxDepth` (default 100), `maxLookups` (default 10000), `failover` (default false).
 * @returns The bound tree, the Vars consulted, whether it is still pending, and any error.
 * @example
 * ```ts
 * import { bind } from "./bind.ts";
 * import { parseDtab } from "./dtab.ts";
 * import { constVar } from "../core/var.ts";
 * import type { NamerLookup } from "../../discovery/types.ts";
 * const addr = constVar({ type: "bound" as const, addrs: [{ host: "10.0.0.1", port: 80, weight: 1 }] });
 * const namers: NamerLookup = (p) =>
 *   p[0] === "#" ? constVar({
 *     state: "ok" as const,
 *     value: { type: "leaf" as const, value: { kind: "bound" as const, bound: { id: p, idStr: "/" + p.join("/"), addr, residual: [] } } },
 *   }) : undefined;
 * const r = bind(parseDtab("/svc => /#/io.l5d.fs"), ["svc", "hello"], namers);
 * r.tree.type; // "leaf"
 * ```
 */
export function bind(dtab: Dtab, path: Path, lookup: NamerLookup, opts?: BindOptions): BindResult {
  const ctx = newCtx(dtab, lookup, opts);
  return toResult(ctx, bindNode(ctx, { type: "leaf", value: path }, 0, bindPath));
}

/**
 * Bind a whole tree of paths (e.g. `/a | /b`) the way {@linkcode bind} binds one path.
 *
 * @param dtab The dtab.
 * @param tree The tree to bind.
 * @param lookup The global namer lookup.
 * @param opts As for {@linkcode bind}.
 * @returns As for {@linkcode bind}.
 * @example
 * ```ts
 * import { bindTree } from "./bind.ts";
 * import { parseNameTree } from "./dtab.ts";
 * bindTree([], parseNameTree("~ | !"), () => undefined).tree.type; // "fail"
 * ```
 */
export function bindTree(
  dtab: Dtab,
  tree: NameTree<Path>,
  lookup: NamerLookup,
  opts?: BindOptions,
): BindResult {
  const ctx = newCtx(dtab, lookup, opts);
  return toResult(ctx, bindNode(ctx, tree, 0, bindPath));
}
