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
      'rt:server:connections{rt="incoming", server="127.0.0.1/4141"} 2',
      `rt:client:service:requests{${CL}, service="svc/world"} 3`,
      `rt:client:endpoint:requests{${CL}, endpoint="127.0.0.1:7778"} 3`,
      `rt:client:status:5XX{${CL}} 1`,
      `rt:client:status:200{${CL}} 2`,
      `rt:client:failures{${CL}} 1`,
      `rt:client:failures{${CL}, exception="ConnectFailed"} 1`,
      'rt:service:pending{rt="outgoing", service="svc/world"} 0',
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
    `rt:client:request_latency_ms_avg{${CL}} 4`,
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
    "_9lives:x 1",
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
