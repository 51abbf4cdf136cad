/**
 * The global namer lookup of the `default` interpreter (L1 `namer/core/.../
 * DefaultInterpreterInitializer.scala` `ConfiguredNamersInterpreter`, FIN `Namer.scala`
 * `Namer.global`): the dtab evaluator calls it for paths that start with `/#/` or `/$/`.
 *
 * - `/#/<prefix...>/<rest...>`: the matching namers are asked last-configured first (Linkerd's
 *   `Linker.scala` hands `ConfiguredNamersInterpreter` the namers reversed, and it takes the first
 *   match): the first gets `<rest>`, and when it answers Neg the next matching one is tried. Two
 *   namers may share a prefix. No match → `undefined` (Neg).
 * - `/$/<name>/<rest...>`: the built-in namer `<name>` (`builtins.ts`) gets `<rest>`. Unknown
 *   names → `undefined` (Neg; Finagle fails with ClassNotFound instead).
 * - Anything else (e.g. `/%/...`) → `undefined`.
 *
 * Namers return bound ids relative to their prefix; this lookup qualifies them, so a Bound's id
 * is the full client name (`/#/io.l5d.fs/hello`, `/$/inet/127.1/8080`) and its residual the
 * unconsumed rest. Ids a namer already made absolute (first label `#`, `$` or `%`, e.g. from a
 * transformer) pass through. Qualified Vars and Bounds are cached by the namer's own Var and
 * Bound objects, so repeated lookups of a path return the same Var and the same Bound.
 *
 * @module
 */
import type { Path } from "../router/dtab/types.ts";
import type { Var } from "../router/core/var.ts";
import type { Bound, Name, Namer, NamerLookup } from "./types.ts";
import type { InetNamerOptions } from "./inet.ts";
import { createBuiltinNamers } from "./builtins.ts";
import { makeBound } from "./bound.ts";
import { boundedCache, type Lookup, lookupEquals, mapTree, mapVar, NEG } from "./_activity.ts";
import { pathKey, pathStartsWith } from "./_path.ts";

/** A namer mounted at `/#/<prefix>` (Linkerd's `namers[].prefix`, default `/<kind>`). */
export interface ConfiguredNamer {
  /** The prefix after `/#`, e.g. `["io.l5d.fs"]`. */
  readonly prefix: Path;
  /** The namer. */
  readonly namer: Namer;
}

/** Options of `createNamerLookup`. */
export interface NamerLookupOptions {
  /** The `/$/` namers; default a fresh `createBuiltinNamers()` owned (and closed) by the lookup. */
  readonly builtins?: ReadonlyMap<string, Namer>;
  /** Options for the default built-in inet namer. */
  readonly inet?: InetNamerOptions;
}

/** The lookup function plus the shutdown of the built-ins it created. */
export type InterpreterLookup = NamerLookup & {
  /** Close the built-in namers this lookup created (not the configured ones). */
  close(): Promise<void>;
};

interface Mount {
  readonly qualifier: Path;
  readonly prefix: Path;
  readonly namer: Namer;
  readonly vars: WeakMap<Var<Lookup>, Var<Lookup>>;
  readonly bounds: WeakMap<Bound, Bound>;
}

const ABSOLUTE = new Set(["#", "$", "%"]);

function mount(qualifier: Path, prefix: Path, namer: Namer): Mount {
  return { qualifier, prefix, namer, vars: new WeakMap(), bounds: new WeakMap() };
}

function qualifyBound(m: Mount, b: Bound): Bound {
  if (ABSOLUTE.has(b.id[0] ?? "")) return b;
  let q = m.bounds.get(b);
  if (!q) m.bounds.set(b, q = makeBound([...m.qualifier, ...b.id], b.addr, b.residual));
  return q;
}

function qualify(m: Mount, a: Lookup): Lookup {
  if (a.state !== "ok" || a.value.type === "neg" || a.value.type === "fail") return a;
  const value = mapTree(
    a.value,
    (n: Name): Name => n.kind === "bound" ? { kind: "bound", bound: qualifyBound(m, n.bound) } : n,
  );
  return { state: "ok", value };
}

function lookupIn(m: Mount, rest: Path): Var<Lookup> {
  const src = m.namer.lookup(rest);
  let v = m.vars.get(src);
  if (!v) m.vars.set(src, v = mapVar(src, (a) => qualify(m, a), lookupEquals));
  return v;
}

/**
 * The first candidate that is not Neg (pending and failed stop the search, as in Linkerd's
 * `flatMap`). Candidates are looked up lazily: a fallback namer is asked only once every
 * namer before it answers Neg.
 */
function firstNonNeg(candidates: readonly (() => Var<Lookup>)[]): Var<Lookup> {
  const made: Var<Lookup>[] = [];
  const at = (i: number): Var<Lookup> => made[i] ??= (candidates[i] as () => Var<Lookup>)();
  const scan = (): [Lookup, number] => {
    for (let i = 0; i < candidates.length; i++) {
      const a = at(i).get();
      if (!(a.state === "ok" && a.value.type === "neg")) return [a, i];
    }
    return [NEG, candidates.length - 1];
  };
  return {
    get: () => scan()[0],
    subscribe(fn) {
      let prev = scan()[0];
      const offs: (() => void)[] = [];
      const watchUpTo = (last: number): void => {
        while (offs.length <= last) offs.push(at(offs.length).subscribe(onChange));
      };
      function onChange(): void {
        const [next, last] = scan();
        watchUpTo(last);
        if (next !== prev) {
          prev = next;
          fn(next);
        }
      }
      watchUpTo(scan()[1]);
      return () => offs.forEach((off) => off());
    },
  };
}

/**
 * Make the global lookup over configured namers and the `/$/` built-ins.
 *
 * @param configured Namers with their prefixes (after `/#`), e.g. from `createNamers`.
 * @param opts Built-ins to use instead of the default set, or inet options.
 * @returns The lookup; `close()` stops the built-ins it created.
 * @example
 * ```ts
 * import { createNamerLookup } from "./interpreter.ts";
 * const lookup = createNamerLookup([]);
 * lookup(["$", "inet", "127.0.0.1", "8080"])?.get(); // leaf bound /$/inet/127.0.0.1/8080
 * lookup(["#", "unknown", "x"]); // undefined
 * await lookup.close();
 * ```
 */
export function createNamerLookup(
  configured: readonly ConfiguredNamer[],
  opts: NamerLookupOptions = {},
): InterpreterLookup {
  const owned = opts.builtins ? undefined : createBuiltinNamers(opts.inet);
  const builtins = opts.builtins ?? owned?.namers ?? new Map<string, Namer>();
  // Last configured first, whatever the prefix lengths (ConfiguredNamersInterpreter).
  const mounts = configured.map((c) => mount(["#", ...c.prefix], c.prefix, c.namer)).reverse();
  const builtinMounts = new Map<string, Mount>();
  const composites = boundedCache<Var<Lookup>>(1000);

  function lookupHash(path: Path): Var<Lookup> | undefined {
    const rest = path.slice(1);
    const matches = mounts.filter((m) => pathStartsWith(rest, m.prefix));
    const [first] = matches;
    if (first === undefined) return undefined;
    if (matches.length === 1) return lookupIn(first, rest.slice(first.prefix.length));
    const key = pathKey(path);
    let v = composites.get(key);
    if (!v) {
      v = firstNonNeg(matches.map((m) => () => lookupIn(m, rest.slice(m.prefix.length))));
      composites.set(key, v);
    }
    return v;
  }

  function lookupDollar(path: Path): Var<Lookup> | undefined {
    const name = path[1];
    const namer = name === undefined ? undefined : builtins.get(name);
    if (name === undefined || namer === undefined) return undefined;
    let m = builtinMounts.get(name);
    if (!m) builtinMounts.set(name, m = mount(["$", name], [name], namer));
    return lookupIn(m, path.slice(2));
  }

  const lookup = (path: Path): Var<Lookup> | undefined =>
    path[0] === "#" ? lookupHash(path) : path[0] === "$" ? lookupDollar(path) : undefined;
  return Object.assign(lookup, {
    async close() {
      await owned?.close();
    },
  });
}
