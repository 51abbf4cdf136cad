/**
 * A small client for the Consul HTTP API v1, as Linkerd's consul namer uses it (L1
 * `consul/.../v1/ConsulApi.scala`, `BaseApi.scala`, `AgentApi.scala`, `utils.scala`):
 *
 * - `GET /v1/catalog/service/<name>?dc=<dc>[&tag=<tag>][&index=<i>]` (`useHealthCheck: false`),
 *   or `GET /v1/health/service/<name>?dc=<dc>[&tag=<tag>][&index=<i>]&passing=<bool>`
 *   (`useHealthCheck: true`; `passing=true` when `healthStatuses` is just `passing`, else
 *   `false` and the instances are filtered here by the worst status of their checks,
 *   `maintenance` > `critical` > `warning` > `passing`, as `HealthApi` does).
 * - `consistencyMode`: `stale` adds `stale=true`, `consistent` adds `consistent=true`.
 * - `GET /v1/agent/self` for the agent's `Config.Datacenter` and `Config.Domain`.
 * - `GET /v1/kv/<key>?raw=true[&index=<i>][&dc=<dc>]` for the `io.l5d.consul.interpreter`'s dtab
 *   (Linkerd's `KvApi.get`): the raw value, or `null` when the key does not exist (404, whose
 *   `X-Consul-Index` the next blocking query waits after).
 * - Every request carries `X-Consul-Token: <token>` when `token` is set, and a Host header of
 *   `host:port` (Linkerd's `SetHostFilter`); a blocking query's index comes back in
 *   `X-Consul-Index`. A status other than 200 is a {@linkcode ConsulApiError}.
 * - `tls`: HTTPS (`../_http_exchange.ts`: one request per connection) with the CA bundle
 *   (`trustCertsBundle`, `trustCerts`); the agent's certificate is verified against
 *   `commonName` (default `host`), also sent as SNI, as Linkerd's `TlsClientConfig`. With a
 *   client certificate (`clientAuth`) it is verified against `host` (`Deno.startTls` cannot
 *   present one). Without `tls`, `fetch` (pooled connections).
 * - Requests time out after 10 minutes (Linkerd's `DefaultRequestTimeout`; a blocking query
 *   waits up to Consul's default 5 minutes).
 *
 * @module
 */
import { request, type TargetTls } from "../_http_exchange.ts";

/** One instance of a service (`/v1/catalog/service` shape; health answers are mapped to it). */
export interface ServiceNode {
  readonly Node?: string | null;
  readonly Address?: string | null;
  readonly ServiceID?: string | null;
  readonly ServiceName?: string | null;
  readonly ServiceTags?: readonly string[] | null;
  readonly ServiceAddress?: string | null;
  readonly ServicePort?: number | null;
  /** The worst check status (health API only). */
  readonly Status?: HealthStatus;
  readonly ServiceMeta?: Readonly<Record<string, string>> | null;
  readonly NodeMeta?: Readonly<Record<string, string>> | null;
}

/** Consul check statuses, best to worst. */
export const HEALTH_STATUSES = ["passing", "warning", "critical", "maintenance"] as const;

/** A check status. */
export type HealthStatus = typeof HEALTH_STATUSES[number];

/** Consul consistency modes (`consistencyMode`). */
export type ConsistencyMode = "default" | "stale" | "consistent";

/** A value with the `X-Consul-Index` it was read at. */
export interface Indexed<T> {
  readonly value: T;
  /** `undefined` when the answer had no `X-Consul-Index`. */
  readonly index: string | undefined;
}

/** The parts of `/v1/agent/self` the namer reads. */
export interface AgentConfig {
  readonly Datacenter?: string | undefined;
  readonly Domain?: string | undefined;
}

/** A non-200 answer. */
export class ConsulApiError extends Error {
  /** The HTTP status. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ConsulApiError";
    this.status = status;
  }
}

/** TLS to the agent (Linkerd's `TlsClientConfig`). */
export interface ConsulTls {
  readonly disableValidation?: boolean | undefined;
  readonly commonName?: string | undefined;
  readonly trustCerts?: readonly string[] | undefined;
  readonly trustCertsBundle?: string | undefined;
  readonly clientAuth?: { readonly certPath: string; readonly keyPath: string } | undefined;
}

/** Options of {@linkcode createConsulApi}. */
export interface ConsulApiOptions {
  /** Default `localhost`. */
  readonly host?: string | undefined;
  /** Default 8500. */
  readonly port?: number | undefined;
  readonly token?: string | undefined;
  readonly tls?: ConsulTls | undefined;
  /** `useHealthCheck: true` → these statuses through `/v1/health/service`; else the catalog. */
  readonly healthStatuses?: readonly HealthStatus[] | undefined;
  readonly consistencyMode?: ConsistencyMode | undefined;
  /** Default 600000 ms. */
  readonly requestTimeoutMs?: number;
}

/** The parameters of one service query. */
export interface ServiceQuery {
  readonly datacenter: string;
  readonly tag?: string | undefined;
  /** A blocking query waits for a change after this index. */
  readonly index?: string | undefined;
}

/** The parameters of one KV read. */
export interface KvQuery {
  /** Default: the agent's. */
  readonly datacenter?: string | undefined;
  /** A blocking query waits for a change after this index. */
  readonly index?: string | undefined;
}

/** The client. */
export interface ConsulApi {
  /** E.g. `http://localhost:8500`. */
  readonly baseUrl: string;
  /** The request line of a query, for `/namer_state` (`GET /v1/catalog/service/web?dc=dc1`). */
  describe(name: string, query: ServiceQuery): string;
  /** The instances of a service. @throws {ConsulApiError} On a status other than 200. */
  serviceNodes(
    name: string,
    query: ServiceQuery,
    signal: AbortSignal,
  ): Promise<Indexed<ServiceNode[]>>;
  /** `Config` of `/v1/agent/self`. @throws {ConsulApiError} On a status other than 200. */
  agentConfig(signal: AbortSignal): Promise<AgentConfig>;
  /**
   * A KV key's raw value (`null` when it does not exist).
   *
   * @throws {ConsulApiError} On a status other than 200 and 404.
   */
  kvGet(key: string, query: KvQuery, signal: AbortSignal): Promise<Indexed<string | null>>;
  /** The request line of a KV read, for `/interpreter_state`. */
  describeKv(key: string, query: KvQuery): string;
  close(): void;
}

interface HealthEntry {
  readonly Node?: {
    Node?: string;
    Address?: string;
    Meta?: Record<string, string>;
  } | null;
  readonly Service?: {
    ID?: string;
    Service?: string;
    Address?: string;
    Tags?: string[] | null;
    Port?: number;
    Meta?: Record<string, string> | null;
  } | null;
  readonly Checks?: readonly { Status?: string }[] | null;
}

/** Linkerd's `HealthStatus.withNameSafe`: an unknown status reads as passing. */
function statusOf(name: string | undefined): HealthStatus {
  const lower = (name ?? "").toLowerCase();
  return HEALTH_STATUSES.find((s) => s === lower) ?? "passing";
}

function worst(checks: HealthEntry["Checks"]): HealthStatus | undefined {
  let out: HealthStatus | undefined;
  for (const c of checks ?? []) {
    if (c.Status === undefined) continue;
    const s = statusOf(c.Status);
    if (out === undefined || HEALTH_STATUSES.indexOf(s) > HEALTH_STATUSES.indexOf(out)) out = s;
  }
  return out;
}

function fromHealth(e: HealthEntry): ServiceNode {
  const status = worst(e.Checks);
  return {
    Node: e.Node?.Node ?? null,
    Address: e.Node?.Address ?? null,
    ServiceID: e.Service?.ID ?? null,
    ServiceName: e.Service?.Service ?? null,
    ServiceTags: e.Service?.Tags ?? null,
    ServiceAddress: e.Service?.Address ?? null,
    ServicePort: e.Service?.Port ?? null,
    ...(status !== undefined ? { Status: status } : {}),
    ServiceMeta: e.Service?.Meta ?? null,
    NodeMeta: e.Node?.Meta ?? null,
  };
}

function bracket(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function targetTls(host: string, tls: ConsulTls | undefined): TargetTls | undefined {
  if (!tls) return undefined;
  const caCerts = [
    ...(tls.trustCerts ?? []),
    ...(tls.trustCertsBundle ? [tls.trustCertsBundle] : []),
  ].map((f) => Deno.readTextFileSync(f));
  const auth = tls.clientAuth;
  return {
    serverName: tls.commonName ?? host,
    caCerts,
    ...(auth
      ? {
        clientCert: {
          cert: Deno.readTextFileSync(auth.certPath),
          key: Deno.readTextFileSync(auth.keyPath),
        },
      }
      : {}),
  };
}

/** An answer read to the end. */
interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * Make a client (TLS files are read now).
 *
 * @param opts Agent address, token, TLS, health filter, consistency.
 * @returns The client; `close()` releases nothing (kept for callers).
 * @example
 * ```ts
 * import { createConsulApi } from "./api.ts";
 * const api = createConsulApi({ host: "127.0.0.1", port: 8500 });
 * api.describe("web", { datacenter: "dc1" }); // "GET /v1/catalog/service/web?dc=dc1"
 * api.close();
 * ```
 */
export function createConsulApi(opts: ConsulApiOptions = {}): ConsulApi {
  const host = opts.host ?? "localhost";
  const port = opts.port ?? 8500;
  const baseUrl = `${opts.tls ? "https" : "http"}://${bracket(host)}:${port}`;
  const timeoutMs = opts.requestTimeoutMs ?? 600_000;
  const tls = targetTls(host, opts.tls);
  const health = opts.healthStatuses;
  const onlyPassing = health !== undefined && health.length > 0 &&
    health.every((s) => s === "passing");

  function servicePath(name: string, q: ServiceQuery): string {
    const params = new URLSearchParams();
    if (opts.consistencyMode === "consistent") params.set("consistent", "true");
    if (opts.consistencyMode === "stale") params.set("stale", "true");
    if (q.index !== undefined) params.set("index", q.index);
    params.set("dc", q.datacenter);
    if (q.tag !== undefined) params.set("tag", q.tag);
    if (health) params.set("passing", String(onlyPassing));
    const api = health ? "health" : "catalog";
    return `/v1/${api}/service/${encodeURIComponent(name)}?${params}`;
  }

  function kvPath(key: string, q: KvQuery): string {
    const params = new URLSearchParams();
    if (opts.consistencyMode === "consistent") params.set("consistent", "true");
    if (opts.consistencyMode === "stale") params.set("stale", "true");
    params.set("raw", "true");
    if (q.index !== undefined) params.set("index", q.index);
    if (q.datacenter !== undefined) params.set("dc", q.datacenter);
    const path = key.split("/").map(encodeURIComponent).join("/");
    return `/v1/kv${path.startsWith("/") ? "" : "/"}${path}?${params}`;
  }

  /** One GET: over `fetch` without TLS, else over `../_http_exchange.ts`. */
  async function send(path: string, accept: boolean, signal: AbortSignal): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (accept) headers["accept"] = "application/json";
    if (opts.token !== undefined) headers["x-consul-token"] = opts.token;
    const timed = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    if (tls) {
      const rsp = await request(
        { hostname: unbracket(host), port, tls },
        { method: "GET", path, headers: { host: `${bracket(host)}:${port}`, ...headers } },
        timed,
      );
      return { status: rsp.status, headers: rsp.headers, text: rsp.body };
    }
    const rsp = await fetch(baseUrl + path, { headers, signal: timed });
    return { status: rsp.status, headers: rsp.headers, text: await rsp.text() };
  }

  async function get(path: string, signal: AbortSignal): Promise<Indexed<unknown>> {
    const rsp = await send(path, true, signal);
    if (rsp.status !== 200) {
      throw new ConsulApiError(rsp.status, `${rsp.status} from ${path}: ${rsp.text.slice(0, 200)}`);
    }
    const value: unknown = JSON.parse(rsp.text);
    return { value, index: rsp.headers.get("x-consul-index") ?? undefined };
  }

  return {
    baseUrl,
    describe: (name, q) => `GET ${servicePath(name, q)}`,
    async serviceNodes(name, q, signal) {
      const { value, index } = await get(servicePath(name, q), signal);
      if (!Array.isArray(value)) throw new Error(`consul: ${name}: not a JSON array`);
      if (!health) return { value: value as ServiceNode[], index };
      const nodes = (value as HealthEntry[]).map(fromHealth);
      return {
        value: onlyPassing ? nodes : nodes.filter((n) => health.includes(n.Status ?? "passing")),
        index,
      };
    },
    async agentConfig(signal) {
      const { value } = await get("/v1/agent/self", signal);
      const config = (value as { Config?: AgentConfig } | null)?.Config ?? {};
      return {
        Datacenter: typeof config.Datacenter === "string" ? config.Datacenter : undefined,
        Domain: typeof config.Domain === "string" ? config.Domain : undefined,
      };
    },
    describeKv: (key, q) => `GET ${kvPath(key, q)}`,
    async kvGet(key, q, signal) {
      const path = kvPath(key, q);
      const rsp = await send(path, false, signal);
      const index = rsp.headers.get("x-consul-index") ?? undefined;
      if (rsp.status === 404) return { value: null, index };
      const text = rsp.text;
      if (rsp.status !== 200) {
        throw new ConsulApiError(rsp.status, `${rsp.status} from ${path}: ${text.slice(0, 200)}`);
      }
      return { value: text, index };
    },
    close() {},
  };
}
