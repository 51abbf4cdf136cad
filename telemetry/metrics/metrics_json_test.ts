import { assert, assertEquals } from "./_assert.ts";
import {
  flatMetrics,
  metricsJsonOptions,
  metricsJsonResponse,
  renderMetricsJson,
  treeMetrics,
} from "./metrics_json.ts";
import { createRegistry } from "./registry.ts";
import { fixture } from "./_fixture.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";

const SVC = "rt/outgoing/service/svc/world";
const HISTO_4MS = {
  "request_latency_ms.count": 3,
  "request_latency_ms.max": 4,
  "request_latency_ms.min": 4,
  "request_latency_ms.p50": 4,
  "request_latency_ms.p90": 4,
  "request_latency_ms.p95": 4,
  "request_latency_ms.p99": 4,
  "request_latency_ms.p9990": 4,
  "request_latency_ms.p9999": 4,
  "request_latency_ms.sum": 12,
  "request_latency_ms.avg": 4,
};

function prefixed(prefix: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}/${k}`, v]));
}

Deno.test("flatMetrics() uses Linkerd's key shapes and histogram fields", () => {
  const { registry } = fixture();
  const flat = flatMetrics(registry) ?? {};
  const service = Object.fromEntries(
    Object.entries(flat).filter(([k]) => k.startsWith(`${SVC}/`)),
  );
  assertEquals(
    service,
    prefixed(SVC, {
      requests: 3,
      success: 2,
      failures: 1,
      pending: 0,
      "status/200": 2,
      "status/2XX": 2,
      "status/503": 1,
      "status/5XX": 1,
      ...HISTO_4MS,
    }),
  );
  assertEquals(flat["rt/incoming/server/127.0.0.1/4141/requests"], 3);
  assertEquals(flat["rt/incoming/server/127.0.0.1/4141/connections"], 2);
  assertEquals(flat["rt/outgoing/client/#/io.l5d.fs/world/failures/ConnectFailed"], 1);
  assertEquals(flat["rt/outgoing/client/#/io.l5d.fs/world/service/svc/world/status/5XX"], 1);
  assertEquals(flat["rt/outgoing/client/#/io.l5d.fs/world/endpoint/127.0.0.1:7778/success"], 2);
});

Deno.test("flatMetrics() gives only .count for a histogram with an empty window", () => {
  const clock = new FakeClock();
  const registry = createRegistry({ clock, processStats: false });
  registry.histogram(["a"], "lat_ms").add(3);
  clock.advance(120_000);
  assertEquals(flatMetrics(registry), { "a/lat_ms.count": 0 });
});

Deno.test("flatMetrics() q selects a subtree with keys relative to it", () => {
  const { registry } = fixture();
  const sub = flatMetrics(registry, "rt/outgoing/service/svc/world") ?? {};
  assertEquals(sub.requests, 3);
  assertEquals(sub["status/5XX"], 1);
  assertEquals(sub["request_latency_ms.p99"], 4);
  const clients = flatMetrics(registry, "/rt/outgoing/client/#/io.l5d.fs/world/") ?? {};
  assertEquals(clients["failures/ConnectFailed"], 1);
  assertEquals(clients["endpoint/127.0.0.1:7778/requests"], 3);
  assertEquals(flatMetrics(registry, "rt/incoming/server/127.0.0.1/4141")?.connections, 2);
  assertEquals(flatMetrics(registry, "rt/outgoing/service/svc/world/requests"), { "": 3 });
  assertEquals(flatMetrics(registry, "rt/outgoing/service/svc"), undefined);
  assertEquals(flatMetrics(registry, "nope"), undefined);
});

Deno.test("flatMetrics()/treeMetrics() q stops at whole elements, not at a key's text", () => {
  const registry = createRegistry({ processStats: false });
  registry.counter(["rt", "r", "service", "svc/world"], "requests").incr(2);
  registry.counter(["rt", "r", "service", "svc/worldwide"], "requests").incr(5);
  registry.counter(["rt", "r", "service", "svc/world/v2"], "requests").incr(7);
  // "svc/world" and "svc/world/v2" are two elements: q names the first, whole.
  assertEquals(flatMetrics(registry, "rt/r/service/svc/world"), { requests: 2 });
  assertEquals(flatMetrics(registry, "rt/r/service/svc/world/v2"), { requests: 7 });
  assertEquals(flatMetrics(registry, "rt/r/service/svc/worl"), undefined);
  assertEquals(treeMetrics(registry, "/rt/r/service/svc/worldwide/"), {
    requests: { counter: 5 },
  });
  assertEquals(Object.keys(flatMetrics(registry, "rt/r/service") ?? {}).sort(), [
    "svc/world/requests",
    "svc/world/v2/requests",
    "svc/worldwide/requests",
  ]);
});

Deno.test("treeMetrics() nests one object per element with Linkerd's leaf fields", () => {
  const { registry } = fixture();
  const tree = treeMetrics(registry, "rt/outgoing/service");
  assertEquals(tree, {
    "svc/world": {
      requests: { counter: 3 },
      success: { counter: 2 },
      failures: { counter: 1 },
      request_latency_ms: Object.fromEntries(
        Object.entries(HISTO_4MS).map(([k, v]) => [k.replace("request_latency_ms", "stat"), v]),
      ),
      pending: { gauge: 0 },
      status: {
        "200": { counter: 2 },
        "2XX": { counter: 2 },
        "503": { counter: 1 },
        "5XX": { counter: 1 },
      },
    },
  });
  const client = treeMetrics(registry, "rt/outgoing/client/#/io.l5d.fs/world");
  assertEquals(client?.failures, { counter: 1, ConnectFailed: { counter: 1 } });
  const server = treeMetrics(registry) ?? {};
  assert(JSON.stringify(server).includes('"server":{"127.0.0.1/4141":{'));
});

Deno.test("renderMetricsJson() 404s an unknown subtree and pretty-prints sorted", () => {
  const { registry } = fixture();
  assertEquals(renderMetricsJson(registry, { q: "rt/x" }), {
    status: 404,
    body: '{"error":"No such subtree: rt/x"}',
  });
  const { status, body } = renderMetricsJson(registry, { q: SVC, pretty: true });
  assertEquals(status, 200);
  assert(
    body.startsWith('{\n  "failures": 1,\n  "pending": 0,\n  "request_latency_ms.avg": 4,'),
    body,
  );
  const tree = renderMetricsJson(registry, { tree: true, pretty: true, q: SVC }).body;
  assert(tree.includes('"failures": {\n    "counter": 1\n  },'), tree);
});

Deno.test("metricsJsonOptions() reads tree, q and pretty like Linkerd", () => {
  assertEquals(metricsJsonOptions(new URLSearchParams("tree=1&q=rt/outgoing")), {
    tree: true,
    q: "rt/outgoing",
    pretty: false,
  });
  assertEquals(metricsJsonOptions(new URLSearchParams("pretty=true&tree=0")), {
    tree: false,
    pretty: true,
  });
  assertEquals(metricsJsonOptions(new URLSearchParams("pretty")), { tree: false, pretty: true });
});

Deno.test("metricsJsonResponse() serves JSON with process stats", async () => {
  const registry = createRegistry();
  const res = metricsJsonResponse(registry, new URL("http://admin/admin/metrics.json"));
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/json; charset=utf-8");
  const body = await res.json() as Record<string, number>;
  for (
    const k of ["jvm/uptime", "process/uptime", "process/rss_bytes", "process/heap_used_bytes"]
  ) {
    assert(typeof body[k] === "number" && body[k] > 0, k);
  }
  const missing = metricsJsonResponse(registry, new URL("http://admin/admin/metrics.json?q=zz"));
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("flatMetrics() leaves out a computed gauge that throws", () => {
  const registry = createRegistry({ processStats: false });
  registry.gauge(["a"], "bad", () => {
    throw new Error("boom");
  });
  registry.gauge(["a"], "good", () => 1);
  assertEquals(flatMetrics(registry), { "a/good": 1 });
});

Deno.test("flatMetricsStream() renders the same text as JSON.stringify(flatMetrics()), in chunks", async () => {
  const clock = new FakeClock();
  const r = createRegistry({ clock, processStats: false });
  // Enough metrics for several 64 KiB chunks: 600 services, a histogram each, odd characters in
  // names, an empty histogram and a computed gauge.
  for (let i = 0; i < 600; i++) {
    const scope = ["rt", "out", "service", `svc/w"orld-${i}`];
    r.counter(scope, "requests").incr(i);
    r.gauge(scope, "pending", () => i / 3);
    const h = r.histogram(scope, "request_latency_ms");
    if (i % 7 !== 0) { for (let k = 0; k < 5; k++) h.add(0.1 * (k + i)); }
  }
  const res = metricsJsonResponse(r, new URL("http://l5d/admin/metrics.json"));
  assertEquals(res.headers.get("content-type"), "application/json; charset=utf-8");
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "", chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks++;
    text += dec.decode(value, { stream: true });
  }
  assert(chunks > 2, `${chunks} chunks`);
  assertEquals(text, JSON.stringify(flatMetrics(r)));
  // An empty registry is an empty object.
  const empty = createRegistry({ clock, processStats: false });
  assertEquals(
    await metricsJsonResponse(empty, new URL("http://l5d/admin/metrics.json")).text(),
    "{}",
  );
});
