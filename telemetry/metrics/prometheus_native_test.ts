import { assert, assertEquals } from "./_assert.ts";
import { nativePrometheusResponse, renderNativePrometheus } from "./prometheus_native.ts";
import { createRegistry } from "./registry.ts";
import { fixture } from "./_fixture.ts";

const CL = 'router="outgoing",client="/#/io.l5d.fs/world"';

function samples(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

Deno.test("renderNativePrometheus() uses switchyard_ names and router/service/client/server/endpoint labels", () => {
  const lines = samples(renderNativePrometheus(fixture().registry));
  for (
    const want of [
      'switchyard_service_requests_total{router="outgoing",service="/svc/world"} 3',
      `switchyard_client_success_total{${CL}} 2`,
      `switchyard_client_failures_total{${CL}} 1`,
      `switchyard_client_requests_by_classification_total{${CL},classification="success"} 2`,
      `switchyard_client_requests_by_classification_total{${CL},classification="failure"} 1`,
      `switchyard_client_failures_by_reason_total{${CL},reason="ConnectFailed"} 1`,
      `switchyard_client_responses_total{${CL},status_code="503"} 1`,
      `switchyard_client_responses_by_class_total{${CL},status_class="2XX"} 2`,
      `switchyard_client_service_requests_total{${CL},service="/svc/world"} 3`,
      `switchyard_endpoint_requests_total{${CL},endpoint="127.0.0.1:7778"} 3`,
      'switchyard_server_requests_total{router="incoming",server="127.0.0.1:4141"} 3',
      'switchyard_server_connections{router="incoming",server="127.0.0.1:4141"} 2',
      `switchyard_client_pending{${CL}} 0`,
    ]
  ) assert(lines.includes(want), `missing: ${want}`);
});

Deno.test("renderNativePrometheus() writes real cumulative histograms in seconds", () => {
  const f = fixture();
  f.client.latency.add(0.5);
  f.client.latency.add(30);
  f.client.latency.add(20_000);
  const text = renderNativePrometheus(f.registry);
  const lat = samples(text).filter((l) =>
    l.startsWith("switchyard_client_request_latency_seconds")
  );
  const le = [
    "0.001",
    "0.002",
    "0.005",
    "0.01",
    "0.025",
    "0.05",
    "0.1",
    "0.25",
    "0.5",
    "1",
    "2.5",
    "5",
    "10",
  ];
  const counts = [1, 1, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5];
  assertEquals(lat, [
    ...le.map((b, i) =>
      `switchyard_client_request_latency_seconds_bucket{${CL},le="${b}"} ${counts[i]}`
    ),
    `switchyard_client_request_latency_seconds_bucket{${CL},le="+Inf"} 6`,
    `switchyard_client_request_latency_seconds_sum{${CL}} 20.0425`,
    `switchyard_client_request_latency_seconds_count{${CL}} 6`,
  ]);
  assert(text.includes(
    "# HELP switchyard_client_request_latency_seconds Request latency in seconds.\n" +
      "# TYPE switchyard_client_request_latency_seconds histogram\n",
  ));
});

Deno.test("renderNativePrometheus() writes each family once with HELP and TYPE", () => {
  const text = renderNativePrometheus(fixture().registry);
  const types = text.split("\n").filter((l) => l.startsWith("# TYPE "));
  const names = types.map((l) => l.split(" ")[2]);
  assertEquals(names.length, new Set(names).size);
  assert(types.includes("# TYPE switchyard_service_requests_total counter"));
  assert(types.includes("# TYPE switchyard_client_pending gauge"));
  let family = "";
  for (const l of text.trimEnd().split("\n")) {
    if (l.startsWith("# TYPE ")) family = l.split(" ")[2] as string;
    if (l.startsWith("#")) continue;
    const name = l.split(/[{ ]/)[0] as string;
    assert([family, `${family}_bucket`, `${family}_sum`, `${family}_count`].includes(name), l);
  }
});

Deno.test("renderNativePrometheus() converts process stats and skips the jvm alias", () => {
  const lines = samples(renderNativePrometheus(createRegistry()));
  assert(lines.some((l) => /^switchyard_process_uptime_seconds \d/.test(l)), lines.join("\n"));
  assert(lines.some((l) => /^switchyard_process_rss_bytes \d+$/.test(l)));
  assert(lines.some((l) => /^switchyard_process_heap_used_bytes \d+$/.test(l)));
  assert(!lines.some((l) => l.includes("jvm")));
});

Deno.test("renderNativePrometheus() snake-cases other names and converts ms gauges and counters", () => {
  const registry = createRegistry({ processStats: false });
  registry.counter(["rt", "out", "client", "#/a"], "loadBalancer/p2c-picks").incr();
  registry.counter(["rt", "out", "client", "#/a"], "failure_accrual/removed_for_ms").incr(5000);
  registry.counter(["rt", "out"], "retries/total").incr(3);
  registry.gauge(["rt", "out", "server", "::1", "80"], "handletime_us").set(2500);
  registry.gauge(["rt", "out", "service", "svc/a"], "budget_ms").set(1500);
  assertEquals(samples(renderNativePrometheus(registry)), [
    'switchyard_client_failure_accrual_removed_for_seconds_total{router="out",client="/#/a"} 5',
    'switchyard_client_load_balancer_p2c_picks_total{router="out",client="/#/a"} 1',
    'switchyard_router_retries_total{router="out"} 3',
    'switchyard_server_handletime_seconds{router="out",server="[::1]:80"} 0.0025',
    'switchyard_service_budget_seconds{router="out",service="/svc/a"} 1.5',
  ]);
});

Deno.test("renderNativePrometheus() keeps one switchyard_ prefix on switchyard/* stats", () => {
  const registry = createRegistry({ processStats: false });
  registry.counter(["switchyard"], "config_reload_failures").incr();
  registry.counter(["switchyard"], "config_reloads").incr(2);
  registry.gauge(["switchyard"], "config_loaded_at_ms").set(1500);
  registry.gauge(["switchyard", "upstream_connections"], "open").set(3);
  assertEquals(samples(renderNativePrometheus(registry)), [
    "switchyard_config_loaded_at_seconds 1.5",
    "switchyard_config_reload_failures_total 1",
    "switchyard_config_reloads_total 2",
    "switchyard_upstream_connections_open 3",
  ]);
});

Deno.test("nativePrometheusResponse() is text format 0.0.4", async () => {
  const res = nativePrometheusResponse(createRegistry({ processStats: false }));
  assertEquals(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assertEquals(await res.text(), "");
});
