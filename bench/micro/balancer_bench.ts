/**
 * Cost of one balancer pick (`p2c`, Linkerd's default): two weighted draws and a load
 * comparison, through the shared `Balancer` (maxEffort, panic mode) and through the bare
 * distributor, for 2, 10 and 100 endpoints; round robin for contrast.
 *
 * Run: `deno bench bench/micro/balancer_bench.ts`
 *
 * @module
 */
import { createBalancer, endpointNode, p2c } from "../../resilience/balancer/mod.ts";
import { systemClock } from "../../router/core/clock.ts";
import type { Node } from "../../router/core/service.ts";

const ok = () => Promise.resolve(new Response("ok"));

function nodes(n: number, weighted = false): Node[] {
  return Array.from(
    { length: n },
    (_, i) =>
      endpointNode({ id: `10.0.0.${i}:8080`, weight: weighted ? 1 + (i % 3) : 1, call: ok }),
  );
}

for (const n of [2, 10, 100]) {
  const b = createBalancer("p2c", {}, systemClock);
  b.update(nodes(n));
  Deno.bench({
    name: `createBalancer("p2c").pick() over ${n} endpoints`,
    group: "p2c",
    baseline: n === 2,
  }, () => {
    b.pick();
  });
}

const weighted = createBalancer("p2c", {}, systemClock);
weighted.update(nodes(10, true));
Deno.bench(
  { name: 'createBalancer("p2c").pick() over 10 weighted endpoints', group: "p2c" },
  () => {
    weighted.pick();
  },
);

const dist = p2c(Math.random);
dist.update(nodes(10));
Deno.bench({ name: "p2c().pick() (bare distributor) over 10 endpoints", group: "p2c" }, () => {
  dist.pick();
});

const rr = createBalancer("roundRobin", {}, systemClock);
rr.update(nodes(10));
Deno.bench({ name: 'createBalancer("roundRobin").pick() over 10 endpoints', group: "p2c" }, () => {
  rr.pick();
});
