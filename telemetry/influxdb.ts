/**
 * `io.l5d.influxdb`: the current metrics in InfluxDB line protocol at `/admin/metrics/influxdb`
 * (linkerd1.md §6; L1 `telemetry/influxdb/.../InfluxDbTelemeter.scala`), for Telegraf's `http`
 * / `httpjson`-style scrapers to push into InfluxDB.
 *
 * One line per metric scope: the measurement is the scope's level with the same `:`-joined,
 * label-free names as `/admin/metrics/prometheus` (`rt:server`, `rt:service`, `rt:client`,
 * `rt:client:service`, `rt:client:endpoint`, `rt`, then any deeper parts such as
 * `rt:service:status`), the tags are the Prometheus labels (`rt`, `server`, `client`, `service`,
 * `endpoint`) plus Linkerd's `host` (the scrape request's `Host`, `none` when absent), and the
 * fields are the scope's metrics:
 *
 * ```text
 * rt:service,host=127.0.0.1:9990,rt=outgoing,service=svc/hello requests=10,success=10,request_latency_ms_p50=1,…
 * rt:service:status,host=127.0.0.1:9990,rt=outgoing,service=svc/hello 200=10,2XX=10
 * process,host=127.0.0.1:9990 rss_bytes=5.2436992E7,uptime=1234.0
 * ```
 *
 * Counters and gauges are one field each, gauges written as Java doubles (`1.0`), as Linkerd's
 * `Float.toString`; a histogram `h` is `h_count`, `h_sum` (since start, as in the Prometheus
 * rendering), `h_avg` (a Java double), and, as whole numbers, `h_min`, `h_max`, `h_p50`, `h_p90`,
 * `h_p95`, `h_p99`, `h_p999` (the 99.9th percentile: Linkerd's field name) and `h_p9999` over the
 * sliding window; a histogram with no value yet is left out. Metrics with no scope are the
 * fields of one `root` measurement (Linkerd's `rootPrefix`). Tags and fields are sorted by key,
 * as Linkerd writes them; there is no timestamp (the database stamps the write). Beyond Linkerd,
 * names and values are escaped per the line protocol and non-finite values are left out
 * (InfluxDB rejects them). These are Linkerd's InfluxDbTelemeterTest vectors.
 *
 * @module
 */
import type { MetricEntry, MetricsRegistry } from "./metrics/mod.ts";
import { formatJavaDouble, parseScope } from "./metrics/mod.ts";
import { SCOPE_LEVELS } from "./metrics/scope.ts";

/** The `io.l5d.influxdb` admin path (Linkerd's, not configurable). */
export const INFLUXDB_PATH = "/admin/metrics/influxdb";

/** Options of {@link renderInfluxDb}. */
export interface InfluxDbOptions {
  /** The `host` tag (Linkerd: the scrape request's `Host` header). Default `none`. */
  readonly host?: string;
}

const SUMMARY = [
  ["avg", "avg"],
  ["min", "min"],
  ["max", "max"],
  ["p50", "p50"],
  ["p90", "p90"],
  ["p95", "p95"],
  ["p99", "p99"],
  ["p999", "p9990"],
  ["p9999", "p9999"],
] as const;

/**
 * Renders every metric of a registry as InfluxDB line protocol.
 *
 * @param registry The registry.
 * @param options The `host` tag.
 * @returns One line per measurement and tag set, each ending in `\n` (empty when no metric has
 *   a finite value).
 * @example
 * ```ts
 * import { createRegistry } from "./metrics/mod.ts";
 * import { renderInfluxDb } from "./influxdb.ts";
 * const registry = createRegistry({ processStats: false });
 * registry.counter(["rt", "outgoing", "service", "svc/hello"], "requests").incr(10);
 * renderInfluxDb(registry, { host: "l5d" });
 * // rt:service,host=l5d,rt=outgoing,service=svc/hello requests=10
 * ```
 */
export function renderInfluxDb(registry: MetricsRegistry, options: InfluxDbOptions = {}): string {
  const host = options.host ?? "none";
  // "measurement,tags" → its fields, in the order scopes were first seen.
  const points = new Map<string, [string, number | string][]>();
  for (const e of registry.entries()) addEntry(points, e, host);
  let out = "";
  for (const [series, fields] of points) {
    if (fields.length === 0) continue;
    fields.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out += `${series} ${
      fields.map(([k, v]) => `${escapeKey(k)}=${typeof v === "string" ? v : fieldValue(v)}`)
        .join(",")
    }\n`;
  }
  return out;
}

/**
 * The `/admin/metrics/influxdb` response (`text/plain`); the `host` tag is the request's `Host`.
 *
 * @param registry The registry.
 * @param req The scrape request.
 * @returns The response.
 * @example
 * ```ts
 * import { createRegistry } from "./metrics/mod.ts";
 * import { influxDbResponse } from "./influxdb.ts";
 * const res = influxDbResponse(createRegistry(), new Request("http://l5d:9990/admin/metrics/influxdb"));
 * ```
 */
export function influxDbResponse(registry: MetricsRegistry, req: Request): Response {
  const host = req.headers.get("host") || "none";
  return new Response(renderInfluxDb(registry, { host }), {
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function addEntry(
  points: Map<string, [string, number | string][]>,
  e: MetricEntry,
  host: string,
): void {
  const p = parseScope(e.path);
  const rest = p.rest;
  const parts = [...SCOPE_LEVELS[p.kind], ...rest.slice(0, -1)];
  const field = rest[rest.length - 1] ?? "value";
  // A top-level metric with no scope: a field of Linkerd's `root` measurement.
  if (parts.length === 0) parts.push("root");
  const tags: [string, string][] = [["host", host]];
  if (p.router !== undefined) tags.push(["rt", p.router]);
  if (p.server !== undefined) tags.push(["server", p.server]);
  if (p.client !== undefined) tags.push(["client", p.client]);
  if (p.service !== undefined) tags.push(["service", p.service]);
  if (p.endpoint !== undefined) tags.push(["endpoint", p.endpoint]);
  tags.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let series = escapeMeasurement(parts.join(":"));
  for (const [k, v] of tags) if (v !== "") series += `,${escapeKey(k)}=${escapeKey(v)}`;
  let fields = points.get(series);
  if (fields === undefined) points.set(series, fields = []);
  const m = e.metric;
  if (m.kind !== "histogram") {
    const v = read(m);
    if (v === undefined || !Number.isFinite(v)) return;
    fields.push([field, m.kind === "gauge" ? formatJavaDouble(v) : v]);
    return;
  }
  if (m.totalCount === 0) return; // Linkerd writes no stat before its first value
  const s = m.snapshot();
  fields.push([`${field}_count`, m.totalCount], [`${field}_sum`, round3(m.totalSum)]);
  for (const [suffix, key] of SUMMARY) {
    const v = s[key];
    if (!Number.isFinite(v)) continue;
    fields.push([
      `${field}_${suffix}`,
      suffix === "avg" ? formatJavaDouble(round3(v)) : Math.round(v),
    ]);
  }
}

function read(m: { readonly value: number }): number | undefined {
  try {
    return m.value;
  } catch {
    return undefined;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Escapes a measurement name (line protocol: `,` and space; newlines are not allowed, so they
 * become `\n`).
 *
 * @param name The measurement.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { escapeMeasurement } from "./influxdb.ts";
 * escapeMeasurement("a b,c"); // "a\\ b\\,c"
 * ```
 */
export function escapeMeasurement(name: string): string {
  return name.replace(/[, \\\n\r]/g, escapeChar);
}

/**
 * Escapes a tag key, tag value or field key (line protocol: `,`, `=` and space; a backslash is
 * doubled so a value ending in `\` cannot escape the separator after it).
 *
 * @param key The text.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { escapeKey } from "./influxdb.ts";
 * escapeKey("svc/a b=c,d"); // "svc/a\\ b\\=c\\,d"
 * ```
 */
export function escapeKey(key: string): string {
  return key.replace(/[,= \\\n\r]/g, escapeChar);
}

/**
 * A field value: a number as its shortest decimal form (a float to InfluxDB), a string
 * double-quoted with `"` and `\` escaped, a boolean as `true`/`false`.
 *
 * @param v The value.
 * @returns The line-protocol text.
 * @example
 * ```ts
 * import { fieldValue } from "./influxdb.ts";
 * fieldValue(1.5); // "1.5"
 * fieldValue('say "hi"'); // "\"say \\\"hi\\\"\""
 * ```
 */
export function fieldValue(v: number | string | boolean): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`).replace(/\n/g, "\\n")}"`;
}

function escapeChar(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  return `\\${c}`;
}
