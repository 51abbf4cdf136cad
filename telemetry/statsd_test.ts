import { assert, assertEquals } from "../tests/support/assert.ts";
import { eventually } from "../tests/support/upstream.ts";
import { createRegistry, scopeStats, serviceScope } from "./metrics/mod.ts";
import { startStatsd } from "./statsd.ts";
import { udpCollector } from "../tests/support/udp_collector.ts";

Deno.test("startStatsd() sends counters, timers and gauges over UDP", async () => {
  const collector = await udpCollector();
  const statsd = await startStatsd(createRegistry({ processStats: false }), {
    prefix: "linkerd",
    hostname: "127.0.0.1",
    port: collector.port,
    gaugeIntervalMs: 60_000,
    sampleRate: 1,
  });
  try {
    const stats = scopeStats(statsd.registry, serviceScope("outgoing", "/svc/hello"));
    const start = stats.begin();
    stats.endSuccess(start, 200);
    statsd.sendGauges();
    // No explicit flush: the 100 ms timer sends the partial datagram.
    const want = [
      "linkerd.rt.outgoing.service.svc.hello.requests:1|c",
      "linkerd.rt.outgoing.service.svc.hello.success:1|c",
      "linkerd.rt.outgoing.service.svc.hello.pending:0|g",
      "linkerd.switchyard.statsd.dropped_lines:0|g",
    ];
    const arrived = await eventually(() => want.every((w) => collector.lines().includes(w)), 3000);
    assert(arrived, `got ${JSON.stringify(collector.lines())}`);
    assert(
      collector.lines().some((l) =>
        /^linkerd\.rt\.outgoing\.service\.svc\.hello\.request_latency_ms:[\d.]+\|ms$/.test(l)
      ),
    );
    for (const d of collector.datagrams) assert(new TextEncoder().encode(d).length <= 1432);
    assertEquals(statsd.dropped, 0);
  } finally {
    await statsd.close();
    await collector.close();
  }
});

Deno.test("startStatsd() sends gauges every gaugeIntervalMs", async () => {
  const collector = await udpCollector();
  const inner = createRegistry({ processStats: false });
  let v = 0;
  inner.gauge(["switchyard", "test"], "level", () => ++v);
  const statsd = await startStatsd(inner, {
    prefix: "sy",
    hostname: "127.0.0.1",
    port: collector.port,
    gaugeIntervalMs: 50,
    sampleRate: 0.01,
  });
  try {
    const ok = await eventually(
      () => collector.lines().filter((l) => l.startsWith("sy.switchyard.test.level:")).length >= 2,
      3000,
    );
    assert(ok, `got ${JSON.stringify(collector.lines())}`);
  } finally {
    await statsd.close();
    await collector.close();
  }
});
