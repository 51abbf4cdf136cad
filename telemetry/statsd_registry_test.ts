import { assert, assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { prng } from "../tests/support/prng.ts";
import { createRegistry, renderMetricsJson, scopeStats, serviceScope } from "./metrics/mod.ts";
import { statsdRegistry } from "./statsd_registry.ts";

function setup(sampleRate: number, random: () => number = Math.random) {
  const inner = createRegistry({ clock: new FakeClock(), processStats: false });
  const lines: string[] = [];
  const registry = statsdRegistry(inner, {
    prefix: "linkerd",
    sampleRate,
    random,
    push: (l) => lines.push(l),
  });
  return { inner, registry, lines };
}

Deno.test("statsdRegistry() reports every counter increment and observation at rate 1", () => {
  const { registry, lines } = setup(1);
  const stats = scopeStats(registry, serviceScope("outgoing", "/svc/hello"));
  stats.recordSuccess(4.5, 200);
  assertEquals(lines.sort(), [
    "linkerd.rt.outgoing.service.svc.hello.request_latency_ms:4|ms",
    "linkerd.rt.outgoing.service.svc.hello.requests:1|c",
    "linkerd.rt.outgoing.service.svc.hello.status.200:1|c",
    "linkerd.rt.outgoing.service.svc.hello.status.2XX:1|c",
    "linkerd.rt.outgoing.service.svc.hello.success:1|c",
  ]);
});

Deno.test("statsdRegistry() samples each record with the seeded random source", () => {
  const rate = 0.1;
  const { registry, lines } = setup(rate, prng(7));
  const c = registry.counter(["rt", "r", "service", "svc/a"], "requests");
  for (let i = 0; i < 1000; i++) c.incr();
  // The same draws decide the same records: replay the seed.
  const draw = prng(7);
  let expected = 0;
  for (let i = 0; i < 1000; i++) if (draw() < rate) expected++;
  assertEquals(lines.length, expected);
  assert(expected > 60 && expected < 140, `${expected} kept of 1000`);
  assertEquals(new Set(lines), new Set(["linkerd.rt.r.service.svc.a.requests:1|c|@0.1"]));
  assertEquals(c.value, 1000);
  const none = setup(0, prng(1));
  none.registry.counter(["a"], "b").incr(5);
  assertEquals(none.lines, []);
});

Deno.test("statsdRegistry() keeps the values in the wrapped registry and returns stable handles", () => {
  const { inner, registry } = setup(1);
  const scope = serviceScope("r", "/svc/a");
  const c = registry.counter(scope, "requests");
  assert(registry.counter(scope, "requests") === c);
  c.incr(3);
  const h = registry.histogram(scope, "request_latency_ms");
  h.add(2);
  assert(registry.histogram(scope, "request_latency_ms") === h);
  assertEquals(inner.counter(scope, "requests").value, 3);
  assertEquals(h.totalCount, 1);
  assertEquals(h.snapshot().max, 2);
  registry.gauge(scope, "pending").incr();
  assertEquals(registry.size, inner.size);
  assertEquals([...registry.entries()].map((e) => e.key), [...inner.entries()].map((e) => e.key));
  assertEquals(renderMetricsJson(registry), renderMetricsJson(inner));
  assertEquals(registry.remove(scope), 3);
  assert(registry.counter(scope, "requests") !== c);
  assertEquals(registry.counter(scope, "requests").value, 0);
});
