/**
 * The built-in rewriting namers under `/$/`: each turns the path after its name into another
 * path, returned as a `{ kind: "path" }` leaf for the dtab to delegate again; a path that does
 * not fit is Neg. Semantics follow L1 `namer/core/src/main/scala/io/buoyant/http.scala` and
 * `hostport.scala` (and their tests `HttpTest.scala`, `HostPortTest.scala`):
 *
 * | `/$/<name>` | input | output |
 * |---|---|---|
 * | `io.buoyant.http.anyMethod` | `/GET/rest...` | `/rest...` |
 * | `io.buoyant.http.anyMethodPfx` | `/pfx/GET/rest...` | `/pfx/rest...` |
 * | `io.buoyant.http.anyHost` | `/a.b/rest...` | `/rest...` |
 * | `io.buoyant.http.anyHostPfx` | `/pfx/a.b/rest...` | `/pfx/rest...` |
 * | `io.buoyant.http.subdomainOf` | `/a.b/foo.a.b[:port]/rest...` | `/foo/rest...` |
 * | `io.buoyant.http.subdomainOfPfx` | `/a.b/pfx/foo.a.b[:port]/rest...` | `/pfx/foo/rest...` |
 * | `io.buoyant.http.domainToPath` | `/foo.buoyant.io/rest...` | `/io/buoyant/foo/rest...` |
 * | `io.buoyant.http.domainToPathPfx` | `/pfx/foo.buoyant.io/rest...` | `/pfx/io/buoyant/foo/rest...` |
 * | `io.buoyant.hostportPfx` | `/pfx/host:port/rest...` | `/pfx/host/port/rest...` |
 * | `io.buoyant.porthostPfx` | `/pfx/host:port/rest...` | `/pfx/port/host/rest...` |
 *
 * Hosts match `[A-Za-z0-9.:_-]+` and methods `[A-Z]+`; a `host:port` port is a DNS label
 * (`[a-z0-9][-a-z0-9]*[a-z0-9]?`, ≤ 63 chars, so `http` works as well as `8080`).
 * Deviation: empty labels (from `a..b` or a leading `.`) are dropped, and `:port` needs a host.
 *
 * @module
 */
import type { Path } from "../router/dtab/types.ts";
import { constVar, type Var } from "../router/core/var.ts";
import type { Namer } from "./types.ts";
import { leafPath, type Lookup, NEG } from "./_activity.ts";

/** A pure rewrite: the new path, or `undefined` when the input does not fit (→ Neg). */
export type PathRewrite = (path: Path) => Path | undefined;

const HOST = /^[A-Za-z0-9.:_-]+$/;
const METHOD = /^[A-Z]+$/;
const DNS_LABEL = /^[a-z0-9][-a-z0-9]*[a-z0-9]?$/;

function subdomain(domain: string, hostname: string): string | undefined {
  const idx = hostname.indexOf(":");
  const host = idx > 0 ? hostname.slice(0, idx) : hostname;
  const sfx = "." + domain;
  const sub = host.endsWith(sfx) ? host.slice(0, host.length - sfx.length) : "";
  return sub.length > 0 ? sub : undefined;
}

function reversedDomain(host: string): string[] {
  return host.split(".").filter((l) => l !== "").reverse();
}

function hostColonPort(s: string): [string, string] | undefined {
  const parts = s.split(":");
  if (parts.length !== 2) return undefined;
  const [host, port] = parts as [string, string];
  if (host === "" || port.length > 63 || !DNS_LABEL.test(port)) return undefined;
  return [host, port];
}

function hostport(path: Path, swap: boolean): Path | undefined {
  const [pfx, hp] = path;
  if (pfx === undefined || hp === undefined) return undefined;
  const m = hostColonPort(hp);
  if (!m) return undefined;
  const [host, port] = m;
  return [pfx, ...(swap ? [port, host] : [host, port]), ...path.slice(2)];
}

/**
 * The rewrite functions of the built-in rewriting namers, keyed by their `/$/` name.
 *
 * @returns A fresh table (callers may add their own entries).
 * @example
 * ```ts
 * import { rewritingFunctions } from "./rewriting.ts";
 * rewritingFunctions().get("io.buoyant.hostportPfx")?.(["pfx", "web:8080"]); // ["pfx","web","8080"]
 * ```
 */
export function rewritingFunctions(): Map<string, PathRewrite> {
  return new Map<string, PathRewrite>([
    ["io.buoyant.http.anyMethod", ([m = "", ...rest]) => METHOD.test(m) ? rest : undefined],
    [
      "io.buoyant.http.anyMethodPfx",
      ([pfx, m = "", ...rest]) => pfx !== undefined && METHOD.test(m) ? [pfx, ...rest] : undefined,
    ],
    ["io.buoyant.http.anyHost", ([h = "", ...rest]) => HOST.test(h) ? rest : undefined],
    [
      "io.buoyant.http.anyHostPfx",
      ([pfx, h = "", ...rest]) => pfx !== undefined && HOST.test(h) ? [pfx, ...rest] : undefined,
    ],
    ["io.buoyant.http.subdomainOf", ([domain = "", host = "", ...rest]) => {
      if (!HOST.test(domain) || !HOST.test(host)) return undefined;
      const sub = subdomain(domain, host);
      return sub === undefined ? undefined : [sub, ...rest];
    }],
    ["io.buoyant.http.subdomainOfPfx", ([domain = "", pfx, host = "", ...rest]) => {
      if (pfx === undefined || !HOST.test(domain) || !HOST.test(host)) return undefined;
      const sub = subdomain(domain, host);
      return sub === undefined ? undefined : [pfx, sub, ...rest];
    }],
    [
      "io.buoyant.http.domainToPath",
      ([host = "", ...rest]) => HOST.test(host) ? [...reversedDomain(host), ...rest] : undefined,
    ],
    [
      "io.buoyant.http.domainToPathPfx",
      ([pfx, host = "", ...rest]) =>
        pfx !== undefined && HOST.test(host) ? [pfx, ...reversedDomain(host), ...rest] : undefined,
    ],
    ["io.buoyant.hostportPfx", (p) => hostport(p, false)],
    ["io.buoyant.porthostPfx", (p) => hostport(p, true)],
  ]);
}

/**
 * Make a namer from a rewrite function: the result never changes, so each lookup returns a
 * constant Var; the empty path and non-matching paths are Neg (L1 `RewritingNamer.scala`).
 *
 * @param kind The `/$/` name, e.g. `io.buoyant.http.domainToPathPfx`.
 * @param rewrite The rewrite.
 * @returns The namer.
 * @example
 * ```ts
 * import { createRewritingNamer } from "./rewriting.ts";
 * const namer = createRewritingNamer("strip", ([, ...rest]) => rest);
 * namer.lookup(["a", "b"]).get(); // leaf path ["b"]
 * ```
 */
export function createRewritingNamer(kind: string, rewrite: PathRewrite): Namer {
  const neg: Var<Lookup> = constVar(NEG);
  return {
    kind,
    lookup(path) {
      if (path.length === 0) return neg;
      const out = rewrite(path);
      return out === undefined ? neg : constVar(leafPath(out));
    },
  };
}

/**
 * All built-in rewriting namers, keyed by their `/$/` name.
 *
 * @returns A fresh map of namers.
 * @example
 * ```ts
 * import { rewritingNamers } from "./rewriting.ts";
 * rewritingNamers().get("io.buoyant.http.domainToPathPfx")?.lookup(["pfx", "foo.buoyant.io"]).get();
 * // leaf path ["pfx", "io", "buoyant", "foo"]
 * ```
 */
export function rewritingNamers(): Map<string, Namer> {
  const out = new Map<string, Namer>();
  for (const [kind, fn] of rewritingFunctions()) out.set(kind, createRewritingNamer(kind, fn));
  return out;
}
