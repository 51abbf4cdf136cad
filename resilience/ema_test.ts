import { assertAlmostEquals, assertEquals } from "../tests/support/assert.ts";
import { Ema } from "./ema.ts";
import { LatencyEstimate } from "./latency_estimate.ts";

Deno.test("Ema weighs a sample by the time since the previous one", () => {
  const e = new Ema(10);
  assertEquals(e.isEmpty, true);
  assertEquals(e.update(5, 1), 1);
  assertAlmostEquals(e.update(6, 0), Math.exp(-1 / 10), 1e-12);
  assertAlmostEquals(e.update(6, 0), Math.exp(-1 / 10), 1e-12); // Δt = 0: no weight
  e.reset();
  assertEquals(e.isEmpty, true);
  assertEquals(e.last, 0);
});

Deno.test("LatencyEstimate averages attempt latencies", () => {
  const est = new LatencyEstimate(4);
  assertEquals(est.estimateMs(), 0);
  est.observe(100);
  assertEquals(est.estimateMs(), 100);
  for (let i = 0; i < 50; i++) est.observe(10);
  assertAlmostEquals(est.estimateMs(), 10, 0.01);
});
