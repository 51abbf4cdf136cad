import { assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { createBalancer } from "./balancer.ts";
import { heap } from "./heap.ts";
import { balancerCases } from "./_cases.ts";
import { simNode } from "./_sim.ts";

balancerCases("heap", (clock) => createBalancer("heap", {}, clock), { tolerance: 0.01 });

Deno.test("heap() always takes the least loaded node", () => {
  const clock = new FakeClock();
  const nodes = ["a", "b", "c", "d"].map((id) => simNode(clock, id));
  nodes[0]!.outstanding = 2;
  nodes[1]!.outstanding = 1;
  nodes[2]!.outstanding = 3;
  nodes[3]!.outstanding = 1;
  const dist = heap();
  dist.update(nodes);
  const picks = [dist.pick().id, dist.pick().id];
  assertEquals(picks.sort(), ["b", "d"]); // ties alternate
});

Deno.test("heap() prefers an open node over a less loaded busy one", () => {
  const clock = new FakeClock();
  const busy = simNode(clock, "busy", { state: "busy" });
  const open = simNode(clock, "open");
  open.outstanding = 10;
  const dist = heap();
  dist.update([busy, open]);
  assertEquals(dist.pick(), open);
});
