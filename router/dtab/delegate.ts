/**
 * The dtab playground's explanation tree: how a path delegates through the dtab and the namers,
 * in the JSON shape of Linkerd's `/delegator.json` (`DelegateApiHandler.JsonDelegateTree`).
 *
 * Each node has `type`, `path` (the path at that step) and `dentry` (`{prefix, dst}` of the
 * rule that produced the path, or `null`). `delegate` nodes hold the next step in `delegate`,
 * `alt` nodes their candidates in `alt`, `union` nodes `{weight, tree}` items in `union`; a
 * `leaf` holds `bound: {addr: {type, addrs: [{ip, port, meta}]}, id, path}`; an `exception`
 * holds `message`. Unlike `bind`, every alternative is explored, as Linkerd's delegator does.
 *
 * Switchyard's addition: `neg`, `fail` and `exception` nodes (and leaves whose Addr is not
 * bound) carry a human `why`, e.g. "no dentry matches /x", "namer io.l5d.fs: no file 'foo'",
 * "addr is neg".
 *
 * @module
 */
import type { Addr, Bound, Name, NamerLookup } from "../../discovery/types.ts";
import { prefixMatches, rewrite, showDentry, showPrefix } from "./dtab.ts";
import { showTree } from "./name_tree.ts";
import { showPath } from "./path.ts";
import type { Dentry, Dtab, NameTree, Path } from "./types.ts";

/** A dentry as the delegator shows it. */
export interface DelegateDentry {
  readonly prefix: string;
  readonly dst: string;
}

/** One endpoint in a leaf's Addr. */
export interface DelegateAddress {
  readonly ip: string;
  readonly port: number;
  readonly meta: Readonly<Record<string, unknown>>;
}

/** A leaf's Addr. */
export type DelegateAddr =
  | {
    readonly type: "bound";
    readonly addrs: readonly DelegateAddress[];
    readonly meta: Readonly<Record<string, unknown>>;
  }
  | { readonly type: "neg" }
  | { readonly type: "pending" }
  | { readonly type: "failed"; readonly cause: string };

/** A leaf's bound name: Addr, client id and residual path. */
export interface DelegateBound {
  readonly addr: DelegateAddr;
  readonly id: string;
  readonly path: string;
}

interface Base {
  readonly path: string;
  readonly dentry: DelegateDentry | null;
}

/** A node of the explanation tree (JSON-serialisable). */
export type DelegateNode =
  | Base & { readonly type: "delegate"; readonly delegate: DelegateNode }
  | Base & { readonly type: "alt"; readonly alt: readonly DelegateNode[] }
  | Base & {
    readonly type: "union";
    readonly union: readonly { readonly weight: number; readonly tree: DelegateNode }[];
  }
  | Base & { readonly type: "leaf"; readonly bound: DelegateBound; readonly why?: string }
  | Base & { readonly type: "neg"; readonly why: string }
  | Base & { readonly type: "fail"; readonly why: string }
  | Base & { readonly type: "empty" }
  | Base & { readonly type: "exception"; readonly message: string; readonly why: string };

/** Options for {@linkcode delegate}. */
export interface DelegateOptions {
  /** Recursion limit, as for `bind`; default 100. */
  maxDepth?: number;
  /** Stop exploring past this many nodes (alternatives multiply); default 10000. */
  maxNodes?: number;
}

interface Ctx {
  readonly dtab: Dtab;
  readonly namers: NamerLookup;
  readonly maxDepth: number;
  readonly maxNodes: number;
  nodes: number;
}

function jsonDentry(d: Dentry | null): DelegateDentry | null {
  return d === null ? null : { prefix: showPrefix(d.prefix), dst: showTree(d.dst, showPath) };
}

function namerName(p: Path): string {
  return (p[0] === "#" || p[0] === "$") && p.length > 1 ? p[1]! : showPath(p);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function jsonAddr(addr: Addr): DelegateAddr {
  switch (addr.type) {
    case "bound":
      return {
        type: "bound",
        addrs: addr.addrs.map((a) => ({
          ip: a.host,
          port: a.port,
          meta: a.weight === 1 ? { ...a.meta } : { ...a.meta, endpoint_addr_weight: a.weight },
        })),
        meta: {},
      };
    case "failed":
      return { type: "failed", cause: addr.error };
    default:
      return { type: addr.type };
  }
}

function addrWhy(addr: Addr, id: string): string | undefined {
  if (addr.type === "neg") return `addr is neg: ${id} does not exist, so an alternative is tried`;
  if (addr.type === "pending") return `addr is pending: ${id} has not resolved yet`;
  if (addr.type === "failed") return `addr failed: ${addr.error}`;
  if (addr.addrs.length === 0) return `addr is bound but ${id} has no endpoints`;
  return undefined;
}

function leafNode(path: Path, dentry: Dentry | null, bound: Bound): DelegateNode {
  const addr = bound.addr.get();
  const why = addrWhy(addr, bound.idStr);
  const node = {
    type: "leaf" as const,
    path: showPath(path),
    dentry: jsonDentry(dentry),
    bound: { addr: jsonAddr(addr), id: bound.idStr, path: showPath(bound.residual) },
  };
  return why === undefined ? node : { ...node, why };
}

function tooBig(ctx: Ctx, path: Path, dentry: Dentry | null): DelegateNode | undefined {
  if (++ctx.nodes <= ctx.maxNodes) return undefined;
  return {
    type: "exception",
    path: showPath(path),
    dentry: jsonDentry(dentry),
    message: `delegation tree larger than ${ctx.maxNodes} nodes`,
    why: "the dtab has too many alternatives to show them all",
  };
}

/** Explain one path: dtab matches (bottom to top), else the namers. */
function explainPath(ctx: Ctx, path: Path, dentry: Dentry | null, depth: number): DelegateNode {
  const big = tooBig(ctx, path, dentry);
  if (big) return big;
  const shown = showPath(path);
  const jd = jsonDentry(dentry);
  if (depth > ctx.maxDepth) {
    const message = `Max recursion level: ${ctx.maxDepth} reached in Namer lookup`;
    return { type: "exception", path: shown, dentry: jd, message, why: "the dtab loops" };
  }
  const steps: DelegateNode[] = [];
  for (let i = ctx.dtab.length - 1; i >= 0; i--) {
    const d = ctx.dtab[i]!;
    if (prefixMatches(d.prefix, path)) {
      steps.push(explainTree(ctx, rewrite(d, path), path, d, depth + 1, explainPathLeaf));
    }
  }
  if (steps.length === 1) return collapse(shown, jd, steps[0]!);
  if (steps.length > 1) return { type: "alt", path: shown, dentry: jd, alt: flattenAlts(steps) };
  return explainNamer(ctx, path, dentry, depth);
}

/**
 * One dentry's result under the path it rewrote, as Linkerd's `DelegateTree.simplify`: when that
 * result is a node for the same path (the dentry's destination is an alternation or a union), the
 * two collapse into that node carrying the outer dentry (`/a => /b; /b => /c | /d` shows `/b` as
 * one alt with the dentry `/a=>/b`, L1 `namer/core/.../DelegateTree.scala`, `DelegateTreeTest`
 * "simplify collapses nodes with the same path"); `~`, `!` and `$` results keep the delegate.
 */
function collapse(path: string, dentry: DelegateDentry | null, only: DelegateNode): DelegateNode {
  const keep = only.type === "neg" || only.type === "fail" || only.type === "empty";
  if (!keep && only.path === path) return { ...only, dentry };
  return { type: "delegate", path, dentry, delegate: only };
}

/**
 * An alternation's branches with nested alternations lifted into it, as Finagle's
 * `DelegateTree.simplify` does (Linkerd's DelegateApiHandlerTest: a dentry `/foo => /bah | /beh`
 * tried after `/foo => /bar` shows one list `[/bar…, /bah…, /beh…]`, not a list inside a list).
 * The lifted branches keep their own dentry.
 */
function flattenAlts(branches: DelegateNode[]): DelegateNode[] {
  if (!branches.some((b) => b.type === "alt")) return branches;
  return branches.flatMap((b) => b.type === "alt" ? b.alt : [b]);
}

function explainNamer(ctx: Ctx, path: Path, dentry: Dentry | null, depth: number): DelegateNode {
  const shown = showPath(path);
  const jd = jsonDentry(dentry);
  const isNamerPath = path[0] === "#" || path[0] === "$";
  let v;
  try {
    v = ctx.namers(path);
  } catch (e: unknown) {
    const message = errorText(e);
    return { type: "exception", path: shown, dentry: jd, message, why: `lookup threw: ${message}` };
  }
  if (v === undefined) {
    const why = isNamerPath ? `no namer handles ${shown}` : `no dentry matches ${shown}`;
    return { type: "neg", path: shown, dentry: jd, why };
  }
  const act = v.get();
  const name = namerName(path);
  if (act.state === "pending") {
    const why = `namer ${name} has not answered for ${shown} yet`;
    return { type: "exception", path: shown, dentry: jd, message: "pending", why };
  }
  if (act.state === "failed") {
    const why = `namer ${name} failed: ${act.error}`;
    return { type: "exception", path: shown, dentry: jd, message: act.error, why };
  }
  if (act.value.type === "neg") {
    const why = `namer ${name}: ${act.value.why ?? `no such name ${shown}`}`;
    return { type: "neg", path: shown, dentry: jd, why };
  }
  return explainTree(ctx, act.value, path, dentry, depth + 1, explainNameLeaf);
}

function explainPathLeaf(ctx: Ctx, p: Path, _from: Path, d: Dentry | null, depth: number) {
  return explainPath(ctx, p, d, depth);
}

function explainNameLeaf(ctx: Ctx, n: Name, from: Path, d: Dentry | null, depth: number) {
  return n.kind === "path" ? explainPath(ctx, n.path, d, depth) : leafNode(from, d, n.bound);
}

/** Explain the tree a dentry (or a namer) produced for `from`. */
function explainTree<T>(
  ctx: Ctx,
  tree: NameTree<T>,
  from: Path,
  dentry: Dentry | null,
  depth: number,
  explainLeaf: (ctx: Ctx, v: T, from: Path, d: Dentry | null, depth: number) => DelegateNode,
): DelegateNode {
  const jd = jsonDentry(dentry);
  const src = dentry ? `dentry ${showDentry(dentry)}` : `namer ${namerName(from)}`;
  switch (tree.type) {
    case "leaf":
      return explainLeaf(ctx, tree.value, from, dentry, depth);
    case "neg":
      return { type: "neg", path: "~", dentry: jd, why: tree.why ?? `${src} gives ~ (negative)` };
    case "fail": {
      // As Linkerd's DelegateApiHandler: a failure from the `/$/fail` namer shows its path,
      // a dentry's `!` shows "!".
      const path = from[0] === "$" && from[1] === "fail" ? showPath(from) : "!";
      return { type: "fail", path, dentry: jd, why: `${src} fails the request with !` };
    }
    case "empty":
      // As Linkerd's DelegateTree.Empty: the path that gave it (`/$/nil` for the nil namer,
      // the rewritten name for a dentry's `$`), not a "$" placeholder.
      return { type: "empty", path: showPath(from), dentry: jd };
    case "alt":
      return {
        type: "alt",
        path: showPath(from),
        dentry: jd,
        alt: flattenAlts(
          tree.trees.map((t) => explainTree(ctx, t, from, dentry, depth, explainLeaf)),
        ),
      };
    case "union":
      return {
        type: "union",
        path: showPath(from),
        dentry: jd,
        union: tree.trees.map((w) => ({
          weight: w.weight,
          tree: explainTree(ctx, w.tree, from, dentry, depth, explainLeaf),
        })),
      };
  }
}

/**
 * Explain how `path` delegates under `dtab` (a snapshot of the namers' current state).
 *
 * @param dtab The dtab (base ++ local).
 * @param path The path, e.g. `/svc/hello`.
 * @param lookup The global namer lookup.
 * @param opts `maxDepth` (100), `maxNodes` (10000).
 * @returns The explanation tree, JSON-serialisable.
 * @example
 * ```ts
 * import { delegate } from "./delegate.ts";
 * import { parseDtab } from "./dtab.ts";
 * const tree = delegate(parseDtab("/svc => /#/io.l5d.fs"), ["svc", "x"], () => undefined);
 * JSON.stringify(tree); // {"type":"delegate","path":"/svc/x",...,"why":"no namer handles ..."}
 * ```
 */
export function delegate(
  dtab: Dtab,
  path: Path,
  lookup: NamerLookup,
  opts?: DelegateOptions,
): DelegateNode {
  const ctx: Ctx = {
    dtab,
    namers: lookup,
    maxDepth: opts?.maxDepth ?? 100,
    maxNodes: opts?.maxNodes ?? 10_000,
    nodes: 0,
  };
  return explainPath(ctx, path, null, 0);
}

/**
 * The `/delegator.json` text of a tree: a node without a dentry (the root) has no `dentry` key,
 * as in Linkerd's output (Jackson NON_ABSENT). The admin endpoint and `switchyard dtab --json`
 * both print it this way.
 *
 * @param tree A tree from {@linkcode delegate}.
 * @param indent `JSON.stringify`'s indent (none by default).
 * @returns The JSON text.
 * @example
 * ```ts
 * import { delegate, delegatorJson } from "./delegate.ts";
 * import { parseDtab } from "./dtab.ts";
 * delegatorJson(delegate(parseDtab(""), ["svc", "x"], () => undefined));
 * // {"type":"neg","path":"/svc/x","why":"no dentry matches /svc/x"}
 * ```
 */
export function delegatorJson(tree: DelegateNode, indent?: number): string {
  return JSON.stringify(tree, withoutNullDentry, indent);
}

function withoutNullDentry(key: string, value: unknown): unknown {
  return key === "dentry" && value === null ? undefined : value;
}
