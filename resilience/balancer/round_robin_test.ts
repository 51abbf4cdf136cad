import { assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { createBalancer } from "./balancer.ts";
import { roundRobin } from "./round_robin.ts";
import { balancerCases } from "./_cases.ts";
import { simNode } from "./_sim.ts";

balancerCases("roundRobin", (clock) => createBalancer("roundRobin", {}, clock), { tolerance: 0 });

Deno.test("roundRobin() visits nodes in order", () => {
  const clock = new FakeClock();
  const nodes = ["a", "b", "c"].map((id) => simNode(clock, id));
  const dist = roundRobin();
  dist.update(nodes);
  assertEquals(Array.from({ length: 7 }, () => dist.pick().id).join(""), "abcabca");
});

Deno.test("roundRobin() interleaves weights smoothly and exactly", () => {
  const clock = new FakeClock();
  const nodes = [simNode(clock, "a", { weight: 5 }), simNode(clock, "b"), simNode(clock, "c")];
  const dist = roundRobin();
  dist.update(nodes);
  // nginx's smooth weighted round-robin for {a:5, b:1, c:1}.
  assertEquals(Array.from({ length: 7 }, () => dist.pick().id).join(""), "aabacaa");
});
