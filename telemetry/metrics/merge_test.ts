import { assert, assertAlmostEquals, assertEquals } from "../../tests/support/assert.ts";
import { systemClock } from "../../router/core/clock.ts";
import { createHistogram, histogramState } from "./histogram.ts";
import {
  createMergedRegistry,
  mergeHistogramStates,
  mergeSnapshots,
  snapshotRegistry,
} from "./merge.ts";
import { createRegistry } from "./registry.ts";

function workerRegistry(requests: number, pending: number, latencies: readonly number[]) {
  const r = createRegistry({ processStats: false });
  r.counter(["rt", "out", "service", "svc/x"], "requests").incr(requests);
  r.gauge(["rt", "out", "service", "svc/x"], "pending").set(pending);
  const h = r.histogram(["rt", "out", "service", "svc/x"], "request_latency_ms");
  for (const v of latencies) h.add(v);
  return r;
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

Deno.test("mergeSnapshots() sums counters and gauges exactly", () => {
  const a = snapshotRegistry(workerRegistry(7, 2, []));
  const b = snapshotRegistry(workerRegistry(5, 1, []));
  const merged = new Map(mergeSnapshots([a, b]).map((e) => [e.key, e.metric]));
  const req = merged.get("rt/out/service/svc/x/requests")!;
  const pending = merged.get("rt/out/service/svc/x/pending")!;
  assertEquals(req.kind === "counter" ? req.value : -1, 12);
  assertEquals(pending.kind === "gauge" ? pending.value : -1, 3);
});

Deno.test("mergeSnapshots() takes the largest loadbalancer size/available: one endpoint set", () => {
  const worker = (size: number) => {
    const r = createRegistry({ processStats: false });
    r.gauge(["rt", "out", "client", "#/fs/x"], "loadbalancer/size").set(size);
    r.gauge(["rt", "out", "client", "#/fs/x"], "loadbalancer/available").set(size);
    return snapshotRegistry(r);
  };
  const merged = new Map(mergeSnapshots([worker(3), worker(2)]).map((e) => [e.key, e.metric]));
  for (const k of ["size", "available"]) {
    const g = merged.get(`rt/out/client/#/fs/x/loadbalancer/${k}`)!;
    assertEquals(g.kind === "gauge" ? g.value : -1, 3, k);
  }
});

Deno.test("mergeSnapshots(): dead, busy, available and panic_mode tell one story", () => {
  const c = ["rt", "out", "client", "#/fs/x"];
  // Two endpoints a and b; `dead` lists the ones this worker has marked dead.
  const worker = (dead: readonly string[]) => {
    const r = createRegistry({ processStats: false });
    r.gauge(c, "loadbalancer/size").set(2);
    r.gauge(c, "loadbalancer/available").set(2 - dead.length);
    r.gauge(c, "loadbalancer/busy").set(dead.length);
    r.gauge(c, "loadbalancer/closed").set(0);
    r.gauge(c, "loadbalancer/panic_mode").set(dead.length === 2 ? 1 : 0);
    for (const ep of ["a", "b"]) {
      r.gauge([...c, "endpoint", ep], "failure_accrual/dead").set(dead.includes(ep) ? 1 : 0);
    }
    return snapshotRegistry(r);
  };
  const view = (...workers: readonly string[][]) => {
    const m = new Map(mergeSnapshots(workers.map(worker)).map((e) => [e.key, e.metric]));
    const g = (k: string) => {
      const x = m.get(`rt/out/client/#/fs/x/${k}`)!;
      return x.kind === "gauge" ? x.value : -1;
    };
    return {
      dead: [g("endpoint/a/failure_accrual/dead"), g("endpoint/b/failure_accrual/dead")],
      busy: g("loadbalancer/busy"),
      available: g("loadbalancer/available"),
      panic: g("loadbalancer/panic_mode"),
    };
  };
  // a dead in one worker only: dead once (not summed), busy 1, available 1 (1 + 1 = size).
  assertEquals(view(["a"], []), { dead: [1, 0], busy: 1, available: 1, panic: 0 });
  // a dead in both: still one dead endpoint.
  assertEquals(view(["a"], ["a"]), { dead: [1, 0], busy: 1, available: 1, panic: 0 });
  // a dead in one, b in the other: both unavailable somewhere; no worker in panic.
  assertEquals(view(["a"], ["b"]), { dead: [1, 1], busy: 2, available: 0, panic: 0 });
  // Both dead in both: panic once, not twice.
  assertEquals(view(["a", "b"], ["a", "b"]), { dead: [1, 1], busy: 2, available: 0, panic: 1 });
  assertEquals(view([], []), { dead: [0, 0], busy: 0, available: 2, panic: 0 });
});

Deno.test("mergeHistogramStates() equals one histogram fed every sample", () => {
  const rnd = lcg(42);
  const all = createHistogram(systemClock);
  const parts = [
    createHistogram(systemClock),
    createHistogram(systemClock),
    createHistogram(systemClock),
  ];
  for (let i = 0; i < 3000; i++) {
    const v = Math.exp(rnd() * 8) / 10; // 0.1 ms .. 300 ms, log-uniform
    all.add(v);
    parts[i % 3]!.add(v);
  }
  const m = mergeHistogramStates(parts.map((p) => histogramState(p)!));
  const want = all.snapshot();
  const got = m.snapshot();
  assertEquals(got.count, want.count);
  assertAlmostEquals(got.sum, want.sum, 1e-6);
  assertEquals(got.min, want.min);
  assertEquals(got.max, want.max);
  for (const q of ["p50", "p90", "p95", "p99", "p9990", "p9999"] as const) {
    // Equal-accuracy DDSketch merges are exact: the same bins give the same quantiles.
    assertAlmostEquals(got[q], want[q], 1e-9);
  }
  assertEquals(m.totalCount, 3000);
  assertEquals(m.buckets().counts, all.buckets().counts);
  // A merged histogram can be merged again.
  const again = mergeHistogramStates([histogramState(m)!]);
  assertEquals(again.snapshot().p99, got.p99);
});

Deno.test("mergeHistogramStates() of empty windows is empty", () => {
  const m = mergeHistogramStates([histogramState(createHistogram(systemClock))!]);
  assertEquals(m.snapshot().count, 0);
  assertEquals(m.totalCount, 0);
});

Deno.test("createMergedRegistry() renders worker sums and keeps process metrics local", () => {
  const local = createRegistry({ processStats: false });
  local.counter(["switchyard"], "config_reloads").incr(1);
  local.gauge(["process"], "rss_bytes").set(100);
  const merged = createMergedRegistry(local);
  const w = [workerRegistry(3, 0, [1, 2]), workerRegistry(4, 0, [3])];
  for (const r of w) {
    r.counter(["switchyard"], "config_reloads").incr(1);
    r.gauge(["process"], "rss_bytes").set(100);
  }
  merged.update(w.map(snapshotRegistry));
  const byKey = new Map([...merged.entries()].map((e) => [e.key, e.metric]));
  const v = (k: string) => {
    const m = byKey.get(k);
    assert(m && m.kind !== "histogram", k);
    return m.value;
  };
  assertEquals(v("rt/out/service/svc/x/requests"), 7);
  assertEquals(v("switchyard/config_reloads"), 1);
  assertEquals(v("process/rss_bytes"), 100);
  const h = byKey.get("rt/out/service/svc/x/request_latency_ms");
  assert(h?.kind === "histogram");
  assertEquals(h.snapshot().count, 3);
  assertEquals(h.snapshot().max, 3);
});
