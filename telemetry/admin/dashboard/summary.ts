/**
 * `/admin/api/summary.json`: the metrics registry grouped the way the dashboard draws it — per
 * router its servers (listeners), services (logical names), clients (bound names) and each
 * client's endpoints — plus the TOP LINE (all listeners together) and process stats.
 *
 * Why a summary and not `/admin/metrics.json`: the dashboard polls every second, and with 100
 * services the flat map holds ~10k keys (every histogram's eleven fields on every scope), most of
 * which the page never shows; here each scope is one object with its counters and gauges by
 * relative name and one latency summary, about a tenth of the bytes. The scope grammar is parsed
 * once, server-side, by the same `parseScope` the Prometheus renderers use, so the page does no
 * key parsing. Counters are cumulative and carry the registry's monotonic time `t`; the page turns
 * consecutive polls into rates, so the server keeps no per-viewer state and any number of tabs
 * can poll.
 *
 * Only the routers and listeners now serving are shown when the caller says which they are: a
 * router a config reload removed, or a listener it moved, keeps its metrics in the registry
 * (counters never go back), but the listener is closed, so the dashboard must not show it as live
 * (nor count it in the TOP LINE).
 *
 * Every counter and gauge of a scope is passed through under its relative name (`requests`,
 * `status/5XX`, `retries/total`, `loadbalancer/available`, `failure_accrual/dead`,
 * `outstanding`, …), so a metric another module registers later shows up without a change here.
 *
 * @module
 */
import { type MetricsRegistry, parseScope } from "../../metrics/mod.ts";
import type { HistogramSnapshot } from "../../metrics/mod.ts";
import { type LatencyQuantiles, mixQuantiles } from "./latency_mix.ts";

/** Counters and gauges of one scope by relative name, and its latency window. */
export interface ScopeSummary {
  /** `requests`, `success`, `status/2XX`, `pending`, `loadbalancer/size`, … → value. */
  readonly m: Record<string, number>;
  /** The `request_latency_ms` window (absent when the scope has none). */
  readonly lat?: LatencyQuantiles;
}

/** A router's listener. */
export interface ServerSummary extends ScopeSummary {
  /** `ip/port`, as in the metric scope. */
  readonly addr: string;
}

/** A logical name (`rt/<router>/service/<name>`). */
export interface ServiceSummary extends ScopeSummary {
  /** The name without its leading `/`, e.g. `svc/world`. */
  readonly name: string;
  /** Client ids seen serving it (from `client/<id>/service/<name>` scopes, when recorded). */
  readonly clients: readonly string[];
}

/** One instance of a client. */
export interface EndpointSummary extends ScopeSummary {
  /** `host:port`. */
  readonly addr: string;
}

/** A bound client (`rt/<router>/client/<id>`). */
export interface ClientSummary extends ScopeSummary {
  /** The id without its leading `/`, e.g. `#/io.l5d.fs/world`. */
  readonly id: string;
  /** Its endpoints, by address. */
  readonly endpoints: readonly EndpointSummary[];
}

/** Everything the dashboard shows of one router. */
export interface RouterSummary {
  /** The router label. */
  readonly label: string;
  /** Listeners in registration (config) order. */
  readonly servers: readonly ServerSummary[];
  /** Logical names, sorted. */
  readonly services: readonly ServiceSummary[];
  /** Bound clients, sorted. */
  readonly clients: readonly ClientSummary[];
}

/** A router now serving: its label and, when known, its listeners as `ip/port`. */
export interface LiveRouter {
  readonly label: string;
  readonly servers?: readonly string[];
}

/** All listeners together. */
export interface TopLine {
  readonly requests: number;
  readonly success: number;
  readonly failures: number;
  /** Responses with a 4xx status. */
  readonly status4XX: number;
  /** Responses with a 5xx status. */
  readonly status5XX: number;
  /** Requests in flight. */
  readonly pending: number;
  /** Open connections, when the listeners count them. */
  readonly connections: number;
  /** The listeners' latency windows mixed (exact with one listener). */
  readonly lat: LatencyQuantiles;
}

/** The whole summary. */
export interface DashboardSummary {
  /** The registry clock's monotonic ms when the summary was taken (for rates). */
  readonly t: number;
  /** Process gauges (`process/uptime`, `process/rss_bytes`, …) by name without `process/`. */
  readonly process: Record<string, number>;
  /** Process-wide Switchyard stats (`switchyard/config_reloads`, …) by name without `switchyard/`. */
  readonly switchyard: Record<string, number>;
  readonly top: TopLine;
  readonly routers: readonly RouterSummary[];
}

interface MutableScope {
  m: Record<string, number>;
  snap?: HistogramSnapshot;
}

interface MutableRouter {
  servers: Map<string, MutableScope>;
  services: Map<string, MutableScope & { clients: Set<string> }>;
  clients: Map<string, MutableScope & { endpoints: Map<string, MutableScope> }>;
}

const LATENCY = "request_latency_ms";

function readValue(m: { readonly value: number }): number | undefined {
  try {
    const v = m.value;
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined; // a computed gauge that throws is left out, as metrics.json does
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function latency(s: HistogramSnapshot): LatencyQuantiles {
  return {
    count: s.count,
    p50: round(s.p50),
    p95: round(s.p95),
    p99: round(s.p99),
    max: round(s.max),
  };
}

function finish(s: MutableScope): ScopeSummary {
  return s.snap === undefined ? { m: s.m } : { m: s.m, lat: latency(s.snap) };
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, v = make());
  return v;
}

function byKey<T>(map: Map<string, T>): [string, T][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function sum(list: readonly ScopeSummary[], name: string): number {
  return list.reduce((a, s) => a + (s.m[name] ?? 0), 0);
}

/**
 * Groups the registry for the dashboard (see the module doc).
 *
 * @param registry The process's metrics registry.
 * @param live The routers now serving, label → their listeners (`ip/port`; undefined: all of
 *   its listeners); other routers and listeners are left out (default: all).
 * @returns The summary, JSON-serialisable.
 * @example
 * ```ts
 * import { createRegistry, scopeStats, serviceScope } from "../../metrics/mod.ts";
 * import { summarize } from "./summary.ts";
 * const registry = createRegistry();
 * scopeStats(registry, serviceScope("outgoing", "/svc/world")).recordSuccess(3, 200);
 * summarize(registry).routers[0]?.services[0]?.m.requests; // 1
 * ```
 */
export function summarize(
  registry: MetricsRegistry,
  live?: ReadonlyMap<string, ReadonlySet<string> | undefined>,
): DashboardSummary {
  const routers = new Map<string, MutableRouter>();
  const process: Record<string, number> = {};
  const switchyard: Record<string, number> = {};
  const newScope = (): MutableScope => ({ m: {} });
  for (const e of registry.entries()) {
    const p = parseScope(e.path);
    if (p.kind === "other") {
      const into = e.path[0] === "process"
        ? process
        : e.path[0] === "switchyard"
        ? switchyard
        : undefined;
      if (into !== undefined && e.metric.kind !== "histogram") {
        const v = readValue(e.metric);
        if (v !== undefined) into[e.path.slice(1).join("/")] = v;
      }
      continue;
    }
    if (p.router === undefined || p.kind === "router") continue;
    if (live !== undefined && !live.has(p.router)) continue;
    const r = getOr(routers, p.router, () => ({
      servers: new Map(),
      services: new Map(),
      clients: new Map(),
    }));
    let target: MutableScope;
    switch (p.kind) {
      case "server": {
        const servers = live?.get(p.router);
        if (servers !== undefined && !servers.has(p.server as string)) continue;
        target = getOr(r.servers, p.server as string, newScope);
        break;
      }
      case "service":
        target = getOr(r.services, p.service as string, () => ({ m: {}, clients: new Set() }));
        break;
      case "client":
        target = getOr(r.clients, p.client as string, () => ({ m: {}, endpoints: new Map() }));
        break;
      case "endpoint": {
        const c = getOr(r.clients, p.client as string, () => ({ m: {}, endpoints: new Map() }));
        target = getOr(c.endpoints, p.endpoint as string, newScope);
        break;
      }
      case "clientService": {
        getOr(r.clients, p.client as string, () => ({ m: {}, endpoints: new Map() }));
        const s = getOr(r.services, p.service as string, () => ({ m: {}, clients: new Set() }));
        s.clients.add(p.client as string);
        continue; // its stats repeat the client's, split by name; the page shows the link only
      }
    }
    const name = p.rest.join("/");
    if (e.metric.kind === "histogram") {
      if (name === LATENCY) target.snap = e.metric.snapshot();
      continue;
    }
    const v = readValue(e.metric);
    if (v !== undefined) target.m[name] = v;
  }

  const out: RouterSummary[] = [];
  const allServers: ServerSummary[] = [];
  const windows: HistogramSnapshot[] = [];
  for (const [label, r] of routers) {
    const servers = [...r.servers].map(([addr, s]) => ({ addr, ...finish(s) }));
    for (const s of r.servers.values()) if (s.snap) windows.push(s.snap);
    allServers.push(...servers);
    out.push({
      label,
      servers,
      services: byKey(r.services).map(([name, s]) => ({
        name,
        ...finish(s),
        clients: [...s.clients].sort(),
      })),
      clients: byKey(r.clients).map(([id, c]) => ({
        id,
        ...finish(c),
        endpoints: byKey(c.endpoints).map(([addr, ep]) => ({ addr, ...finish(ep) })),
      })),
    });
  }
  const mixed = mixQuantiles(windows);
  return {
    t: round(registry.clock.mono()),
    process,
    switchyard,
    top: {
      requests: sum(allServers, "requests"),
      success: sum(allServers, "success"),
      failures: sum(allServers, "failures"),
      status4XX: sum(allServers, "status/4XX"),
      status5XX: sum(allServers, "status/5XX"),
      pending: sum(allServers, "pending"),
      connections: sum(allServers, "connections"),
      lat: {
        count: mixed.count,
        p50: round(mixed.p50),
        p95: round(mixed.p95),
        p99: round(mixed.p99),
        max: round(mixed.max),
      },
    },
    routers: out,
  };
}
