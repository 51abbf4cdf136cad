/**
 * Lint: things that load but are probably wrong, as warnings with a key path (`load.ts` adds the
 * file position; `switchyard check` prints them). Pure: no file system, no network. Later work
 * (issue 5: unreachable dentries, names that bind nowhere, weights) adds checks here.
 *
 * Current checks:
 * - a dtab or `services` leaf `/#/<prefix>/…` that no configured namer serves;
 * - `servers[].announce` with no announcers (it has no effect);
 * - an admin server reachable from other hosts with control endpoints (shutdown) enabled;
 * - keys accepted for Linkerd compatibility that have no effect here ({@linkcode ignoredKeys}:
 *   `admin.workerThreads`, `socketOptions`, h2 `windowUpdateRatio`, …).
 *
 * @example
 * ```ts
 * import { configSchema } from "./schema.ts";
 * import { lintConfig } from "./lint.ts";
 * const c = configSchema.parse({
 *   routers: [{ protocol: "http", dtab: "/svc => /#/io.l5d.k8s", servers: [{}] }],
 * });
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

/** Whether `path` was written in the config file (for keys with a default); false without one. */
function written(config: Config, path: readonly (string | number)[]): boolean {
  let v: unknown = config.source;
  for (const k of path) {
    if (v === null || typeof v !== "object") return false;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v !== undefined;
}

const NETTY = "Switchyard does not set Linkerd's Netty socket options";

/** The `socketOptions` keys, with the value that is the runtime's behaviour anyway. */
const SOCKET_DEFAULTS: Readonly<Record<string, unknown>> = {
  noDelay: true,
  reuseAddr: true,
  reusePort: false,
  readTimeoutMs: undefined,
  writeTimeoutMs: undefined,
  keepAlive: false,
  backlog: undefined,
};

/**
 * The `socketOptions` keys written at `at` that are not applied there: each one that `applied`
 * does not name and whose value is not what happens anyway (`noDelay: true`, `reuseAddr: true`,
 * `keepAlive: false`, `reusePort: false`).
 */
function ignoredSocketOptions(
  config: Config,
  so: Readonly<Record<string, unknown>> | undefined,
  at: readonly (string | number)[],
  applied: readonly string[],
  where: string,
): LintWarning[] {
  if (so === undefined) return [];
  const out: LintWarning[] = [];
  for (const key of Object.keys(SOCKET_DEFAULTS)) {
    const path = [...at, "socketOptions", key];
    if (applied.includes(key) || !written(config, path)) continue;
    if (so[key] === SOCKET_DEFAULTS[key]) continue;
    out.push({ path, message: `socketOptions.${key} has no effect ${where}: ${NETTY}` });
  }
  return out;
}

type ClientKeys = {
  readonly tls?: { readonly kind?: string | undefined } | undefined;
  readonly socketOptions?: unknown;
  readonly windowUpdateRatio?: number | undefined;
  readonly hostConnectionPool?: {
    readonly idleTimeMs?: number | undefined;
    readonly minSize?: number | undefined;
  } | undefined;
};

/** The keys of one `client` entry (global, or one static `configs[k]`) that have no effect. */
function ignoredClientKeys(
  c: ClientKeys,
  h2: boolean,
  at: readonly (string | number)[],
  config: Config,
): LintWarning[] {
  const out: LintWarning[] = [];
  const warn = (key: (string | number)[], message: string) =>
    out.push({ path: [...at, ...key], message });
  // HTTP/1.1 clients set SO_KEEPALIVE; every client dials with TCP_NODELAY
  out.push(
    ...ignoredSocketOptions(
      config,
      c.socketOptions as Readonly<Record<string, unknown>> | undefined,
      at,
      h2 ? [] : ["keepAlive"],
      h2 ? "on an h2 client" : "on a client",
    ),
  );
  if (c.tls?.kind === "io.l5d.boundPath") {
    warn(
      ["tls", "kind"],
      "io.l5d.boundPath (Linkerd < 1.0) is not applied: its names and " +
        "strict are ignored; use an io.l5d.static client with commonName and {captures}",
    );
  }
  if (!h2) return out;
  if (c.windowUpdateRatio !== undefined) {
    warn(
      ["windowUpdateRatio"],
      "windowUpdateRatio has no effect: node:http2 sends its own " +
        "WINDOW_UPDATE frames",
    );
  }
  const pool = c.hostConnectionPool;
  for (const k of ["idleTimeMs", "minSize"] as const) {
    if (pool?.[k] !== undefined && written(config, [...at, "hostConnectionPool", k])) {
      warn(
        ["hostConnectionPool", k],
        `hostConnectionPool.${k} has no effect on h2 routers: ` +
          "one HTTP/2 connection per endpoint (as Linkerd's SingletonPool)",
      );
    }
  }
  return out;
}

/** A listener's TLS `ciphers` (and `protocols` on a Deno.serve listener), which rustls ignores. */
function unappliedTls(
  tls: { readonly protocols?: unknown; readonly ciphers?: unknown } | undefined,
  serve: boolean,
  at: readonly (string | number)[],
): LintWarning[] {
  const keys = serve ? ["protocols", "ciphers"] as const : ["ciphers"] as const;
  return keys.filter((k) => tls?.[k] !== undefined).map((k) => ({
    path: [...at, k],
    message: `${k} is not applied: Deno's TLS (rustls) negotiates TLS 1.2/1.3 with its ` +
      "own safe cipher suites",
  }));
}

/**
 * Keys that load (Linkerd accepts them) but that Switchyard does not apply, so that an operator
 * is not misled: each is a warning saying why. README "Linkerd compatibility" lists them.
 */
function ignoredKeys(config: Config): LintWarning[] {
  const out: LintWarning[] = [];
  config.routers.forEach((r, i) => {
    const h2 = r.protocol === "h2";
    r.servers.forEach((s, j) => {
      const at = ["routers", i, "servers", j];
      // Deno.serve (hyper) keeps its own connection timers: `engine: serve`, and TLS listeners
      // that nothing sends to node:tls (server.ts)
      const engine = "engine" in s ? s.engine : undefined;
      const serve = !h2 && (engine === "serve" ||
        (engine === undefined && s.tls !== undefined && !s.tls.requireClientAuth &&
          s.tls.protocols === undefined));
      // Every listener binds with SO_REUSEPORT when asked; the raw engine sets TCP_NODELAY and
      // SO_KEEPALIVE on the connections it accepts.
      out.push(
        ...ignoredSocketOptions(
          config,
          s.socketOptions as Readonly<Record<string, unknown>> | undefined,
          at,
          h2 || serve ? ["reusePort"] : ["reusePort", "noDelay", "keepAlive"],
          h2 ? "on an h2 listener" : serve ? "on a Deno.serve listener" : "on a listener",
        ),
      );
      if ("windowUpdateRatio" in s && s.windowUpdateRatio !== undefined) {
        out.push({
          path: [...at, "windowUpdateRatio"],
          message: "windowUpdateRatio has no effect: node:http2 sends its own WINDOW_UPDATE frames",
        });
      }
      if (serve && s.serverSession !== undefined) {
        out.push({
          path: [...at, "serverSession"],
          message: "serverSession has no effect on a Deno.serve listener (engine: serve, or TLS " +
            "by default); set engine: raw",
        });
      }
    });
    if (h2 && written(config, ["routers", i, "maxInitialLineKB"])) {
      out.push({
        path: ["routers", i, "maxInitialLineKB"],
        message: "maxInitialLineKB has no effect on an h2 router: HTTP/2 has no initial line",
      });
    }
    if (written(config, ["routers", i, "bindingCache", "bounds"])) {
      out.push({
        path: ["routers", i, "bindingCache", "bounds"],
        message: "bindingCache.bounds has no effect: bound names are cached with their clients " +
          "(bindingCache.clients)",
      });
    }
    const client = r.client;
    if (client.kind === "io.l5d.global") {
      out.push(...ignoredClientKeys(client, h2, ["routers", i, "client"], config));
    } else {
      client.configs.forEach((c, k) =>
        out.push(...ignoredClientKeys(c, h2, ["routers", i, "client", "configs", k], config))
      );
    }
  });
  config.telemetry.forEach((t, i) => {
    if (t.kind === "io.l5d.tracelog" && t.host !== undefined) {
      out.push({
        path: ["telemetry", i, "host"],
        message: "host has no effect: io.l5d.tracelog writes spans to the log",
      });
    }
  });
  const admin = config.admin;
  out.push(
    ...ignoredSocketOptions(
      config,
      admin.socketOptions as Readonly<Record<string, unknown>> | undefined,
      ["admin"],
      [],
      "on the admin server",
    ),
  );
  if (admin.workerThreads !== undefined) {
    out.push({
      path: ["admin", "workerThreads"],
      message: "workerThreads is a JVM setting of Linkerd; Switchyard ignores it",
    });
  }
  return out;
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
 * lintConfig(configSchema.parse({ routers: [{ protocol: "http", servers: [{}] }] })); // []
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
      out.push(...unappliedTls(s.tls, serve, ["routers", i, "servers", j, "tls"]));
    });
  });
  // The admin server is a Deno.serve listener too (its `tls` is served by rustls)
  out.push(...unappliedTls(config.admin.tls, true, ["admin", "tls"]));
  // Linkerd accepts namers sharing a prefix and asks the later one first (Linker.scala reverses
  // the list for ConfiguredNamersInterpreter); the earlier one only sees names the later lacks.
  const prefixes = new Map<string, number>();
  config.namers.forEach((n, i) => {
    const first = prefixes.get(n.prefix);
    if (first === undefined) prefixes.set(n.prefix, i);
    else {
      out.push({
        path: ["namers", i, "prefix"],
        message: `namers[${first}] has the same prefix ${n.prefix}: this namer is asked first, ` +
          `namers[${first}] only for names it does not have`,
      });
    }
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
  out.push(...ignoredKeys(config));
  return out;
}
