import { assert, assertEquals } from "./_assert.ts";
import { linkerdPrometheusResponse, renderLinkerdPrometheus } from "./prometheus.ts";
import { createRegistry } from "./registry.ts";
import { fixture } from "./_fixture.ts";

const CL = 'rt="outgoing", client="#/io.l5d.fs/world"';

function samples(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

Deno.test("renderLinkerdPrometheus() labels rt, service, client and server like io.l5d.prometheus", () => {
  const lines = samples(renderLinkerdPrometheus(fixture().registry));
  for (
    const want of [
      'rt:service:requests{rt="outgoing", service="svc/world"} 3',
      `rt:client:success{${CL}} 2`,
      'rt:server:requests{rt="incoming", server="127.0.0.1/4141"} 3',
      'rt:server:connections{rt="incoming", server="127.0.0.1/4141"} 2.0',
      `rt:client:service:requests{${CL}, service="svc/world"} 3`,
      `rt:client:endpoint:requests{${CL}, endpoint="127.0.0.1:7778"} 3`,
      `rt:client:status:5XX{${CL}} 1`,
      `rt:client:status:200{${CL}} 2`,
      `rt:client:failures{${CL}} 1`,
      `rt:client:failures{${CL}, exception="ConnectFailed"} 1`,
      'rt:service:pending{rt="outgoing", service="svc/world"} 0.0',
    ]
  ) assert(lines.includes(want), `missing: ${want}`);
});

Deno.test("renderLinkerdPrometheus() writes histograms as _count, _sum, _avg and 8 quantiles", () => {
  const text = renderLinkerdPrometheus(fixture().registry);
  const lat = samples(text).filter((l) => l.startsWith("rt:client:request_latency_ms"));
  assertEquals(lat, [
    `rt:client:request_latency_ms{${CL}, quantile="0"} 4`,
    `rt:client:request_latency_ms{${CL}, quantile="0.5"} 4`,
    `rt:client:request_latency_ms{${CL}, quantile="0.9"} 4`,
    `rt:client:request_latency_ms{${CL}, quantile="0.95"} 4`,
    `rt:client:request_latency_ms{${CL}, quantile="0.99"} 4`,
    `rt:client:request_latency_ms{${CL}, quantile="0.999"} 4`,
    `rt:client:request_latency_ms{${CL}, quantile="0.9999"} 4`,
    `rt:client:request_latency_ms{${CL}, quantile="1"} 4`,
    `rt:client:request_latency_ms_count{${CL}} 3`,
    `rt:client:request_latency_ms_sum{${CL}} 12`,
    `rt:client:request_latency_ms_avg{${CL}} 4.0`,
  ]);
  assert(text.includes("# TYPE rt:client:request_latency_ms summary\n"));
  assert(text.includes("# TYPE rt:client:request_latency_ms_avg gauge\n"));
});

Deno.test("renderLinkerdPrometheus() writes each family once, with HELP and TYPE", () => {
  const text = renderLinkerdPrometheus(fixture().registry);
  const types = text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
  assertEquals(types.length, new Set(types).size);
  assert(
    text.includes(
      "# HELP rt:service:requests Requests completed.\n# TYPE rt:service:requests untyped\n",
    ),
  );
  let family = "";
  const seen = new Set<string>();
  for (const l of text.trimEnd().split("\n")) {
    if (l.startsWith("# TYPE ")) family = l.split(" ")[2] as string;
    if (l.startsWith("#")) continue;
    const name = l.split(/[{ ]/)[0] as string;
    assert(name === family || name === `${family}_count` || name === `${family}_sum`, l);
    seen.add(name);
  }
  assert(seen.size > 20);
});

Deno.test("renderLinkerdPrometheus() escapes names and label values", () => {
  const registry = createRegistry({ processStats: false });
  registry.counter(["rt", "out", "service", 'svc/we"ird\\name\nx'], "loadbalancer/p2c-picks.total")
    .incr(2);
  registry.gauge(["9lives"], "x").set(1);
  const lines = samples(renderLinkerdPrometheus(registry));
  assertEquals(lines, [
    "_9lives:x 1.0",
    'rt:service:loadbalancer:p2c_picks_total{rt="out", service="svc/we\\"ird\\\\name\\nx"} 2',
  ]);
});

Deno.test("renderLinkerdPrometheus() prepends the prefix option", () => {
  const registry = createRegistry({ processStats: false });
  registry.counter(["rt", "out", "client", "#/a"], "requests").incr();
  assertEquals(samples(renderLinkerdPrometheus(registry, { prefix: "linkerd_" })), [
    'linkerd_rt:client:requests{rt="out", client="#/a"} 1',
  ]);
});

Deno.test("renderLinkerdPrometheus() exports jvm:uptime for linkerd-viz's instance count", async () => {
  const res = linkerdPrometheusResponse(createRegistry());
  assertEquals(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const lines = samples(await res.text());
  assert(lines.some((l) => /^jvm:uptime \d+(\.\d+)?$/.test(l)), lines.join("\n"));
  assert(lines.some((l) => l.startsWith("process:rss_bytes ")));
});

Deno.test("renderLinkerdPrometheus() renders an empty registry as nothing", () => {
  assertEquals(renderLinkerdPrometheus(createRegistry({ processStats: false })), "");
});

// Linkerd's PrometheusTelemeterTest vectors (telemetry/prometheus, prefix "linkerd_").
const L5D = { prefix: "linkerd_" };

Deno.test("PrometheusTelemeterTest: counter, gauge (a Java double) and stat", () => {
  const registry = createRegistry({ processStats: false });
  const counter = registry.counter(["foo", "bar"], "bas");
  counter.incr();
  assertEquals(samples(renderLinkerdPrometheus(registry, L5D)), ["linkerd_foo:bar:bas 1"]);
  counter.incr();
  assertEquals(samples(renderLinkerdPrometheus(registry, L5D)), ["linkerd_foo:bar:bas 2"]);

  let v = 1;
  const gauges = createRegistry({ processStats: false });
  gauges.gauge(["foo", "bar"], "bas", () => v);
  assertEquals(samples(renderLinkerdPrometheus(gauges, L5D)), ["linkerd_foo:bar:bas 1.0"]);
  v = 2;
  assertEquals(samples(renderLinkerdPrometheus(gauges, L5D)), ["linkerd_foo:bar:bas 2.0"]);

  const stats = createRegistry({ processStats: false });
  const stat = stats.histogram(["foo", "bar"], "bas");
  assertEquals(renderLinkerdPrometheus(stats, L5D), "", "empty histograms are not printed");
  stat.add(1);
  stat.add(2);
  const lines = samples(renderLinkerdPrometheus(stats, L5D));
  for (
    const want of [
      "linkerd_foo:bar:bas_count 2",
      "linkerd_foo:bar:bas_sum 3",
      "linkerd_foo:bar:bas_avg 1.5",
      'linkerd_foo:bar:bas{quantile="0"} 1',
      'linkerd_foo:bar:bas{quantile="0.5"} 1',
      'linkerd_foo:bar:bas{quantile="0.9"} 2',
      'linkerd_foo:bar:bas{quantile="0.95"} 2',
      'linkerd_foo:bar:bas{quantile="0.99"} 2',
      'linkerd_foo:bar:bas{quantile="0.999"} 2',
      'linkerd_foo:bar:bas{quantile="0.9999"} 2',
      'linkerd_foo:bar:bas{quantile="1"} 2',
    ]
  ) assert(lines.includes(want), `missing: ${want} in\n${lines.join("\n")}`);
  assertEquals(lines.length, 11);
});

Deno.test("PrometheusTelemeterTest: exception stats are labelled for service, client and server", () => {
  for (
    const [stack, id] of [["service", "#/foo"], ["client", "#/foo"], ["server", "127.0.0.1/4141"]]
  ) {
    const registry = createRegistry({ processStats: false });
    const s = ["rt", "incoming", stack as string, id as string];
    registry.counter([...s, "failures"], "bar").incr();
    registry.counter([...s, "failures"], "bar:baz").incr();
    registry.counter([...s, "failures"], "bar").incr();
    registry.counter([...s, "failures", "bar"], "qux").incr();
    registry.counter([...s, "exn"], "thud").incr();
    const l = `rt="incoming", ${stack}="${id}"`;
    assertEquals(samples(renderLinkerdPrometheus(registry, L5D)).sort(), [
      `linkerd_rt:${stack}:exceptions{${l}, exception="thud"} 1`,
      `linkerd_rt:${stack}:failures{${l}, exception="bar"} 2`,
      `linkerd_rt:${stack}:failures{${l}, exception="bar:baz"} 1`,
      `linkerd_rt:${stack}:failures{${l}, exception="bar:qux"} 1`,
    ]);
  }
});

Deno.test("PrometheusTelemeterTest: exception stats do not match for all stack values", () => {
  const registry = createRegistry({ processStats: false });
  registry.counter(["rt", "foo", "non_stack_match", "bar", "additional_path"], "qux").incr();
  registry.counter(["rt", "foo", "non_stack_match", "bar", "exception"], "quux").incr();
  assertEquals(samples(renderLinkerdPrometheus(registry, L5D)).sort(), [
    'linkerd_rt:non_stack_match:bar:additional_path:qux{rt="foo"} 1',
    'linkerd_rt:non_stack_match:bar:exception:quux{rt="foo"} 1',
  ]);
});
