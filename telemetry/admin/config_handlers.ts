/**
 * Admin views of the config now serving, in Linkerd 1.x's places: `/admin/registry.json` (what is
 * loaded: routers, namers, telemeters), `/admin/announcer` (announcers: none is supported, so
 * every configured one is `unsupported` and every `servers[].announce` name is not announced) and
 * `/admin/lint` (the warnings `switchyard check` prints, for the loaded config).
 *
 * The config arrives through {@linkcode ConfigView}, a structural slice of `router/config`'s
 * `Config`, and lint through an injected function, so this folder imports nothing from
 * `router/config` (the serving process must not load the config parser: issue 6).
 *
 * @module
 */
import type { AdminHandler } from "./handler.ts";

/** The parts of the loaded config these views read (`Config` of `router/config` fits). */
export interface ConfigView {
  readonly routers: readonly {
    readonly label: string;
    readonly protocol: string;
    readonly dstPrefix: string;
    readonly identifier: readonly { readonly kind: string }[];
    readonly servers: readonly {
      readonly ip: string;
      readonly port: number;
      readonly announce?: readonly string[];
    }[];
    readonly announcers?: readonly unknown[];
  }[];
  readonly namers: readonly { readonly kind: string; readonly prefix: string }[];
  readonly telemetry: readonly { readonly kind: string }[];
}

/** One lint finding, as `switchyard check` reports it. */
export interface LintFinding {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What the config views read. */
export interface ConfigViewDeps {
  /** The config now serving. */
  config(): ConfigView;
  /** The port a configured server is bound to (differs for port 0), or undefined if not open. */
  bound(
    label: string,
    protocol: string,
    ip: string,
    port: number,
    index: number,
  ): number | undefined;
  /** Lint warnings of the config now serving. */
  lint(): Promise<readonly LintFinding[]>;
}

/**
 * The `/admin/registry.json` body: what the process has loaded.
 *
 * @param config The config now serving.
 * @param bound The bound port of a configured server.
 * @returns `{registry: {routers: {<label>: …}, namers: {<prefix>: …}, telemeters: […]}}`.
 * @example
 * ```ts
 * import { registryJson } from "./config_handlers.ts";
 * const r = registryJson({
 *   routers: [{
 *     label: "out", protocol: "http", dstPrefix: "/svc",
 *     identifier: [{ kind: "io.l5d.header.token" }], servers: [{ ip: "127.0.0.1", port: 0 }],
 *   }],
 *   namers: [],
 *   telemetry: [],
 * }, () => 4140);
 * console.log(r.registry.routers["out"]?.servers[0]?.bound); // 4140
 * ```
 */
export function registryJson(
  config: ConfigView,
  bound: ConfigViewDeps["bound"],
): {
  registry: {
    routers: Record<string, {
      protocol: string;
      dstPrefix: string;
      identifier: string[];
      servers: { ip: string; port: number; bound?: number }[];
    }>;
    namers: Record<string, { kind: string }>;
    telemeters: { kind: string }[];
  };
} {
  return {
    registry: {
      routers: Object.fromEntries(config.routers.map((r) => [r.label, {
        protocol: r.protocol,
        dstPrefix: r.dstPrefix,
        identifier: r.identifier.map((i) => i.kind),
        servers: r.servers.map((s, j) => {
          const b = bound(r.label, r.protocol, s.ip, s.port, j);
          return b === undefined
            ? { ip: s.ip, port: s.port }
            : { ip: s.ip, port: s.port, bound: b };
        }),
      }])),
      namers: Object.fromEntries(config.namers.map((n) => [n.prefix, { kind: n.kind }])),
      telemeters: config.telemetry.map((t) => ({ kind: t.kind })),
    },
  };
}

/**
 * The `/admin/announcer` body: per router, its configured announcers and the names its servers
 * ask to announce. No announcer kind is supported, so nothing is announced.
 *
 * @param config The config now serving.
 * @returns `{<label>: {announcers: [{kind, state}], announce: [{server, name, state}]}}`.
 * @example
 * ```ts
 * import { announcerJson } from "./config_handlers.ts";
 * const a = announcerJson({
 *   routers: [{
 *     label: "in", protocol: "http", dstPrefix: "/svc", identifier: [],
 *     servers: [{ ip: "127.0.0.1", port: 4141, announce: ["/#/io.l5d.serversets/web"] }],
 *   }],
 *   namers: [],
 *   telemetry: [],
 * });
 * console.log(a["in"]?.announce[0]?.state); // "unsupported"
 * ```
 */
export function announcerJson(config: ConfigView): Record<string, {
  announcers: { kind: string; state: "unsupported" }[];
  announce: { server: string; name: string; state: "unsupported" }[];
}> {
  return Object.fromEntries(config.routers.map((r) => [r.label, {
    announcers: (r.announcers ?? []).map((a) => ({
      kind: String((a as { kind?: unknown })?.kind ?? "unknown"),
      state: "unsupported" as const,
    })),
    announce: r.servers.flatMap((s) =>
      (s.announce ?? []).map((name) => ({
        server: `${s.ip}:${s.port}`,
        name,
        state: "unsupported" as const,
      }))
    ),
  }]));
}

/**
 * `GET /admin/registry.json`, `GET /admin/announcer` and `GET /admin/lint` = `/admin/lint.json`
 * (`{warnings: [{path, message}]}`; 500 `{error}` when lint fails).
 *
 * @param deps The config now serving, bound ports and lint.
 * @returns The four admin handlers.
 * @example
 * ```ts
 * import { configHandlers } from "./config_handlers.ts";
 * const hs = configHandlers({
 *   config: () => ({ routers: [], namers: [], telemetry: [] }),
 *   bound: () => undefined,
 *   lint: () => Promise.resolve([]),
 * });
 * console.log(hs.length); // 4
 * ```
 */
export function configHandlers(deps: ConfigViewDeps): AdminHandler[] {
  const lint = async (): Promise<Response> => {
    try {
      return Response.json({ warnings: await deps.lint() });
    } catch (e: unknown) {
      return Response.json({ error: (e as Error)?.message ?? String(e) }, { status: 500 });
    }
  };
  return [
    {
      path: "/admin/registry.json",
      handler: () => Response.json(registryJson(deps.config(), deps.bound)),
    },
    { path: "/admin/announcer", handler: () => Response.json(announcerJson(deps.config())) },
    // Linkerd serves the lint at both paths (`/admin/lint.json` "identical to admin/lint").
    { path: "/admin/lint", handler: lint },
    { path: "/admin/lint.json", handler: lint },
  ];
}
