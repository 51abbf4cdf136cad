/**
 * Metrics: a registry of counters, gauges and sliding-window latency histograms in Linkerd's
 * scopes (server, service, client, client×service and, beyond Linkerd, endpoint), the standard
 * request stats, and three renderings: `/admin/metrics.json`, `/admin/metrics/prometheus`
 * (Linkerd's `io.l5d.prometheus` shape, for linkerd-viz) and `/metrics` (native Prometheus).
 *
 * The registry is owned by the router snapshot or the process and passed in; handles are
 * resolved when a stack is built and recording through them is a field update.
 *
 * @example
 * ```ts
 * import {
 *   clientScope,
 *   createRegistry,
 *   renderLinkerdPrometheus,
 *   renderMetricsJson,
 *   renderNativePrometheus,
 *   scopeStats,
 *   serviceScope,
 * } from "./mod.ts";
 *
 * const registry = createRegistry();
 * // at stack build time
 * const service = scopeStats(registry, serviceScope("outgoing", "/svc/world"));
 * const client = scopeStats(registry, clientScope("outgoing", "/#/io.l5d.fs/world"));
 * // per request
 * client.recordFailure(12.5, 503);
 * service.recordSuccess(20.1, 200);
 * // admin endpoints
 * renderMetricsJson(registry, { tree: true });
 * renderLinkerdPrometheus(registry);
 * renderNativePrometheus(registry);
 * ```
 *
 * @module
 */
export {
  type Counter,
  createRegistry,
  type Gauge,
  type Metric,
  type MetricEntry,
  type MetricsRegistry,
  type RegistryOptions,
} from "./registry.ts";
export {
  createHistogram,
  type CumulativeBuckets,
  DEFAULT_BUCKETS_MS,
  type Histogram,
  type HistogramOptions,
  type HistogramSnapshot,
} from "./histogram.ts";
export {
  clientScope,
  clientServiceScope,
  endpointScope,
  normalizeScope,
  type ParsedScope,
  parseScope,
  type Scope,
  scopeKey,
  type ScopeKind,
  serverScope,
  serviceScope,
} from "./scope.ts";
export {
  computedGauges,
  type GaugeSource,
  type RequestStats,
  scopeStats,
} from "./request_stats.ts";
export {
  type FlatMetrics,
  flatMetrics,
  type MetricsJsonOptions,
  metricsJsonOptions,
  metricsJsonResponse,
  type MetricsJsonResult,
  type MetricsTreeJson,
  renderMetricsJson,
  treeMetrics,
} from "./metrics_json.ts";
export {
  type LinkerdPrometheusOptions,
  linkerdPrometheusResponse,
  renderLinkerdPrometheus,
} from "./prometheus.ts";
export { nativePrometheusResponse, renderNativePrometheus } from "./prometheus_native.ts";
export { formatJavaDouble } from "./_prom_text.ts";
export {
  type HeapTrimmer,
  type HeapTrimOptions,
  startHeapTrimmer,
  v8Collector,
} from "./heap_trim.ts";
export {
  mallocTrim,
  type MallocTrimmer,
  type MallocTrimOptions,
  startMallocTrimmer,
} from "./malloc_trim.ts";
