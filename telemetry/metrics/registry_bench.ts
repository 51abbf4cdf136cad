/**
 * Cost of recording, and of rendering. Run: `npx deno bench telemetry/metrics/registry_bench.ts`.
 *
 * The request path touches only handles resolved at build time; the lookup bench is there for
 * contrast (it is what a per-request label lookup would cost).
 */
import { createRegistry } from "./registry.ts";
import { scopeStats } from "./request_stats.ts";
import { clientScope, endpointScope, serverScope, serviceScope } from "./scope.ts";
import { flatMetrics } from "./metrics_json.ts";
import { renderLinkerdPrometheus } from "./prometheus.ts";
import { renderNativePrometheus } from "./prometheus_native.ts";

const registry = createRegistry();
const svc = serviceScope("outgoing", "/svc/world");
const counter = registry.counter(svc, "requests");
const gauge = registry.gauge(svc, "pending");
const histogram = registry.histogram(svc, "request_latency_ms");
const server = scopeStats(registry, serverScope("incoming", "127.0.0.1", 4141));
const service = scopeStats(registry, svc);
const client = scopeStats(registry, clientScope("outgoing", "/#/io.l5d.fs/world"));
const endpoint = scopeStats(
  registry,
  endpointScope("outgoing", "/#/io.l5d.fs/world", "127.0.0.1:7778"),
);

// Latencies spread over 0.1 ms … 2 s, so the sketch's bins and the bucket scan see real variety.
const LAT = Float64Array.from({ length: 4096 }, (_, i) => 0.1 * Math.pow(1.0024, i));
let i = 0;
const next = () => LAT[i = (i + 1) & 4095] as number;

Deno.bench({ name: "counter.incr()", group: "record", baseline: true }, () => {
  counter.incr();
});

Deno.bench({ name: "gauge.incr() + gauge.decr()", group: "record" }, () => {
  gauge.incr();
  gauge.decr();
});

Deno.bench({ name: "histogram.add(ms) (reads the clock)", group: "record" }, () => {
  histogram.add(next());
});

let at = 0;
Deno.bench({ name: "histogram.add(ms, at) (caller's clock reading)", group: "record" }, () => {
  histogram.add(next(), at += 0.001);
});

Deno.bench({ name: "clock.mono() alone (performance.now)", group: "record" }, () => {
  registry.clock.mono();
});

Deno.bench(
  { name: "record one request: recordSuccess(ms, 200) + pending", group: "record" },
  () => {
    service.pending.incr();
    service.recordSuccess(next(), 200);
    service.pending.decr();
  },
);

Deno.bench({
  name: "record one request: recordFailure(ms, 503, reason) + pending",
  group: "record",
}, () => {
  client.pending.incr();
  client.recordFailure(next(), 503, "ConnectFailed");
  client.pending.decr();
});

Deno.bench(
  { name: "record one request: begin() + endSuccess(start, 200)", group: "record" },
  () => {
    service.endSuccess(service.begin(), 200);
  },
);

Deno.bench(
  { name: "one proxied request, 4 levels: begin() + endSuccess() each", group: "record" },
  () => {
    const t0 = server.begin();
    const t1 = service.begin();
    const t2 = client.begin();
    const t3 = endpoint.begin();
    endpoint.endSuccess(t3, 200);
    client.endSuccess(t2, 200);
    service.endSuccess(t1, 200);
    server.endSuccess(t0, 200);
  },
);

Deno.bench(
  { name: "registry.counter(scope, name) lookup (build time only)", group: "record" },
  () => {
    registry.counter(svc, "requests");
  },
);

// A scrape of a node with 100 services, each with a client and 3 endpoints, all with traffic.
const big = createRegistry();
for (let s = 0; s < 100; s++) {
  const id = `/#/io.l5d.k8s/default/http/svc-${s}`;
  const all = [
    scopeStats(big, serviceScope("outgoing", `/svc/svc-${s}`)),
    scopeStats(big, clientScope("outgoing", id)),
    ...[0, 1, 2].map((e) => scopeStats(big, endpointScope("outgoing", id, `10.0.0.${e}:8080`))),
  ];
  for (let k = 0; k < 200; k++) for (const st of all) st.recordSuccess(next(), k % 50 ? 200 : 503);
}

Deno.bench({ name: `histogram.snapshot() (6 slices)`, group: "render" }, () => {
  histogram.snapshot();
});

Deno.bench(
  { name: `metrics.json flat, 100 services (${big.size} metrics)`, group: "render" },
  () => {
    flatMetrics(big);
  },
);

Deno.bench({ name: "io.l5d.prometheus, 100 services", group: "render" }, () => {
  renderLinkerdPrometheus(big);
});

Deno.bench({ name: "native /metrics, 100 services", group: "render" }, () => {
  renderNativePrometheus(big);
});
