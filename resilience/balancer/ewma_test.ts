import { assert, assertAlmostEquals, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { balancerService, createBalancer } from "./balancer.ts";
import { ewma, type EwmaNode } from "./ewma.ts";
import { balancerCases } from "./_cases.ts";
import { drive, shares, simNode } from "./_sim.ts";
import { testCtx } from "../_testing.ts";

balancerCases("ewma", (clock) => createBalancer("ewma", {}, clock), { tolerance: 0.03 });

async function threeWithOneSlow(kind: string) {
  const clock = new FakeClock({ seed: 7 });
  const balancer = createBalancer(kind, {}, clock);
  const nodes = [
    simNode(clock, "fast-1", { latencyMs: 10 }),
    simNode(clock, "fast-2", { latencyMs: 10 }),
    simNode(clock, "slow", { latencyMs: 210 }),
  ];
  balancer.update(nodes);
  await drive(clock, balancerService(balancer), { requests: 2000, intervalMs: 10 });
  return shares(nodes)[2]!;
}

Deno.test("ewma avoids a node 200 ms slower than the others (< 10 %), roundRobin does not", async () => {
  const slow = await threeWithOneSlow("ewma");
  assert(slow < 0.1, `ewma sent ${(slow * 100).toFixed(1)} % to the slow node`);
  const rr = await threeWithOneSlow("roundRobin");
  assertAlmostEquals(rr, 1 / 3, 0.001);
});

Deno.test("ewma() measures each node: peak latency at once, decaying while idle", async () => {
  const clock = new FakeClock();
  const dist = ewma({ decayTimeMs: 10_000, clock });
  const node = simNode(clock, "a", { latencyMs: 200 });
  const [m] = dist.update([node]) as EwmaNode[];
  assertEquals([m!.load(), m!.ewmaMs()], [0, 0]); // never measured, idle: cost 0
  const p = m!.call(new Request("http://a/"), testCtx(clock));
  assert(m!.load() > 1e9, "a new node with a request in flight is penalised");
  assertEquals(m!.outstanding, 1);
  await clock.tick(200);
  await p;
  assertEquals([m!.ewmaMs(), m!.load(), m!.outstanding], [200, 200, 0]);
  await clock.tick(10_000);
  assertAlmostEquals(m!.ewmaMs(), 200 / Math.E, 1e-9);
  // A faster response blends in; a slower one replaces the estimate at once.
  node.latencyMs = 10;
  const q = m!.call(new Request("http://a/"), testCtx(clock));
  await clock.tick(10);
  await q;
  // Blended with weight 1 − e^(−Δt/τ), Δt = 10 010 ms since the last observation.
  const w = Math.exp(-10_010 / 10_000);
  assertAlmostEquals(m!.ewmaMs(), 200 * w + 10 * (1 - w), 1e-9);
  node.latencyMs = 500;
  const r = m!.call(new Request("http://a/"), testCtx(clock));
  await clock.tick(500);
  await r;
  assertEquals(m!.ewmaMs(), 500);
});

Deno.test("ewma() multiplies latency by outstanding requests + 1", async () => {
  const clock = new FakeClock();
  const dist = ewma({ clock });
  const node = simNode(clock, "a", { latencyMs: 100 });
  const [m] = dist.update([node]) as EwmaNode[];
  const first = m!.call(new Request("http://a/"), testCtx(clock));
  await clock.tick(100);
  await first;
  const calls = [1, 2].map(() => m!.call(new Request("http://a/"), testCtx(clock)));
  assertAlmostEquals(m!.load(), 300, 1e-9);
  await clock.tick(100);
  await Promise.all(calls);
});

Deno.test("ewma() keeps a node's measurements across update()", async () => {
  const clock = new FakeClock();
  const dist = ewma({ clock });
  const a = simNode(clock, "a", { latencyMs: 50 });
  const [m1] = dist.update([a]) as EwmaNode[];
  const p = m1!.call(new Request("http://a/"), testCtx(clock));
  await clock.tick(50);
  await p;
  const [m2] = dist.update([a, simNode(clock, "b")]) as EwmaNode[];
  assertEquals([m2 === m1, m2!.ewmaMs()], [true, 50]);
});

Deno.test("ewma() splits traffic between weight classes by weight, even when idle", async () => {
  const clock = new FakeClock({ seed: 3 });
  const balancer = createBalancer("ewma", {}, clock);
  const nodes = [
    simNode(clock, "stable-1", { latencyMs: 1 }),
    simNode(clock, "stable-2", { latencyMs: 1 }),
    simNode(clock, "canary", { latencyMs: 1, weight: 0.1 }),
  ];
  balancer.update(nodes);
  await drive(clock, balancerService(balancer), { requests: 4200, intervalMs: 10 });
  assertAlmostEquals(shares(nodes)[2]!, 0.1 / 2.1, 0.01);
});
