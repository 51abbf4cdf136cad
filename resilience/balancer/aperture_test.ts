import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { balancerOf, balancerService, createBalancer } from "./balancer.ts";
import { aperture } from "./aperture.ts";
import { balancerCases } from "./_cases.ts";
import { drive, simNode } from "./_sim.ts";

// With minAperture above the node count the aperture covers every node: the shared cases
// check the p2c core; the aperture-specific behaviour is tested below.
balancerCases("aperture", (clock) => createBalancer("aperture", { minAperture: 10 }, clock), {
  tolerance: 0.03,
});

function ten(clock: FakeClock, latencyMs: number) {
  return Array.from({ length: 10 }, (_, i) => simNode(clock, `10.0.1.${i}:80`, { latencyMs }));
}

Deno.test("aperture() keeps a lightly loaded client on minAperture nodes", async () => {
  const clock = new FakeClock({ seed: 1 });
  const dist = aperture({ minAperture: 2, clock });
  const nodes = ten(clock, 1);
  const b = balancerOf(dist);
  b.update(nodes);
  await drive(clock, balancerService(b), { requests: 500, intervalMs: 10 });
  assertEquals(dist.aperture, 2);
  assertEquals(nodes.filter((n) => n.calls > 0).length, 2);
});

Deno.test("aperture() widens under load and narrows again when it drops", async () => {
  const clock = new FakeClock({ seed: 1 });
  const dist = aperture({ minAperture: 1, smoothWindowMs: 1000, clock });
  const b = balancerOf(dist);
  const nodes = ten(clock, 100);
  b.update(nodes);
  // 100 ms latency, one request per ms: ~100 in flight, far above highLoad × n.
  await drive(clock, balancerService(b), { requests: 3000, intervalMs: 1 });
  assertEquals(dist.aperture, 10);
  assert(nodes.every((n) => n.calls > 0));
  await drive(clock, balancerService(b), { requests: 500, intervalMs: 200 });
  assertEquals(dist.aperture, 1);
});

Deno.test("aperture() gives different clients different subsets, stable across updates", () => {
  const clock = new FakeClock({ seed: 5 });
  const nodes = ten(clock, 1);
  const subsetOf = (d: ReturnType<typeof aperture>) => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(d.pick().id);
    return [...seen].sort().join(",");
  };
  const d1 = aperture({ minAperture: 3, clock });
  d1.update(nodes);
  const s1 = subsetOf(d1);
  d1.update([...nodes].reverse());
  assertEquals(subsetOf(d1), s1);
  const subsets = new Set<string>([s1]);
  for (let i = 0; i < 5; i++) {
    const d = aperture({ minAperture: 3, clock });
    d.update(nodes);
    subsets.add(subsetOf(d));
  }
  assert(subsets.size > 1, "seeds spread clients over the pool");
});

Deno.test("aperture() moves a dead aperture node's traffic to the next open node, and back", async () => {
  // Finagle RandomAperture: after maxEffort failed picks the balancer rebuilds, and statusOrder
  // puts open nodes first, so with minAperture 1 every request goes to ONE other node.
  const clock = new FakeClock({ seed: 3 });
  const dist = aperture({ clock });
  const nodes = Array.from({ length: 4 }, (_, i) => simNode(clock, `10.0.2.${i}:80`));
  const b = balancerOf(dist);
  b.update(nodes);
  const svc = balancerService(b);
  await drive(clock, svc, { requests: 20, intervalMs: 10 });
  const first = nodes.find((n) => n.calls > 0)!;
  assertEquals(first.calls, 20);
  first.state = "busy";
  for (const n of nodes) n.calls = 0;
  await drive(clock, svc, { requests: 60, intervalMs: 10 });
  assertEquals(first.calls, 0);
  assertEquals(nodes.filter((n) => n.calls > 0).map((n) => n.calls), [60]);
  first.state = "open";
  for (const n of nodes) n.calls = 0;
  await drive(clock, svc, { requests: 20, intervalMs: 10 });
  assertEquals(first.calls, 20);
});
