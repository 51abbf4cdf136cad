import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { balancerService, createBalancer } from "./balancer.ts";
import { p2c } from "./p2c.ts";
import { balancerCases } from "./_cases.ts";
import { simNode } from "./_sim.ts";
import { testCtx } from "../_testing.ts";

balancerCases("p2c", (clock) => createBalancer("p2c", {}, clock), { tolerance: 0.03 });

Deno.test("p2c() sends to the less loaded of the two candidates", () => {
  const clock = new FakeClock();
  const a = simNode(clock, "a"), b = simNode(clock, "b");
  a.outstanding = 3;
  const dist = p2c(() => clock.random());
  dist.update([a, b]);
  for (let i = 0; i < 50; i++) assertEquals(dist.pick(), b);
});

Deno.test("p2c() never compares a node with itself", () => {
  const clock = new FakeClock();
  const a = simNode(clock, "a"), b = simNode(clock, "b");
  b.outstanding = 1;
  const dist = p2c(() => clock.random());
  dist.update([a, b]);
  // With two nodes the candidates are always {a, b}: the idle one always wins.
  for (let i = 0; i < 100; i++) assertEquals(dist.pick(), a);
});

Deno.test("p2c() divides load by weight", () => {
  const clock = new FakeClock();
  const light = simNode(clock, "light", { weight: 1 }),
    heavy = simNode(clock, "heavy", { weight: 4 });
  light.outstanding = 1;
  heavy.outstanding = 3; // 3/4 < 1/1
  const dist = p2c(() => clock.random());
  dist.update([light, heavy]);
  assertEquals(dist.pick(), heavy);
});

Deno.test("p2c() gives a zero-weight node traffic only when it is alone", async () => {
  const clock = new FakeClock({ seed: 9 });
  const b = createBalancer("p2c", {}, clock);
  const zero = simNode(clock, "zero", { weight: 0 }), one = simNode(clock, "one");
  b.update([zero, one]);
  const svc = balancerService(b);
  for (let i = 0; i < 100; i++) await svc(new Request("http://a/"), testCtx(clock));
  assertEquals(zero.calls, 0);
  b.update([zero]);
  await svc(new Request("http://a/"), testCtx(clock));
  assert(zero.calls === 1);
});
