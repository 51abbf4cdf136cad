/**
 * Metric scopes in Linkerd 1.x's shape, and the one parser both Prometheus renderings use.
 *
 * | scope | flat key (metrics.json) |
 * |---|---|
 * | `serverScope("incoming", "127.0.0.1", 4141)` | `rt/incoming/server/127.0.0.1/4141` |
 * | `serviceScope("outgoing", "/svc/world")` | `rt/outgoing/service/svc/world` |
 * | `clientScope("outgoing", "/#/io.l5d.fs/world")` | `rt/outgoing/client/#/io.l5d.fs/world` |
 * | `clientServiceScope("outgoing", id, "/svc/world")` | `rt/outgoing/client/<id>/service/svc/world` |
 * | `endpointScope("outgoing", id, "127.0.0.1:7778")` | `rt/outgoing/client/<id>/endpoint/127.0.0.1:7778` |
 *
 * A scope is an array of *elements*. A service path, a client id and a server address are each ONE
 * element even though they contain `/` (Linkerd drops the leading `/` and keeps the rest), so the
 * Prometheus renderers can turn each of them into one label value. The per-endpoint scope is
 * Switchyard's own; Linkerd has none.
 *
 * @module
 */

/** A metric scope: path elements, outermost first (`["rt", "outgoing", "service", "svc/world"]`). */
export type Scope = readonly string[];

/** Which Linkerd stack level a metric belongs to, from its scope. */
export type ScopeKind =
  | "server"
  | "service"
  | "client"
  | "clientService"
  | "endpoint"
  | "router"
  | "other";

/**
 * The measurement levels Linkerd's exporters name a metric of each scope kind with
 * (`rt:client:service:…` in Prometheus, the `rt:client:service` measurement in InfluxDB).
 */
export const SCOPE_LEVELS: Record<ScopeKind, readonly string[]> = {
  server: ["rt", "server"],
  service: ["rt", "service"],
  client: ["rt", "client"],
  clientService: ["rt", "client", "service"],
  endpoint: ["rt", "client", "endpoint"],
  router: ["rt"],
  other: [],
};

/** A metric path split into its level, the label values its scope carries, and the rest. */
export interface ParsedScope {
  /** The stack level. */
  readonly kind: ScopeKind;
  /** `rt/<router>`: the router label. */
  readonly router?: string;
  /** `server/<ip/port>`, as Linkerd writes it (`127.0.0.1/4141`). */
  readonly server?: string;
  /** `service/<path>` without its leading `/` (`svc/world`). */
  readonly service?: string;
  /** `client/<id>` without its leading `/` (`#/io.l5d.fs/world`). */
  readonly client?: string;
  /** `client/<id>/endpoint/<addr>` (`127.0.0.1:7778`). */
  readonly endpoint?: string;
  /** The metric's own path below the labelled levels (`["status", "5XX"]`). */
  readonly rest: readonly string[];
}

/**
 * Canonical form of a scope: server `ip`, `port` joined into one `ip/port` element (Linkerd's
 * server label), a leading `/` dropped from service paths and client ids.
 *
 * @param scope The scope as the caller wrote it.
 * @returns A new array in canonical form.
 * @throws {RangeError} If an element is empty.
 * @example
 * ```ts
 * import { normalizeScope } from "./scope.ts";
 * normalizeScope(["rt", "in", "server", "127.0.0.1", "4141"]); // ["rt", "in", "server", "127.0.0.1/4141"]
 * ```
 */
export function normalizeScope(scope: Scope): string[] {
  const s = [...scope];
  for (const el of s) {
    if (el.length === 0) throw new RangeError(`empty element in metric scope ${JSON.stringify(s)}`);
  }
  if (s[0] !== "rt" || s.length < 4) return s;
  const kind = s[2];
  const a = s[3] as string;
  const b = s[4];
  if (kind === "server" && b !== undefined && !a.includes("/") && /^\d+$/.test(b)) {
    s.splice(3, 2, `${a}/${b}`);
  } else if (kind === "service" || kind === "client") {
    s[3] = dropSlash(a);
    if (kind === "client" && s[4] === "service" && s[5] !== undefined) s[5] = dropSlash(s[5]);
  }
  return s;
}

/**
 * The flat metrics.json key of a scope (`rt/outgoing/service/svc/world`).
 *
 * @param scope A scope, canonical or not.
 * @returns The elements of the canonical scope joined with `/`.
 * @example
 * ```ts
 * import { scopeKey, serviceScope } from "./scope.ts";
 * scopeKey(serviceScope("outgoing", "/svc/world")); // "rt/outgoing/service/svc/world"
 * ```
 */
export function scopeKey(scope: Scope): string {
  return normalizeScope(scope).join("/");
}

/**
 * Scope of a router's server (listener) stats: `rt/<router>/server/<ip>/<port>`.
 *
 * @param router The router label.
 * @param ip The listener's IP as configured.
 * @param port The listener's port.
 * @returns The scope.
 * @example
 * ```ts
 * import { serverScope } from "./scope.ts";
 * serverScope("incoming", "0.0.0.0", 4141);
 * ```
 */
export function serverScope(router: string, ip: string, port: number): Scope {
  return ["rt", router, "server", `${ip}/${port}`];
}

/**
 * Scope of a logical name's stats (path stack): `rt/<router>/service/<path>`.
 *
 * @param router The router label.
 * @param path The logical name, e.g. `/svc/world`; the leading `/` is dropped.
 * @returns The scope.
 * @example
 * ```ts
 * import { serviceScope } from "./scope.ts";
 * serviceScope("outgoing", "/svc/world");
 * ```
 */
export function serviceScope(router: string, path: string): Scope {
  return ["rt", router, "service", dropSlash(path)];
}

/**
 * Scope of a bound client's stats (client stack): `rt/<router>/client/<id>`.
 *
 * @param router The router label.
 * @param id The bound id, e.g. `/#/io.l5d.fs/world`; the leading `/` is dropped.
 * @returns The scope.
 * @example
 * ```ts
 * import { clientScope } from "./scope.ts";
 * clientScope("outgoing", "/#/io.l5d.fs/world");
 * ```
 */
export function clientScope(router: string, id: string): Scope {
  return ["rt", router, "client", dropSlash(id)];
}

/**
 * Scope of one client's stats for one logical name: `rt/<router>/client/<id>/service/<path>`.
 *
 * @param router The router label.
 * @param id The bound client id.
 * @param path The logical name.
 * @returns The scope.
 * @example
 * ```ts
 * import { clientServiceScope } from "./scope.ts";
 * clientServiceScope("outgoing", "/#/io.l5d.fs/world", "/svc/world");
 * ```
 */
export function clientServiceScope(router: string, id: string, path: string): Scope {
  return ["rt", router, "client", dropSlash(id), "service", dropSlash(path)];
}

/**
 * Scope of one endpoint (instance) of a client: `rt/<router>/client/<id>/endpoint/<addr>`.
 *
 * @param router The router label.
 * @param id The bound client id.
 * @param addr The endpoint, `host:port`.
 * @returns The scope.
 * @example
 * ```ts
 * import { endpointScope } from "./scope.ts";
 * endpointScope("outgoing", "/#/io.l5d.fs/world", "127.0.0.1:7778");
 * ```
 */
export function endpointScope(router: string, id: string, addr: string): Scope {
  return ["rt", router, "client", dropSlash(id), "endpoint", addr];
}

/**
 * Splits a canonical metric path (scope elements + name parts) into its level and labels.
 * A level is recognised only when at least one element is left for the metric's own name.
 *
 * @param path Canonical scope elements followed by the metric name's parts.
 * @returns The parsed scope.
 * @example
 * ```ts
 * import { parseScope } from "./scope.ts";
 * parseScope(["rt", "outgoing", "service", "svc/world", "requests"]).service; // "svc/world"
 * ```
 */
export function parseScope(path: Scope): ParsedScope {
  const [rt, router, kind, id, sub, subId] = path;
  if (rt !== "rt" || router === undefined || path.length < 3) {
    return { kind: "other", rest: path };
  }
  if (id !== undefined && path.length >= 5) {
    if (kind === "server") return { kind: "server", router, server: id, rest: path.slice(4) };
    if (kind === "service") return { kind: "service", router, service: id, rest: path.slice(4) };
    if (kind === "client") {
      if (subId !== undefined && path.length >= 7) {
        if (sub === "service") {
          return { kind: "clientService", router, client: id, service: subId, rest: path.slice(6) };
        }
        if (sub === "endpoint") {
          return { kind: "endpoint", router, client: id, endpoint: subId, rest: path.slice(6) };
        }
      }
      return { kind: "client", router, client: id, rest: path.slice(4) };
    }
  }
  return { kind: "router", router, rest: path.slice(2) };
}

function dropSlash(s: string): string {
  return s.startsWith("/") && s.length > 1 ? s.slice(1) : s;
}
