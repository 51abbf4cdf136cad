/**
 * `/admin/metrics/prometheus` in the shape of Linkerd 1's `io.l5d.prometheus` telemeter
 * (linkerd1.md §6, L1 `PrometheusTelemeter.scala`), so linkerd-viz queries work unchanged:
 *
 * - the metric tree flattened with `:`; characters outside `[a-zA-Z0-9:]` become `_`;
 * - `rt/<r>` → `rt="<r>"`; `rt/<r>/{service,client,server}/<id>` → a `service=`/`client=`/
 *   `server=` label (`server="127.0.0.1/4141"`); `client/<id>/service/<path>` →
 *   `rt:client:service:*` with `service=`; Switchyard's `client/<id>/endpoint/<addr>` →
 *   `rt:client:endpoint:*` with `endpoint=`; `failures/<exn>` → `…:failures{…, exception="<exn>"}`;
 * - labels joined by `", "`, values escaped (`\`, `"`, newline);
 * - `<stack>/failures/<a>/<b>` → `…:failures{…, exception="a:b"}` and `<stack>/exn/<e>` →
 *   `…:exceptions{…, exception="e"}` for server, service and client stacks (PrometheusTelemeterTest);
 * - a histogram `h` → `h{quantile="0"|"0.5"|"0.9"|"0.95"|"0.99"|"0.999"|"0.9999"|"1"}` over the
 *   sliding window, as whole numbers as Linkerd's, `h_count` and `h_sum` since start (monotonic,
 *   so `rate()` works; Linkerd's were per snapshot) and `h_avg` over the window; a histogram
 *   that never recorded a value is not written;
 * - gauges and `_avg` as Java doubles (`1.0`, `1.5`), counters as integers, as Linkerd prints them;
 * - `prefix` (Linkerd's option, default none) is prepended to every name.
 *
 * Beyond Linkerd, every family gets `# HELP`/`# TYPE` lines (counters `untyped` as Linkerd's
 * names lack `_total`, gauges `gauge`, histograms `summary` plus a `gauge` `_avg`), which
 * Prometheus and linkerd-viz ignore and `promtool check metrics` needs. promtool still lints the
 * Linkerd names themselves (`:` is reserved, `_ms` is an abbreviated unit); those names are the
 * compatibility contract, so they stay.
 *
 * @module
 */
import type { MetricEntry, MetricsRegistry } from "./registry.ts";
import { Families, formatJavaDouble, helpFor, readValue, round3 } from "./_prom_text.ts";
import { parseScope, SCOPE_LEVELS } from "./scope.ts";

/** Options of the `io.l5d.prometheus` rendering. */
export interface LinkerdPrometheusOptions {
  /** Prepended to every metric name (Linkerd's `prefix`), e.g. `linkerd_`. Default none. */
  readonly prefix?: string;
}

const QUANTILES = [
  ['quantile="0"', "min"],
  ['quantile="0.5"', "p50"],
  ['quantile="0.9"', "p90"],
  ['quantile="0.95"', "p95"],
  ['quantile="0.99"', "p99"],
  ['quantile="0.999"', "p9990"],
  ['quantile="0.9999"', "p9999"],
  ['quantile="1"', "max"],
] as const;

/**
 * Renders every metric in Linkerd's Prometheus shape.
 *
 * @param registry The registry.
 * @param options `prefix`.
 * @returns Exposition text (format 0.0.4).
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { renderLinkerdPrometheus } from "./prometheus.ts";
 * const registry = createRegistry({ processStats: false });
 * registry.counter(["rt", "outgoing", "service", "svc/world"], "requests").incr();
 * renderLinkerdPrometheus(registry); // …rt:service:requests{rt="outgoing", service="svc/world"} 1
 * ```
 */
export function renderLinkerdPrometheus(
  registry: MetricsRegistry,
  options: LinkerdPrometheusOptions = {},
): string {
  const families = new Families(", ");
  for (const e of registry.entries()) addEntry(families, e, options.prefix ?? "");
  return families.render();
}

/**
 * The `/admin/metrics/prometheus` response.
 *
 * @param registry The registry.
 * @param options `prefix`.
 * @returns A `text/plain` response.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { linkerdPrometheusResponse } from "./prometheus.ts";
 * const res = linkerdPrometheusResponse(createRegistry());
 * ```
 */
export function linkerdPrometheusResponse(
  registry: MetricsRegistry,
  options: LinkerdPrometheusOptions = {},
): Response {
  return new Response(renderLinkerdPrometheus(registry, options), {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
  });
}

function addEntry(families: Families, e: MetricEntry, prefix: string): void {
  const p = parseScope(e.path);
  const labels: [string, string][] = [];
  if (p.router !== undefined) labels.push(["rt", p.router]);
  if (p.server !== undefined) labels.push(["server", p.server]);
  if (p.client !== undefined) labels.push(["client", p.client]);
  if (p.service !== undefined) labels.push(["service", p.service]);
  if (p.endpoint !== undefined) labels.push(["endpoint", p.endpoint]);
  let rest = p.rest;
  const head = rest[0];
  if (
    rest.length >= 2 && (head === "failures" || head === "exn") &&
    (p.kind === "server" || p.kind === "service" || p.kind === "client")
  ) {
    // Linkerd: `<stack>/failures/a/b` → `failures{exception="a:b"}`, `exn/x` → `exceptions`.
    labels.push(["exception", rest.slice(1).join(":")]);
    rest = [head === "exn" ? "exceptions" : "failures"];
  } else if (rest.length >= 2 && rest[rest.length - 2] === "failures") {
    labels.push(["exception", rest[rest.length - 1] as string]);
    rest = rest.slice(0, -1);
  }
  const body = families.labels(labels);
  const name = escapeName(prefix + [...SCOPE_LEVELS[p.kind], ...rest].join(":"));
  const help = helpFor(p.rest, name);
  const m = e.metric;
  if (m.kind === "histogram") {
    addHistogram(families, name, help, body, m);
    return;
  }
  const v = readValue(m);
  if (v === undefined) return;
  if (m.kind === "gauge") {
    families.add(name, { type: "gauge", help }, name, body, formatJavaDouble(v));
  } else families.add(name, { type: "untyped", help }, name, body, v);
}

function addHistogram(
  families: Families,
  name: string,
  help: string,
  labels: string,
  h: Extract<MetricEntry["metric"], { kind: "histogram" }>,
): void {
  if (h.totalCount === 0) return; // Linkerd prints no histogram before its first value
  const s = h.snapshot();
  const meta = { type: "summary", help } as const;
  for (const [q, field] of QUANTILES) {
    families.add(name, meta, name, labels, Math.round(s[field]), q);
  }
  families.add(name, meta, `${name}_count`, labels, h.totalCount);
  families.add(name, meta, `${name}_sum`, labels, round3(h.totalSum));
  families.add(
    `${name}_avg`,
    { type: "gauge", help: `${help} Mean over the sliding window.` },
    `${name}_avg`,
    labels,
    formatJavaDouble(round3(s.avg)),
  );
}

function escapeName(key: string): string {
  const k = key.replace(/[^a-zA-Z0-9:]/g, "_");
  return /^[0-9]/.test(k) ? `_${k}` : k;
}
