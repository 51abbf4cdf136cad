/**
 * Percentiles of several latency windows taken together, for the dashboard's TOP LINE when a
 * process has more than one listener.
 *
 * A histogram only hands out its window's summary (count, min, max and a few quantiles), not the
 * sketch, so the union of several windows cannot be merged exactly. Each summary is read as a
 * piecewise-linear CDF through its known points — (min, 0), (p50, .5), (p90, .9), (p95, .95),
 * (p99, .99), (p99.9, .999), (max, 1) — and the CDFs are mixed, weighted by count; the quantile
 * of the mix is found by linear interpolation between knots. With one non-empty window the answer
 * is that window's own quantile, exactly.
 *
 * @module
 */
import type { HistogramSnapshot } from "../../metrics/mod.ts";

/** The quantiles the dashboard shows. */
export interface LatencyQuantiles {
  /** Samples in all windows. */
  readonly count: number;
  /** Median, ms (0 when empty). */
  readonly p50: number;
  /** 95th percentile, ms. */
  readonly p95: number;
  /** 99th percentile, ms. */
  readonly p99: number;
  /** Largest sample, ms. */
  readonly max: number;
}

const LEVELS = [0, 0.5, 0.9, 0.95, 0.99, 0.999, 1] as const;

function knots(s: HistogramSnapshot): number[] {
  const xs = [s.min, s.p50, s.p90, s.p95, s.p99, s.p9990, s.max];
  for (let i = 1; i < xs.length; i++) xs[i] = Math.max(xs[i] as number, xs[i - 1] as number);
  return xs;
}

/** The piecewise-linear CDF through one summary's knots at `x`, right-continuous at ties. */
function cdf(xs: readonly number[], x: number): number {
  const n = xs.length;
  if (x < (xs[0] as number)) return 0;
  if (x >= (xs[n - 1] as number)) return 1;
  let k = 0; // the last knot at or below x: the top level of a tie
  while ((xs[k + 1] as number) <= x) k++;
  return lerp(xs, k, x);
}

/** The same CDF's left limit at `x` (below a jump, where several knots tie at `x`). */
function cdfBelow(xs: readonly number[], x: number): number {
  const n = xs.length;
  if (x <= (xs[0] as number)) return 0;
  if (x > (xs[n - 1] as number)) return 1;
  let k = 0; // the last knot strictly below x
  while ((xs[k + 1] as number) < x) k++;
  return lerp(xs, k, x);
}

/** Level at `x` on the segment from knot `k` to knot `k + 1` (which are apart). */
function lerp(xs: readonly number[], k: number, x: number): number {
  const x0 = xs[k] as number;
  const x1 = xs[k + 1] as number;
  const f0 = LEVELS[k] as number;
  const f1 = LEVELS[k + 1] as number;
  return f0 + (f1 - f0) * (x - x0) / (x1 - x0);
}

/**
 * p50/p95/p99/max of the union of several latency windows (see the module doc).
 *
 * @param windows Window summaries, e.g. every listener's `request_latency_ms.snapshot()`.
 * @returns The mixed quantiles; all 0 when every window is empty.
 * @example
 * ```ts
 * import { mixQuantiles } from "./latency_mix.ts";
 * import { createHistogram } from "../../metrics/mod.ts";
 * const h = createHistogram({ now: Date.now, mono: () => 0, setTimer: () => () => {}, random: Math.random });
 * h.add(5);
 * mixQuantiles([h.snapshot()]).p99; // 5
 * ```
 */
export function mixQuantiles(windows: readonly HistogramSnapshot[]): LatencyQuantiles {
  const live = windows.filter((w) => w.count > 0);
  const count = live.reduce((a, w) => a + w.count, 0);
  if (live.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const max = Math.max(...live.map((w) => w.max));
  if (live.length === 1) {
    const w = live[0] as HistogramSnapshot;
    return { count, p50: w.p50, p95: w.p95, p99: w.p99, max };
  }
  const shapes = live.map((w) => ({ xs: knots(w), weight: w.count / count }));
  const all = [...new Set(shapes.flatMap((s) => s.xs))].sort((a, b) => a - b);
  const mix = (f: typeof cdf, x: number) => shapes.reduce((a, s) => a + s.weight * f(s.xs, x), 0);
  // The mix is linear between knots and may jump at one: keep both sides of each knot.
  const at = all.map((x) => mix(cdf, x));
  const below = all.map((x) => mix(cdfBelow, x));
  const quantile = (q: number): number => {
    for (let i = 0; i < all.length; i++) {
      const x1 = all[i] as number;
      const fb = below[i] as number;
      if (i > 0 && q < fb) {
        const x0 = all[i - 1] as number;
        const f0 = at[i - 1] as number;
        return x0 + (x1 - x0) * (q - f0) / (fb - f0);
      }
      if (q <= (at[i] as number)) return x1;
    }
    return max;
  };
  return { count, p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99), max };
}
