import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import type { Node } from "../../router/core/service.ts";
import { BALANCER_KINDS, balancerOf, balancerService, createBalancer } from "./balancer.ts";
import type { Distributor } from "./distributor.ts";
import { simNode } from "./_sim.ts";
import { testCtx } from "../_testing.ts";

/** A distributor that returns a scripted sequence of nodes and counts its picks. */
function scripted(order: () => Node): Distributor & { picks: number } {
  const d: Distributor & { picks: number } = {
    picks: 0,
    kind: "scripted",
    update: (nodes: readonly Node[]) => nodes,
    pick: () => (d.picks++, order()),
  };
  return d;
}

Deno.test("balancerOf() re-picks up to maxEffort times while the pick is not open", () => {
  const clock = new FakeClock();
  const busy = simNode(clock, "busy", { state: "busy" });
  const open = simNode(clock, "open");
  let n = 0;
  const dist = scripted(() => (n++ < 3 ? busy : open));
  const b = balancerOf(dist, { maxEffort: 5 });
  b.update([busy, open]);
  assertEquals(b.pick(), open);
  assertEquals(dist.picks, 4);
});

Deno.test("balancerOf() falls back to the least loaded open node after maxEffort", () => {
  const clock = new FakeClock();
  const busy = simNode(clock, "busy", { state: "busy" });
  const loaded = simNode(clock, "loaded");
  const idle = simNode(clock, "idle");
  loaded.outstanding = 5;
  const dist = scripted(() => busy);
  const b = balancerOf(dist, { maxEffort: 2 });
  b.update([busy, loaded, idle]);
  assertEquals(b.pick(), idle);
  assertEquals([dist.picks, b.panicCount], [3, 0]);
  const none = scripted(() => busy);
  const zero = balancerOf(none, { maxEffort: 0 });
  zero.update([busy, idle]);
  assertEquals(zero.pick(), idle);
  assertEquals(none.picks, 1);
});

Deno.test("balancerOf() panics without re-picking when no node is open", () => {
  const clock = new FakeClock();
  const a = simNode(clock, "a", { state: "busy" }), c = simNode(clock, "c", { state: "closed" });
  let panics = 0;
  const dist = scripted(() => a);
  const b = balancerOf(dist, { maxEffort: 5, onPanic: () => panics++ });
  b.update([a, c]);
  assertEquals(b.pick(), a);
  assertEquals([dist.picks, b.panicCount, panics, b.available], [1, 1, 1, 0]);
});

Deno.test("balancerOf() defaults maxEffort to 5", () => {
  const clock = new FakeClock();
  const busy = simNode(clock, "busy", { state: "busy" });
  const open = simNode(clock, "open");
  const dist = scripted(() => busy);
  const b = balancerOf(dist);
  b.update([busy, open]);
  b.pick();
  assertEquals(dist.picks, 6);
});

Deno.test("createBalancer() knows every Linkerd kind and rejects others", () => {
  const clock = new FakeClock();
  for (const kind of BALANCER_KINDS) {
    const b = createBalancer(kind, {}, clock);
    b.update([simNode(clock, "a")]);
    assertEquals(b.pick().id, "a");
  }
  let threw = false;
  try {
    createBalancer("leastConnections", {}, clock);
  } catch {
    threw = true;
  }
  assert(threw);
});

Deno.test("createBalancer() passes maxEffort through", () => {
  const clock = new FakeClock({ seed: 11 });
  const b = createBalancer("roundRobin", { maxEffort: 0 }, clock);
  const busy = simNode(clock, "busy", { state: "busy" });
  const open = simNode(clock, "open");
  b.update([busy, open]);
  assertEquals([b.pick().id, b.pick().id], ["open", "open"]);
});

Deno.test("balancerService() uses a custom no-hosts error", async () => {
  const clock = new FakeClock();
  const svc = balancerService(createBalancer("p2c", {}, clock), {
    noHosts: (ctx) => new Error(`none for ${ctx.dstStr}`),
  });
  let message = "";
  await svc(new Request("http://a/"), testCtx(clock)).catch((e: Error) => (message = e.message));
  assertEquals(message, "none for /svc/hello");
});
