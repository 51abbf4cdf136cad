/**
 * `/metrics`: the registry in native Prometheus form (text format 0.0.4, which every Prometheus
 * and `promtool check metrics` reads), with `switchyard_`-prefixed snake_case names, labels instead
 * of path elements, and real histograms:
 *
 * | metrics.json key | native sample |
 * |---|---|
 * | `rt/outgoing/service/svc/world/requests` | `switchyard_service_requests_total{router="outgoing",service="/svc/world"}` |
 * | `rt/outgoing/client/<id>/success` | `switchyard_client_success_total{router=…,client="/<id>"}` |
 * | `rt/outgoing/client/<id>/service/<svc>/…` | `switchyard_client_service_…{router,client,service}` |
 * | `rt/outgoing/client/<id>/endpoint/<addr>/…` | `switchyard_endpoint_…{router,client,endpoint}` |
 * | `rt/incoming/server/127.0.0.1/4141/…` | `switchyard_server_…{router,server="127.0.0.1:4141"}` |
 * | `…/failures/<reason>` | `…_failures_by_reason_total{…,reason="<reason>"}` |
 * | `…/status/503`, `…/status/error` | `…_responses_total{…,status_code="503"}` |
 * | `…/status/5XX` | `…_responses_by_class_total{…,status_class="5XX"}` |
 * | `…/success`, `…/failures` | also `…_requests_by_classification_total{…,classification="success"}` / `"failure"` |
 * | `…/request_latency_ms` | `…_request_latency_seconds_bucket{…,le="0.005"}`, `_sum`, `_count` |
 * | `process/uptime`, `process/rss_bytes` | `switchyard_process_uptime_seconds`, `switchyard_process_rss_bytes` |
 * | `switchyard/config_reload_failures` | `switchyard_config_reload_failures_total` |
 *
 * Latency is recorded in ms and exported in seconds (`le` = the ms bounds / 1000), because
 * Prometheus' conventions, and promtool's lint, want base units: a `_ms` name fails
 * `promtool check metrics`. Bucket counts, `_sum` and `_count` are cumulative since start.
 * Failures by reason and status codes get their own families, so `sum()` over a family never
 * double-counts. `jvm/*` (a linkerd-viz alias) is not repeated here.
 *
 * @module
 */
import type { MetricEntry, MetricsRegistry } from "./registry.ts";
import { Families, helpFor, type Labels, readValue } from "./_prom_text.ts";
import { type ParsedScope, parseScope, type ScopeKind } from "./scope.ts";

const FAMILY: Record<ScopeKind, string> = {
  server: "switchyard_server",
  service: "switchyard_service",
  client: "switchyard_client",
  clientService: "switchyard_client_service",
  endpoint: "switchyard_endpoint",
  router: "switchyard_router",
  other: "switchyard",
};

/**
 * Renders every metric in native Prometheus form.
 *
 * @param registry The registry.
 * @returns Exposition text (format 0.0.4).
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { renderNativePrometheus } from "./prometheus_native.ts";
 * const registry = createRegistry({ processStats: false });
 * registry.counter(["rt", "outgoing", "service", "svc/world"], "requests").incr();
 * renderNativePrometheus(registry); // …switchyard_service_requests_total{router="outgoing",service="/svc/world"} 1
 * ```
 */
export function renderNativePrometheus(registry: MetricsRegistry): string {
  const families = new Families(",");
  for (const e of registry.entries()) addEntry(families, e);
  return families.render();
}

/**
 * The `/metrics` response.
 *
 * @param registry The registry.
 * @returns A `text/plain; version=0.0.4` response.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { nativePrometheusResponse } from "./prometheus_native.ts";
 * const res = nativePrometheusResponse(createRegistry());
 * ```
 */
export function nativePrometheusResponse(registry: MetricsRegistry): Response {
  return new Response(renderNativePrometheus(registry), {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
  });
}

function addEntry(families: Families, e: MetricEntry): void {
  const p = parseScope(e.path);
  if (p.kind === "other" && p.rest[0] === "jvm") return;
  const labels = scopeLabels(p);
  const body = families.labels(labels);
  const base = FAMILY[p.kind];
  // Switchyard's own `switchyard/…` stats (config reloads, upstream pool) are already
  // `switchyard_`-prefixed: `switchyard_config_reload_failures_total`, not `switchyard_switchyard_…`.
  const rest = p.kind === "other" && p.rest[0] === "switchyard" ? p.rest.slice(1) : p.rest;
  const m = e.metric;
  const [head, arg] = rest;
  if (m.kind === "counter" && rest.length === 2 && arg !== undefined) {
    if (head === "failures") {
      const name = `${base}_failures_by_reason_total`;
      const reason = families.labels([["reason", arg]]);
      families.add(name, counter("Failures by reason."), name, body, m.value, reason);
      return;
    }
    if (head === "status" && (/^\d{3}$/.test(arg) || arg === "error")) {
      const name = `${base}_responses_total`;
      const help = "Responses by HTTP status code (error: no response).";
      families.add(name, counter(help), name, body, m.value, `status_code="${arg}"`);
      return;
    }
    if (head === "status" && /^\dXX$/.test(arg)) {
      const name = `${base}_responses_by_class_total`;
      const help = "Responses by HTTP status class.";
      families.add(name, counter(help), name, body, m.value, `status_class="${arg}"`);
      return;
    }
  }
  if (m.kind === "counter" && rest.length === 1 && (head === "success" || head === "failures")) {
    // Issue 4's `classification` label: the classifier's verdict as one family (beside the
    // `_success_total` / `_failures_total` ones), so `sum by (classification)` works.
    const name = `${base}_requests_by_classification_total`;
    const help = "Requests by the response classifier's verdict.";
    const cls = head === "success" ? "success" : "failure";
    families.add(name, counter(help), name, body, m.value, `classification="${cls}"`);
  }
  const { name, divisor } = unitName(`${base}_${snake(rest)}`);
  const help = convertHelp(helpFor(rest, name), divisor);
  if (m.kind === "histogram") {
    const b = m.buckets();
    const meta = { type: "histogram", help } as const;
    const bucket = `${name}_bucket`;
    b.le.forEach((le, i) => {
      families.add(name, meta, bucket, body, b.counts[i] as number, `le="${le / divisor}"`);
    });
    families.add(name, meta, bucket, body, b.count, 'le="+Inf"');
    families.add(name, meta, `${name}_sum`, body, b.sum / divisor);
    families.add(name, meta, `${name}_count`, body, b.count);
    return;
  }
  const v = readValue(m);
  if (v === undefined) return;
  if (m.kind === "counter") {
    const total = name.endsWith("_total") ? name : `${name}_total`;
    // a `_ms` counter (failure accrual's `removed_for_ms`) is exported in seconds too
    families.add(total, counter(help), total, body, v / divisor);
  } else {
    families.add(name, { type: "gauge", help }, name, body, v / divisor);
  }
}

function counter(help: string): { type: "counter"; help: string } {
  return { type: "counter", help } as const;
}

function scopeLabels(p: ParsedScope): Labels {
  const labels: [string, string][] = [];
  if (p.router !== undefined) labels.push(["router", p.router]);
  if (p.server !== undefined) labels.push(["server", hostPort(p.server)]);
  if (p.client !== undefined) labels.push(["client", `/${p.client}`]);
  if (p.service !== undefined) labels.push(["service", `/${p.service}`]);
  if (p.endpoint !== undefined) labels.push(["endpoint", p.endpoint]);
  return labels;
}

/** Linkerd's `ip/port` server element as `ip:port` (`[v6]:port`). */
function hostPort(server: string): string {
  const i = server.lastIndexOf("/");
  if (i < 0) return server;
  const host = server.slice(0, i);
  return `${host.includes(":") ? `[${host}]` : host}:${server.slice(i + 1)}`;
}

/** `_ms` / `_us` names become `_seconds`, with the divisor that converts their values. */
function unitName(name: string): { name: string; divisor: number } {
  if (name === "switchyard_process_uptime") return { name: `${name}_seconds`, divisor: 1000 };
  if (name.endsWith("_ms")) return { name: `${name.slice(0, -3)}_seconds`, divisor: 1000 };
  if (name.endsWith("_us")) return { name: `${name.slice(0, -3)}_seconds`, divisor: 1e6 };
  return { name, divisor: 1 };
}

function convertHelp(help: string, divisor: number): string {
  return divisor === 1 ? help : help.replace(/milli|micro/, "").replace(/seconds?\b/, "seconds");
}

/** Name parts → snake_case: camelCase split, lowercased, anything else → `_`. */
function snake(parts: readonly string[]): string {
  return parts.join("_")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
}
