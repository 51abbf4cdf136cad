import { assert, assertEquals, assertStrictEquals, assertThrows } from "./_assert.ts";
import { createRegistry, ScopeNode } from "./registry.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";

const svc = ["rt", "outgoing", "service", "svc/world"] as const;

Deno.test("createRegistry() counter() returns one handle per scope and name", () => {
  const r = createRegistry({ processStats: false });
  const a = r.counter(svc, "requests");
  const b = r.counter(["rt", "outgoing", "service", "/svc/world"], "requests");
  assertStrictEquals(a, b);
  a.incr();
  a.incr(4);
  assertEquals(b.value, 5);
  assertEquals(r.size, 1);
});

Deno.test("createRegistry() gauge() is settable or computed on read", () => {
  const r = createRegistry({ processStats: false });
  const g = r.gauge(svc, "pending");
  g.set(3);
  g.incr();
  g.decr(2);
  assertEquals(g.value, 2);
  let n = 7;
  const c = r.gauge(svc, "size", () => n);
  assertEquals(c.value, 7);
  n = 8;
  assertEquals(c.value, 8);
  r.gauge(svc, "size", () => 42);
  assertEquals(c.value, 42);
});

Deno.test("createRegistry() histogram() records through the handle", () => {
  const r = createRegistry({ processStats: false, clock: new FakeClock() });
  const h = r.histogram(svc, "request_latency_ms");
  assertStrictEquals(r.histogram(svc, "request_latency_ms"), h);
  h.add(5);
  assertEquals(h.snapshot().count, 1);
  assertEquals(h.totalSum, 5);
});

Deno.test("createRegistry() refuses one key as two kinds", () => {
  const r = createRegistry({ processStats: false });
  r.counter(svc, "requests");
  assertThrows(() => r.gauge(svc, "requests"), TypeError);
  assertThrows(() => r.histogram(svc, "requests"), TypeError);
});

Deno.test("createRegistry() rejects empty name parts", () => {
  const r = createRegistry({ processStats: false });
  assertThrows(() => r.counter(svc, "status//x"), RangeError);
  assertThrows(() => r.counter(svc, ""), RangeError);
});

Deno.test("createRegistry() names a metric path by scope elements plus name parts", () => {
  const r = createRegistry({ processStats: false });
  r.counter(["rt", "in", "server", "127.0.0.1", "4141"], "status/200");
  const [e] = [...r.entries()];
  assertEquals(e?.path, ["rt", "in", "server", "127.0.0.1/4141", "status", "200"]);
  assertEquals(e?.key, "rt/in/server/127.0.0.1/4141/status/200");
});

Deno.test("remove() drops a subtree by whole elements, not by string prefix", () => {
  const r = createRegistry({ processStats: false });
  const world = ["rt", "out", "client", "#/io.l5d.fs/world"];
  const v2 = ["rt", "out", "client", "#/io.l5d.fs/world/v2"];
  const held = r.counter(world, "requests");
  r.counter([...world, "endpoint", "127.0.0.1:1"], "requests");
  r.counter(v2, "requests");
  assertEquals(r.remove(world), 2);
  assertEquals([...r.entries()].map((e) => e.key), ["rt/out/client/#/io.l5d.fs/world/v2/requests"]);
  held.incr(); // a stale handle keeps working, unrendered
  assertEquals(held.value, 1);
  const fresh = r.counter(world, "requests");
  assertEquals(fresh.value, 0);
});

Deno.test("removeScope() drops exactly one scope's metrics, deeper and sibling scopes stay", () => {
  const r = createRegistry({ processStats: false });
  const world = ["rt", "out", "service", "svc/world"];
  r.counter(world, "requests");
  r.counter(world, "retries/total");
  r.histogram(world, "request_latency_ms");
  r.counter([...world, "deeper"], "requests");
  r.counter(["rt", "out", "service", "svc/world/v2"], "requests");
  const size = r.size;
  assertEquals(r.removeScope!(world), 3);
  assertEquals(r.size, size - 3);
  assertEquals([...r.entries()].map((e) => e.key), [
    "rt/out/service/svc/world/deeper/requests",
    "rt/out/service/svc/world/v2/requests",
  ]);
  assertEquals(r.removeScope!(world), 0);
  assertEquals(r.counter(world, "requests").value, 0); // made afresh
});

Deno.test("createRegistry() registers process stats unless told not to", () => {
  const clock = new FakeClock();
  clock.advance(1234);
  const r = createRegistry({ clock });
  const keys = new Map([...r.entries()].map((e) => [e.key, e.metric]));
  assertEquals(keys.get("jvm/uptime")?.kind, "gauge");
  const up = keys.get("process/uptime");
  assertEquals(up?.kind === "gauge" ? up.value : -1, 1234);
  for (const k of ["process/rss_bytes", "process/heap_used_bytes"]) {
    const g = keys.get(k);
    assert(g?.kind === "gauge" && g.value > 0, k);
  }
  assertEquals(createRegistry({ processStats: false }).size, 0);
});

Deno.test("two registries in one process are independent", () => {
  const a = createRegistry({ processStats: false });
  const b = createRegistry({ processStats: false });
  a.counter(svc, "requests").incr();
  assertEquals(b.counter(svc, "requests").value, 0);
});

Deno.test("ScopeNode keeps its path's elements, slashes inside them included", () => {
  const paths: string[][] = [
    [],
    ["rt"],
    ["rt", "bench", "client", "#/io.l5d.fs/svc-1", "endpoint", "127.0.0.1:18080"],
    ["rt", "in", "server", "127.0.0.1/4140"],
    ["a/b/c", "d", "/e/", "f"],
    // Past the 30 slashes kept as bits: the path itself is kept.
    ["x", "a/".repeat(20) + "b", "y", "c/".repeat(15) + "d", "z"],
    Array.from({ length: 40 }, (_, i) => `e${i}`),
  ];
  for (const p of paths) {
    const node = new ScopeNode(p);
    assertEquals(node.key, p.join("/"));
    assertEquals(node.path, p);
  }
  // What the registry renders: a client id with slashes stays one element.
  const r = createRegistry({ processStats: false });
  r.counter(["rt", "r", "client", "#/io.l5d.fs/x"], "requests").incr();
  const e = [...r.entries()].find((x) => x.key === "rt/r/client/#/io.l5d.fs/x/requests")!;
  assertEquals(e.path, ["rt", "r", "client", "#/io.l5d.fs/x", "requests"]);
  // remove() of a prefix with slashes inside an element.
  assertEquals(r.remove(["rt", "r", "client", "#/io.l5d.fs/x"]), 1);
  assertEquals([...r.entries()].length, 0);
});
