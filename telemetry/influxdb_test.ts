import { assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { createRegistry, scopeStats, serverScope, serviceScope } from "./metrics/mod.ts";
import {
  escapeKey,
  escapeMeasurement,
  fieldValue,
  influxDbResponse,
  renderInfluxDb,
} from "./influxdb.ts";

const LAT = [
  "request_latency_ms_avg=4.0",
  "request_latency_ms_count=2",
  "request_latency_ms_max=4",
  "request_latency_ms_min=4",
  "request_latency_ms_p50=4",
  "request_latency_ms_p90=4",
  "request_latency_ms_p95=4",
  "request_latency_ms_p99=4",
  "request_latency_ms_p999=4",
  "request_latency_ms_p9999=4",
  "request_latency_ms_sum=8",
].join(",");

function knownRegistry() {
  const registry = createRegistry({ clock: new FakeClock(), processStats: false });
  const svc = serviceScope("outgoing", "/svc/hello");
  registry.counter(svc, "requests").incr(10);
  registry.counter(svc, "success").incr(9);
  registry.counter(svc, "status/200").incr(9);
  registry.counter(svc, "status/503").incr(1);
  const h = registry.histogram(svc, "request_latency_ms");
  h.add(4);
  h.add(4);
  registry.counter(serverScope("incoming", "127.0.0.1", 4141), "requests").incr(3);
  registry.counter(["rt", "outgoing", "client", "/#/io.l5d.fs/hello"], "requests").incr(7);
  registry.gauge(["process"], "uptime", () => 1234);
  registry.counter([], "top").incr(5);
  return registry;
}

Deno.test("renderInfluxDb() writes one line per scope with Prometheus labels as tags", () => {
  const text = renderInfluxDb(knownRegistry(), { host: "l5d:9990" });
  assertEquals(text.split("\n"), [
    `rt:service,host=l5d:9990,rt=outgoing,service=svc/hello ${LAT},requests=10,success=9`,
    "rt:service:status,host=l5d:9990,rt=outgoing,service=svc/hello 200=9,503=1",
    "rt:server,host=l5d:9990,rt=incoming,server=127.0.0.1/4141 requests=3",
    "rt:client,client=#/io.l5d.fs/hello,host=l5d:9990,rt=outgoing requests=7",
    "process,host=l5d:9990 uptime=1234.0",
    "root,host=l5d:9990 top=5",
    "",
  ]);
});

Deno.test("renderInfluxDb() covers the standard request stats of a scope", () => {
  const registry = createRegistry({ clock: new FakeClock(), processStats: false });
  const stats = scopeStats(registry, serviceScope("outgoing", "/svc/world"));
  stats.recordSuccess(2, 200);
  stats.recordFailure(2, 503, "ConnectFailed");
  const text = renderInfluxDb(registry);
  assertStringIncludes(text, "rt:service,host=none,rt=outgoing,service=svc/world ");
  assertStringIncludes(text, "service=svc/world failures=1,pending=0.0,");
  assertStringIncludes(text, ",requests=2,success=1");
  assertStringIncludes(text, "request_latency_ms_count=2,");
  assertStringIncludes(
    text,
    "rt:service:failures,host=none,rt=outgoing,service=svc/world ConnectFailed=1\n",
  );
  assertStringIncludes(text, " 200=1,2XX=1,503=1,5XX=1\n");
});

Deno.test("renderInfluxDb() escapes tags and skips non-finite values", () => {
  const registry = createRegistry({ clock: new FakeClock(), processStats: false });
  registry.counter(serviceScope("r", "/svc/a b,c=d"), "requests").incr();
  registry.gauge(["x"], "nan", () => NaN);
  registry.gauge(["x"], "broken", () => {
    throw new Error("no");
  });
  registry.gauge(["x"], "ok", () => 1.5);
  assertEquals(
    renderInfluxDb(registry, { host: "h" }),
    "rt:service,host=h,rt=r,service=svc/a\\ b\\,c\\=d requests=1\nx,host=h ok=1.5\n",
  );
});

Deno.test("escapeMeasurement(), escapeKey() and fieldValue() follow the line protocol", () => {
  assertEquals(escapeMeasurement("a b,c=d"), "a\\ b\\,c=d");
  assertEquals(escapeKey("a b,c=d\\"), "a\\ b\\,c\\=d\\\\");
  assertEquals(escapeKey("line\nbreak"), "line\\nbreak");
  assertEquals(fieldValue(10), "10");
  assertEquals(fieldValue(0.25), "0.25");
  assertEquals(fieldValue(true), "true");
  assertEquals(fieldValue('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
});

Deno.test("influxDbResponse() is text/plain tagged with the request's Host", async () => {
  const res = influxDbResponse(
    knownRegistry(),
    new Request("http://127.0.0.1:9990/admin/metrics/influxdb", {
      headers: { host: "linkerd1:9990" },
    }),
  );
  assertStringIncludes(res.headers.get("content-type") ?? "", "text/plain");
  const body = await res.text();
  assertStringIncludes(body, "rt:server,host=linkerd1:9990,rt=incoming,server=127.0.0.1/4141 ");
});

Deno.test("renderInfluxDb() gives Linkerd's InfluxDbTelemeterTest lines: root fields, Java-double gauges and averages, whole-number quantiles", () => {
  const registry = createRegistry({ clock: new FakeClock(), processStats: false });
  const counter = registry.counter(["foo", "bar"], "bas");
  counter.incr();
  assertEquals(renderInfluxDb(registry), "foo:bar,host=none bas=1\n");
  counter.incr();
  assertEquals(renderInfluxDb(registry), "foo:bar,host=none bas=2\n");

  const root = createRegistry({ clock: new FakeClock(), processStats: false });
  root.counter([], "abc").incr();
  root.counter([], "def").incr(2);
  assertEquals(renderInfluxDb(root), "root,host=none abc=1,def=2\n");

  let v = 1;
  const gauges = createRegistry({ clock: new FakeClock(), processStats: false });
  gauges.gauge(["foo", "bar"], "bas", () => v);
  gauges.gauge([], "abc", () => v);
  gauges.gauge([], "def", () => v * 2);
  assertEquals(
    renderInfluxDb(gauges),
    "foo:bar,host=none bas=1.0\nroot,host=none abc=1.0,def=2.0\n",
  );
  v = 2;
  assertEquals(
    renderInfluxDb(gauges),
    "foo:bar,host=none bas=2.0\nroot,host=none abc=2.0,def=4.0\n",
  );

  const stats = createRegistry({ clock: new FakeClock(), processStats: false });
  const stat = stats.histogram(["foo", "bar"], "bas");
  assertEquals(renderInfluxDb(stats), "", "no stat before its first value");
  stat.add(1);
  assertEquals(
    renderInfluxDb(stats),
    "foo:bar,host=none bas_avg=1.0,bas_count=1,bas_max=1,bas_min=1,bas_p50=1,bas_p90=1," +
      "bas_p95=1,bas_p99=1,bas_p999=1,bas_p9999=1,bas_sum=1\n",
  );
  stat.add(2);
  assertEquals(
    renderInfluxDb(stats),
    "foo:bar,host=none bas_avg=1.5,bas_count=2,bas_max=2,bas_min=1,bas_p50=1,bas_p90=2," +
      "bas_p95=2,bas_p99=2,bas_p999=2,bas_p9999=2,bas_sum=3\n",
  );

  const labelled = createRegistry({ clock: new FakeClock(), processStats: false });
  labelled.counter(serviceScope("incoming", "/svc/foo"), "requests").incr();
  labelled.counter(["rt", "incoming", "client", "#/bar"], "requests").incr();
  labelled.counter(["rt", "incoming", "client", "#/bar", "service", "svc/foo"], "requests").incr();
  labelled.counter(serverScope("incoming", "127.0.0.1", 4141), "requests").incr();
  assertEquals(renderInfluxDb(labelled).split("\n"), [
    "rt:service,host=none,rt=incoming,service=svc/foo requests=1",
    "rt:client,client=#/bar,host=none,rt=incoming requests=1",
    "rt:client:service,client=#/bar,host=none,rt=incoming,service=svc/foo requests=1",
    "rt:server,host=none,rt=incoming,server=127.0.0.1/4141 requests=1",
    "",
  ]);
});
