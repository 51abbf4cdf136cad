/**
 * Name-tree transformers (L1 `namer/core/.../NameTreeTransformer.scala`,
 * `TransformerConfig.scala`; REF `linkerd1.md` §3): post-processing of bound names, configured
 * per router (`interpreter.transformers`) or per namer (`namers[].transformers`), applied in
 * order.
 *
 * A transformer maps every *bound leaf* of a lookup result: the id gets the transformer's prefix
 * (`/%/<prefix>` + the original id, e.g.
 * `/%/io.l5d.k8s.daemonset/default/incoming/l5d/#/io.l5d.k8s/default/http/world`), the residual
 * is kept, and the endpoint Var is replaced by a derived one (filtered, or mapped to gateways).
 * Neg, fail and path leaves pass through; a path leaf is transformed once it binds, since the
 * evaluator looks it up through the same wrapped lookup. Everything is cached by identity (the
 * same input Var or Bound gives the same output), so client caches keyed by id and balancers
 * subscribed to the endpoint Var keep working across updates.
 *
 * Wiring: {@linkcode transformLookup} wraps a router's interpreter lookup (the router snapshot
 * does this for `interpreter.transformers`), {@linkcode transformNamer} wraps one namer (the
 * namer registry does this for `namers[].transformers`), {@linkcode createTransformers} builds
 * them from config.
 *
 * @module
 */
import type { Var } from "../../router/core/var.ts";
import type { Path } from "../../router/dtab/types.ts";
import type { Clock } from "../../router/core/clock.ts";
import type { Addr, Bound, Name, Namer, NamerLookup } from "../types.ts";
import { failed, type Lookup, lookupEquals, mapTree, mapVar, PENDING } from "../_activity.ts";
import { makeBound } from "../bound.ts";
import { readPath } from "../_path.ts";
import { derivedVar } from "../_derived.ts";
import type { K8sLog } from "./source.ts";

/** Whether a transformer can answer yet (a gateway set still loading makes results pending). */
export type Readiness =
  | { readonly state: "ready" }
  | { readonly state: "pending" }
  | { readonly state: "failed"; readonly error: string };

/** A transformer. */
export interface NameTreeTransformer {
  /** The Linkerd kind, e.g. `io.l5d.k8s.localnode`. */
  readonly kind: string;
  /** The id prefix, starting with `%`. */
  readonly prefix: Path;
  /** Transform a lookup result; the same input Var gives the same output Var. */
  transform(v: Var<Lookup>): Var<Lookup>;
  /** Stop watches the transformer owns. */
  close(): Promise<void>;
}

/** A bad transformer config or a missing environment variable; the message starts with the path. */
export class TransformerConfigError extends Error {
  /** E.g. `routers[0].interpreter.transformers[1]`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "TransformerConfigError";
    this.path = path;
  }
}

/** What transformer constructors may use besides their config. */
export interface TransformerContext {
  /** Config key path of the entry, for errors. */
  readonly path: string;
  readonly clock?: Clock | undefined;
  readonly log?: K8sLog | undefined;
  /** Environment lookup (`POD_IP`, `NODE_NAME`, in-cluster API); default `Deno.env.get`. */
  readonly env?: ((name: string) => string | undefined) | undefined;
  /** Service-account directory for in-cluster API access (tests). */
  readonly serviceAccountDir?: string | undefined;
  /**
   * The namers' lookup with no dtab (Linkerd's `NameInterpreter.global`), for `io.l5d.replace`
   * and `io.l5d.const`; a router's transformers get it, a namer's do not.
   */
  readonly bind?: NamerLookup | undefined;
}

/**
 * The full id prefix of a transformer: `/%` + the configured `prefix`, or the default.
 *
 * @param configured The config's `prefix` (a path), if any.
 * @param fallback The kind's default, without `%`.
 * @param path Config path for errors.
 * @returns E.g. `["%", "io.l5d.k8s.localnode"]`.
 * @throws {TransformerConfigError} When `configured` is not a path.
 * @example
 * ```ts
 * import { transformerPrefix } from "./transformer.ts";
 * transformerPrefix(undefined, ["io.l5d.k8s.localnode"], "t"); // ["%", "io.l5d.k8s.localnode"]
 * ```
 */
export function transformerPrefix(
  configured: string | undefined,
  fallback: Path,
  path: string,
): Path {
  if (configured === undefined) return ["%", ...fallback];
  const p = readPath(configured);
  if ("error" in p) throw new TransformerConfigError(`${path}.prefix`, p.error);
  return ["%", ...p];
}

/**
 * Build a transformer that replaces each bound name's endpoint Var through `mapAddr`, gated by
 * an optional readiness Var.
 *
 * @param def Kind, full prefix, the endpoint mapping, readiness, and cleanup.
 * @returns The transformer.
 * @example
 * ```ts
 * import { boundTransformer } from "./transformer.ts";
 * const identity = boundTransformer({ kind: "x", prefix: ["%", "x"], mapAddr: (a) => a });
 * ```
 */
export function boundTransformer(def: {
  readonly kind: string;
  readonly prefix: Path;
  mapAddr(addr: Var<Addr>): Var<Addr>;
  readonly ready?: Var<Readiness>;
  close?(): Promise<void>;
}): NameTreeTransformer {
  const vars = new WeakMap<Var<Lookup>, Var<Lookup>>();
  const bounds = new WeakMap<Bound, Bound>();
  const addrs = new WeakMap<Var<Addr>, Var<Addr>>();
  const mapAddr = (a: Var<Addr>): Var<Addr> => {
    let m = addrs.get(a);
    if (!m) addrs.set(a, m = def.mapAddr(a));
    return m;
  };
  const mapBound = (b: Bound): Bound => {
    let t = bounds.get(b);
    if (!t) bounds.set(b, t = makeBound([...def.prefix, ...b.id], mapAddr(b.addr), b.residual));
    return t;
  };
  const mapName = (n: Name): Name =>
    n.kind === "bound" ? { kind: "bound", bound: mapBound(n.bound) } : n;
  const mapLookup = (a: Lookup): Lookup =>
    a.state === "ok" ? { state: "ok", value: mapTree(a.value, mapName) } : a;
  const ready = def.ready;
  return {
    kind: def.kind,
    prefix: def.prefix,
    transform(v) {
      let t = vars.get(v);
      if (t) return t;
      t = ready
        ? derivedVar((read): Lookup => {
          const r = read(ready);
          if (r.state === "pending") return PENDING;
          if (r.state === "failed") return failed(`${def.kind}: ${r.error}`);
          return mapLookup(read(v));
        }, lookupEquals)
        : mapVar(v, mapLookup, lookupEquals);
      vars.set(v, t);
      return t;
    },
    close: def.close ?? (() => Promise.resolve()),
  };
}

function chain(v: Var<Lookup>, transformers: readonly NameTreeTransformer[]): Var<Lookup> {
  let out = v;
  for (const t of transformers) out = t.transform(out);
  return out;
}

/**
 * Apply transformers to every result of an interpreter lookup (`interpreter.transformers`).
 *
 * @param lookup The router's lookup (`/#/...`, `/$/...`).
 * @param transformers In config order.
 * @returns The wrapped lookup (the same function when there are none).
 * @example
 * ```ts
 * import { transformLookup } from "./transformer.ts";
 * const lookup = transformLookup(() => undefined, []);
 * ```
 */
export function transformLookup(
  lookup: NamerLookup,
  transformers: readonly NameTreeTransformer[],
): NamerLookup {
  if (transformers.length === 0) return lookup;
  return (path) => {
    const v = lookup(path);
    return v === undefined ? undefined : chain(v, transformers);
  };
}

const ABSOLUTE = new Set(["#", "$", "%"]);

/**
 * Apply transformers to one namer's results (`namers[].transformers`). Ids are qualified with
 * `qualifier` (`/#/<prefix>`) first, so the transformed id is complete; the interpreter passes
 * `/%/...` ids through unchanged. `state()` is the namer's; `close()` closes both.
 *
 * @param namer The namer.
 * @param qualifier `["#", ...prefix]`.
 * @param transformers In config order.
 * @returns The wrapped namer.
 * @example
 * ```ts
 * import { transformNamer } from "./transformer.ts";
 * import { createNilNamer } from "../nil.ts";
 * const n = transformNamer(createNilNamer(), ["#", "nil"], []);
 * ```
 */
export function transformNamer(
  namer: Namer,
  qualifier: Path,
  transformers: readonly NameTreeTransformer[],
): Namer {
  const bounds = new WeakMap<Bound, Bound>();
  const vars = new WeakMap<Var<Lookup>, Var<Lookup>>();
  const qualifyBound = (b: Bound): Bound => {
    if (ABSOLUTE.has(b.id[0] ?? "")) return b;
    let q = bounds.get(b);
    if (!q) bounds.set(b, q = makeBound([...qualifier, ...b.id], b.addr, b.residual));
    return q;
  };
  const qualify = (a: Lookup): Lookup =>
    a.state !== "ok" ? a : {
      state: "ok",
      value: mapTree(
        a.value,
        (n: Name): Name => n.kind === "bound" ? { kind: "bound", bound: qualifyBound(n.bound) } : n,
      ),
    };
  const state = namer.state?.bind(namer);
  const allNames = namer.allNames?.bind(namer); // ids relative to the namer, as before wrapping
  return {
    kind: namer.kind,
    lookup(path) {
      const src = namer.lookup(path);
      let v = vars.get(src);
      if (!v) vars.set(src, v = chain(mapVar(src, qualify, lookupEquals), transformers));
      return v;
    },
    ...(state ? { state } : {}),
    ...(allNames ? { allNames } : {}),
    async close() {
      await Promise.allSettled([namer.close?.(), closeTransformers(transformers)]);
    },
  };
}

/**
 * Close transformers (their k8s watches).
 *
 * @param transformers The list.
 * @returns Resolves when all are closed.
 * @example
 * ```ts
 * import { closeTransformers } from "./transformer.ts";
 * await closeTransformers([]);
 * ```
 */
export async function closeTransformers(
  transformers: readonly NameTreeTransformer[],
): Promise<void> {
  await Promise.allSettled(transformers.map((t) => t.close()));
}
