import { assertAlmostEquals, assertEquals } from "../../../tests/support/assert.ts";
import { FakeClock } from "../../../tests/support/fake_clock.ts";
import { createHistogram, type HistogramSnapshot } from "../../metrics/mod.ts";
import { mixQuantiles } from "./latency_mix.ts";

function window(values: number[]): HistogramSnapshot {
  const h = createHistogram(new FakeClock());
  for (const v of values) h.add(v);
  return h.snapshot();
}

function spread(from: number, to: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}

Deno.test("mixQuantiles() of no window, or only empty ones, is all zero", () => {
  assertEquals(mixQuantiles([]), { count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  assertEquals(mixQuantiles([window([])]).count, 0);
});

Deno.test("mixQuantiles() of one window is that window's quantiles, exactly", () => {
  const w = window(spread(1, 200, 500));
  assertEquals(mixQuantiles([w, window([])]), {
    count: 500,
    p50: w.p50,
    p95: w.p95,
    p99: w.p99,
    max: w.max,
  });
});

Deno.test("mixQuantiles() of two equal windows keeps their quantiles", () => {
  const a = window(spread(1, 100, 400));
  const m = mixQuantiles([a, a]);
  assertEquals(m.count, 800);
  assertAlmostEquals(m.p50, a.p50, 1e-9);
  assertAlmostEquals(m.p95, a.p95, 1e-9);
  assertAlmostEquals(m.p99, a.p99, 1e-9);
});

Deno.test("mixQuantiles() weighs windows by count and respects jumps", () => {
  // 90 fast requests at 1 ms on one listener, 10 slow ones at 100 ms on another.
  const m = mixQuantiles([window(Array(90).fill(1)), window(Array(10).fill(100))]);
  assertEquals(m.count, 100);
  assertAlmostEquals(m.p50, 1, 0.02);
  assertAlmostEquals(m.p95, 100, 1);
  assertAlmostEquals(m.p99, 100, 1);
  assertAlmostEquals(m.max, 100, 1e-9);
});

Deno.test("mixQuantiles() of overlapping windows lands between them", () => {
  const fast = window(spread(1, 10, 300));
  const slow = window(spread(5, 50, 300));
  const m = mixQuantiles([fast, slow]);
  assertEquals(m.count, 600);
  const lo = Math.min(fast.p50, slow.p50);
  const hi = Math.max(fast.p50, slow.p50);
  assertEquals(m.p50 > lo && m.p50 < hi, true, `p50 ${m.p50} in (${lo}, ${hi})`);
  assertEquals(m.p50 <= m.p95 && m.p95 <= m.p99 && m.p99 <= m.max, true);
});
