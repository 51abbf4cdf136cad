import { assert, assertEquals, assertStrictEquals } from "./_assert.ts";
import { compactRegistry, createRegistry, type MetricsRegistry } from "./registry.ts";
import { computedGauges, type RequestStats, scopeStats } from "./request_stats.ts";
import { clientScope } from "./scope.ts";
import { flatMetrics } from "./metrics_json.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";

function setup(): { registry: MetricsRegistry; stats: RequestStats } {
  const registry = createRegistry({ processStats: false, clock: new FakeClock() });
  const stats = scopeStats(registry, clientScope("out", "/#/io.l5d.fs/world"));
  return { registry, stats };
}

Deno.test("scopeStats() records successes and failures with status and latency", () => {
  const { registry, stats } = setup();
  stats.recordSuccess(2, 200);
  stats.recordSuccess(4, 204);
  stats.recordFailure(8, 503);
  stats.recordFailure(16, 0, "ConnectFailed");
  stats.recordFailure(1, 502, "ConnectFailed");
  const p = "rt/out/client/#/io.l5d.fs/world/";
  const m = flatMetrics(registry) ?? {};
  assertEquals(
    {
      requests: m[`${p}requests`],
      success: m[`${p}success`],
      failures: m[`${p}failures`],
      connectFailed: m[`${p}failures/ConnectFailed`],
      s200: m[`${p}status/200`],
      s204: m[`${p}status/204`],
      s2xx: m[`${p}status/2XX`],
      s5xx: m[`${p}status/5XX`],
      s503: m[`${p}status/503`],
      error: m[`${p}status/error`],
      count: m[`${p}request_latency_ms.count`],
      max: m[`${p}request_latency_ms.max`],
      pending: m[`${p}pending`],
    },
    {
      requests: 5,
      success: 2,
      failures: 3,
      connectFailed: 2,
      s200: 1,
      s204: 1,
      s2xx: 2,
      s5xx: 2,
      s503: 1,
      error: 1,
      count: 5,
      max: 16,
      pending: 0,
    },
  );
});

Deno.test("scopeStats() caches per-code and per-reason counters", () => {
  const { stats } = setup();
  assertStrictEquals(stats.status(404), stats.status(404));
  assertStrictEquals(stats.statusClass(404), stats.statusClass(499));
  assertStrictEquals(stats.failure("Timeout"), stats.failure("Timeout"));
  assertStrictEquals(stats.status(42), stats.status(700));
});

Deno.test("scopeStats() registers connections only when asked", () => {
  const { registry, stats } = setup();
  const before = registry.size;
  stats.connections.incr();
  assertStrictEquals(stats.connections, stats.connections);
  assertEquals(registry.size, before + 1);
  assertEquals(stats.connections.value, 1);
});

Deno.test("scopeStats() twice on one scope shares the counters", () => {
  const { registry, stats } = setup();
  const again = scopeStats(registry, clientScope("out", "#/io.l5d.fs/world"));
  again.recordSuccess(1, 200);
  assertEquals(stats.requests.value, 1);
  assertEquals(stats.status(200).value, 1);
});

Deno.test("scopeStats() failure() reads a/b as a cause chain (Finagle's failures/a/b)", () => {
  const { registry, stats } = setup();
  stats.failure("a/b").incr();
  stats.failure("").incr();
  const keys = [...registry.entries()].map((e) => e.key);
  assertEquals(keys.includes("rt/out/client/#/io.l5d.fs/world/failures/a/b"), true);
  assertEquals(keys.includes("rt/out/client/#/io.l5d.fs/world/failures/unknown"), true);
});

Deno.test("scopeStats() begin()/end*() track pending and measure latency on the clock", () => {
  const clock = new FakeClock();
  const registry = createRegistry({ processStats: false, clock });
  const stats = scopeStats(registry, clientScope("out", "/#/a"));
  const a = stats.begin();
  const b = stats.begin();
  assertEquals(stats.pending.value, 2);
  clock.advance(7);
  assertEquals(stats.endSuccess(a, 200), 7);
  clock.advance(5);
  assertEquals(stats.endFailure(b, 0, "Timeout"), 12);
  assertEquals(stats.pending.value, 0);
  const s = stats.latency.snapshot();
  assertEquals([s.count, s.min, s.max, s.sum], [2, 7, 12, 19]);
  assertEquals([stats.requests.value, stats.success.value, stats.failures.value], [2, 1, 1]);
  assertEquals([stats.status(200).value, stats.status(0).value, stats.failure("Timeout").value], [
    1,
    1,
    1,
  ]);
});

Deno.test("scopeStats() shares its counts with registry handles, either way round", () => {
  const registry = createRegistry({ processStats: false, clock: new FakeClock() });
  const scope = clientScope("out", "/#/a");
  const early = registry.counter(scope, "status/503"); // registered before the stats see a 503
  const stats = scopeStats(registry, scope);
  stats.recordSuccess(1, 200);
  stats.recordFailure(1, 503);
  stats.recordFailure(1, 0);
  const requests = registry.counter(scope, "requests");
  assertStrictEquals(requests, stats.requests);
  requests.incr();
  assertEquals(stats.requests.value, 4);
  assertStrictEquals(registry.counter(scope, "status/200"), stats.status(200));
  assertStrictEquals(stats.status(503), early);
  assertEquals([early.value, stats.status(0).value, stats.statusClass(200).value], [1, 1, 1]);
  assertEquals(registry.gauge(scope, "pending").value, 0);
  assertEquals(
    [...registry.entries()].map((e) => e.key.slice("rt/out/client/#/a/".length)),
    [
      "status/503",
      "requests",
      "success",
      "failures",
      "request_latency_ms",
      "pending",
      "status/200",
      "status/2XX",
      "status/5XX",
      "status/error",
    ],
  );
  assertEquals(registry.size, 10);
});

Deno.test("scopeStats() keeps counting after remove(), unrendered", () => {
  const registry = createRegistry({ processStats: false, clock: new FakeClock() });
  const scope = clientScope("out", "/#/a");
  const stats = scopeStats(registry, scope);
  stats.recordSuccess(1, 200);
  registry.remove(scope);
  stats.recordSuccess(1, 200);
  stats.recordSuccess(1, 204);
  assertEquals([stats.requests.value, stats.status(200).value, registry.size], [3, 2, 0]);
  const fresh = scopeStats(registry, scope);
  assertEquals(fresh.requests.value, 0);
});

Deno.test("computedGauges() renders a source's values on the stats' scope, and moves to a new source", () => {
  const { registry } = setup();
  const scope = clientScope("out", "/#/io.l5d.fs/world");
  const p = "rt/out/client/#/io.l5d.fs/world/";
  const values = [3, 7];
  const source = { gaugeValue: (i: number) => values[i]! };
  computedGauges(registry, scope, source, ["outstanding", "connections"]);
  let m = flatMetrics(registry) ?? {};
  assertEquals([m[`${p}outstanding`], m[`${p}connections`]], [3, 7]);
  // Read when rendered, and through the registry's handle, which cannot set it.
  values[0] = 4;
  const g = registry.gauge(scope, "outstanding");
  assertEquals(g.kind, "gauge");
  assertEquals(g.value, 4);
  g.set(99);
  assertEquals(g.value, 4);
  // The same names again (a client made anew): read from the new source, registered once.
  computedGauges(registry, scope, { gaugeValue: (i) => 10 + i }, ["outstanding", "connections"]);
  m = flatMetrics(registry) ?? {};
  assertEquals([m[`${p}outstanding`], m[`${p}connections`]], [10, 11]);
  const keys = [...registry.entries()].map((e) => e.key).filter((k) => k.startsWith(p));
  assertEquals(keys.filter((k) => k.endsWith("/outstanding")).length, 1);
  // Other names (another balancer after a reload): each gauge reads its own name's value, one
  // the new source lacks reads 0.
  computedGauges(registry, scope, { gaugeValue: (i) => [20, 21][i]! }, ["ewma_ms", "outstanding"]);
  m = flatMetrics(registry) ?? {};
  assertEquals(
    [m[`${p}outstanding`], m[`${p}connections`], m[`${p}ewma_ms`]],
    [21, 0, 20],
  );
});

Deno.test("computedGauges() falls back to gauges of their own where a name is taken", () => {
  const { registry } = setup();
  const scope = clientScope("out", "/#/io.l5d.fs/world");
  registry.gauge(scope, "connections").set(1);
  computedGauges(registry, scope, { gaugeValue: (i) => 5 + i }, ["outstanding", "connections"]);
  const m = flatMetrics(registry) ?? {};
  const p = "rt/out/client/#/io.l5d.fs/world/";
  assertEquals([m[`${p}outstanding`], m[`${p}connections`]], [5, 6]);
});

// issue 6: scopes that register the same metrics in the same order (every endpoint of every
// client) share one metrics list; a handle asked of one scope, or a metric of its own, gives
// that scope a list of its own, and each scope's values stay its own.
Deno.test("scopeStats(): scopes with the same metrics share one list, and keep their own values", () => {
  const registry = createRegistry({ processStats: false, clock: new FakeClock() });
  const compact = compactRegistry(registry)!;
  const scopes = [1, 2, 3].map((i) => ["rt", "out", "client", "web", "endpoint", `10.0.0.${i}:80`]);
  const all = scopes.map((s) => scopeStats(registry, s));
  all.forEach((st, i) => {
    for (let k = 0; k <= i; k++) st.recordSuccess(k + 1, 200);
  });
  const lists = scopes.map((s) => compact.node(s).list);
  assertStrictEquals(lists[0], lists[1]);
  assertStrictEquals(lists[1], lists[2]);
  // A metric registered by name on one scope is its own.
  registry.counter(scopes[2]!, "extra").incr();
  all[1]!.requests.incr(10); // a handle: kept in scope 2's own list
  const after = scopes.map((s) => compact.node(s).list);
  assertStrictEquals(after[0], lists[0]);
  assert(after[1] !== lists[0] && after[2] !== lists[0]);
  const m = flatMetrics(registry) ?? {};
  const p = (i: number) => `rt/out/client/web/endpoint/10.0.0.${i}:80/`;
  assertEquals(
    [1, 2, 3].map((i) => [m[`${p(i)}requests`], m[`${p(i)}request_latency_ms.count`]]),
    [[1, 1], [12, 2], [3, 3]],
  );
  assertEquals(m[`${p(3)}extra`], 1);
  assertEquals(m[`${p(1)}extra`], undefined);
  // The histogram asked for by name is the stats' own.
  assertStrictEquals(registry.histogram(scopes[0]!, "request_latency_ms"), all[0]!.latency);
});
