/**
 * Lint: things that load but are probably wrong, as warnings with a key path (`load.ts` adds the
 * file position; `switchyard check` prints them). Pure: no file system, no network. Later work
 * (issue 5: unreachable dentries, names that bind nowhere, weights) adds checks here.
 *
 * Current checks:
 * - a dtab or `services` leaf `/#/<prefix>/…` that no configured namer serves;
 * - `servers[].announce` with no announcers (it has no effect);
 * - an admin server reachable from other hosts with control endpoints (shutdown) enabled;
 * - keys accepted for Linkerd compatibility that have no effect (`admin.workerThreads`).
 *
 * @example
 * ```ts
 * import { configSchema } from "./schema.ts";
 * import { lintConfig } from "./lint.ts";
 * const c = configSchema.parse({ routers: [{ protocol: "http", dtab: "/svc => /#/io.l5d.k8s" }] });
 * console.log(lintConfig(c)[0]?.message); // "/#/io.l5d.k8s refers to no configured namer (...)"
 * ```
 *
 * @module
 */
import { dentryOffsets, type NameTree, parseDtab, parsePath, type Path } from "../dtab/mod.ts";
import type { Config } from "./schema.ts";
import { parseIpLiteral } from "../../discovery/mod.ts";

/** One lint finding. */
export interface LintWarning {
  /** Key path of the value the warning is about. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /**
   * For a finding about one dentry of a `dtab` string: where that dentry starts in the string, so
   * the report points at its own line rather than at the `dtab:` key.
   */
  readonly dtabOffset?: number | undefined;
}

/**
 * Whether the admin server's `ip` is reachable from this host only: all of 127.0.0.0/8, `::1`
 * (in any spelling, bracketed or not), its IPv4-mapped form `::ffff:127.x.x.x`, and `localhost`.
 */
function isLoopback(ip: string): boolean {
  const host = ip.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (host === "localhost" || host === "localhost.") return true;
  const literal = parseIpLiteral(host);
  if (literal === undefined) return false;
  return literal.startsWith("127.") || literal === "::1" || /^::ffff:7f[0-9a-f]{2}:/.test(literal);
}

function leaves(tree: NameTree<Path>, out: Path[] = []): Path[] {
  switch (tree.type) {
    case "leaf":
      out.push(tree.value);
      break;
    case "alt":
      for (const t of tree.trees) leaves(t, out);
      break;
    case "union":
      for (const w of tree.trees) leaves(w.tree, out);
      break;
  }
  return out;
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((label, i) => path[i] === label);
}

function show(path: Path): string {
  return "/" + path.join("/");
}

function namerRefs(config: Config): (leaf: Path, where: (string | number)[]) => LintWarning[] {
  const prefixes = config.namers.map((n) => parsePath(n.prefix));
  const known = config.namers.map((n) => n.prefix).join(", ") || "none";
  return (leaf, where) => {
    if (leaf[0] !== "#" || leaf.length < 2) return [];
    const rest = leaf.slice(1);
    if (prefixes.some((p) => p.length > 0 && startsWith(rest, p))) return [];
    const shown = show(leaf.slice(0, Math.min(leaf.length, 2)));
    return [{ path: where, message: `${shown} refers to no configured namer (namers: ${known})` }];
  };
}

function safeParse<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined; // the loader already reported it
  }
}

/**
 * Find likely mistakes in a config that loaded.
 *
 * @param config A parsed config.
 * @returns Warnings, in config order.
 * @example
 * ```ts
 * import { configSchema } from "./schema.ts";
 * import { lintConfig } from "./lint.ts";
 * lintConfig(configSchema.parse({ routers: [{ protocol: "http" }] })); // []
 * ```
 */
export function lintConfig(config: Config): LintWarning[] {
  const out: LintWarning[] = [];
  const checkRef = namerRefs(config);
  config.routers.forEach((r, i) => {
    const dtab = safeParse(() => parseDtab(r.dtab)) ?? [];
    const offsets = safeParse(() => dentryOffsets(r.dtab)) ?? [];
    const seen = new Set<string>();
    dtab.forEach((d, k) => {
      for (const leaf of leaves(d.dst)) {
        for (const w of checkRef(leaf, ["routers", i, "dtab"])) {
          if (!seen.has(w.message)) out.push({ ...w, dtabOffset: offsets[k] });
          seen.add(w.message);
        }
      }
    });
    r.servers.forEach((s, j) => {
      if (s.announce.length > 0 && r.announcers.length === 0) {
        out.push({
          path: ["routers", i, "servers", j, "announce"],
          message: "announce has no effect: the router has no announcers",
        });
      }
      // `protocols` limits the versions of raw-engine and h2 listeners (node:tls); Deno.serve
      // (`engine: serve`) cannot
      const serve = "engine" in s && s.engine === "serve";
      for (const k of serve ? ["protocols", "ciphers"] as const : ["ciphers"] as const) {
        if (s.tls?.[k] !== undefined) {
          out.push({
            path: ["routers", i, "servers", j, "tls", k],
            message: `${k} is not applied: Deno's TLS (rustls) negotiates TLS 1.2/1.3 with its ` +
              "own safe cipher suites",
          });
        }
      }
    });
  });
  config.services.forEach((s, i) => {
    s.versions.forEach((v, j) => {
      const leaf = safeParse(() => parsePath(v.dst));
      if (leaf) out.push(...checkRef(leaf, ["services", i, "versions", j, "dst"]));
    });
    s.failover.forEach((dst, j) => {
      const leaf = safeParse(() => parsePath(dst));
      if (leaf) out.push(...checkRef(leaf, ["services", i, "failover", j]));
    });
  });
  const admin = config.admin;
  if (!isLoopback(admin.ip) && (admin.security?.controlEnabled ?? true)) {
    out.push({
      path: ["admin", "ip"],
      message: `the admin server on ${admin.ip} is reachable from other hosts and allows ` +
        "POST /admin/shutdown; set admin.security.controlEnabled: false or bind 127.0.0.1",
    });
  }
  if (admin.workerThreads !== undefined) {
    out.push({
      path: ["admin", "workerThreads"],
      message: "workerThreads is a JVM setting of Linkerd; Switchyard ignores it",
    });
  }
  return out;
}
