import { assert, assertEquals, assertRelative, assertThrows } from "./_assert.ts";
import {
  addFrozen,
  addSamples,
  addSketch,
  BinSlab,
  createHistogram,
  detachHistogram,
  freeze,
  histogramConfig,
  histogramWith,
  HotArena,
  newSketch,
  resetSketch,
  seedBucketCount,
  sketchLayoutHolds,
  sketchSnapshot,
  widen,
} from "./histogram.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { createRegistry } from "./registry.ts";
import { prng as rng } from "../../tests/support/prng.ts";

/** Log-normal latencies: median e ≈ 2.7 ms, long tail into the hundreds of ms. */
function latencies(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return Math.exp(1 + 1.2 * z);
  });
}

Deno.test("createHistogram() percentiles are within 1% of the exact ones", () => {
  const h = createHistogram(new FakeClock());
  const xs = latencies(100_000, 42);
  for (const x of xs) h.add(x);
  const sorted = [...xs].sort((a, b) => a - b);
  const exact = (q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;
  const s = h.snapshot();
  assertRelative(s.p50, exact(0.5), 0.01, "p50");
  assertRelative(s.p90, exact(0.9), 0.01, "p90");
  assertRelative(s.p95, exact(0.95), 0.01, "p95");
  assertRelative(s.p99, exact(0.99), 0.01, "p99");
  assertRelative(s.p9990, exact(0.999), 0.01, "p9990");
  assertRelative(s.p9999, exact(0.9999), 0.01, "p9999");
  assertEquals(s.min, sorted[0]);
  assertEquals(s.max, sorted[sorted.length - 1]);
  assertEquals(s.count, xs.length);
  const sum = xs.reduce((a, b) => a + b, 0);
  assertRelative(s.sum, sum, 1e-9, "sum");
  assertRelative(s.avg, sum / xs.length, 1e-9, "avg");
});

Deno.test("createHistogram() percentiles stay accurate across merged window slices", () => {
  const clock = new FakeClock();
  const h = createHistogram(clock, { windowMs: 60_000, slices: 6 });
  const xs = latencies(60_000, 7);
  xs.forEach((x, i) => {
    if (i % 10_000 === 0 && i > 0) clock.advance(9_000); // spread over 5 slices, all in the window
    h.add(x);
  });
  const sorted = [...xs].sort((a, b) => a - b);
  const s = h.snapshot();
  assertEquals(s.count, xs.length);
  assertRelative(s.p99, sorted[Math.floor(0.99 * (sorted.length - 1))] as number, 0.01, "p99");
  assertRelative(s.p50, sorted[Math.floor(0.5 * (sorted.length - 1))] as number, 0.01, "p50");
});

Deno.test("createHistogram() window slides: old slices drop out, lifetime totals stay", () => {
  const clock = new FakeClock();
  const h = createHistogram(clock, { windowMs: 60_000, slices: 6 });
  for (let i = 0; i < 100; i++) h.add(1);
  clock.advance(30_000);
  for (let i = 0; i < 100; i++) h.add(50);
  assertEquals([h.snapshot().count, h.snapshot().min, h.snapshot().max], [200, 1, 50]);
  clock.advance(29_999); // t = 59 999: the t=0 slice is still in
  assertEquals(h.snapshot().count, 200);
  clock.advance(1); // t = 60 000: it is out
  const s = h.snapshot();
  assertEquals([s.count, s.min, s.p50, s.max], [100, 50, 50, 50]);
  clock.advance(29_999); // t = 89 999
  assertEquals(h.snapshot().count, 100);
  clock.advance(1); // t = 90 000: everything is older than the window
  assertEquals(h.snapshot(), {
    count: 0,
    sum: 0,
    avg: 0,
    min: 0,
    max: 0,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    p9990: 0,
    p9999: 0,
  });
  assertEquals([h.totalCount, h.totalSum], [200, 100 + 5000]);
});

Deno.test("createHistogram() survives a clock jump of hours", () => {
  const clock = new FakeClock();
  const h = createHistogram(clock);
  h.add(3);
  clock.advance(5 * 3600_000 + 1234);
  assertEquals(h.snapshot().count, 0);
  h.add(7);
  clock.advance(10_000);
  h.add(9);
  const s = h.snapshot();
  assertEquals([s.count, s.min, s.max], [2, 7, 9]);
});

Deno.test("createHistogram() buckets() are cumulative, le inclusive, +Inf last", () => {
  const h = createHistogram(new FakeClock(), { bucketsMs: [1, 5, 10] });
  for (const x of [0.5, 1, 3, 10, 11]) h.add(x);
  assertEquals(h.buckets(), { le: [1, 5, 10], counts: [2, 3, 4, 5], count: 5, sum: 25.5 });
});

Deno.test("createHistogram() counts negative and NaN samples as 0", () => {
  const h = createHistogram(new FakeClock());
  h.add(-5);
  h.add(Number.NaN);
  const s = h.snapshot();
  assertEquals([s.count, s.sum, s.min, s.max, s.p99], [2, 0, 0, 0, 0]);
  assertEquals(h.buckets().counts[0], 2);
});

Deno.test("createHistogram() quantiles of one sample are that sample", () => {
  const h = createHistogram(new FakeClock());
  h.add(3.25);
  const s = h.snapshot();
  for (const v of [s.min, s.p50, s.p90, s.p95, s.p99, s.p9990, s.p9999, s.max]) {
    assertEquals(v, 3.25);
  }
});

Deno.test("createHistogram() takes extreme values in stride", () => {
  const h = createHistogram(new FakeClock());
  for (const x of [1e-300, 5e-324, 1e-9, 1, 1e12]) h.add(x);
  const s = h.snapshot();
  assertEquals(s.count, 5);
  assert(s.max === 1e12 && s.min === 5e-324);
});

Deno.test("createHistogram() rejects a bad window or unsorted buckets", () => {
  const c = new FakeClock();
  assertThrows(() => createHistogram(c, { windowMs: 0 }), RangeError);
  assertThrows(() => createHistogram(c, { slices: 0 }), RangeError);
  assertThrows(() => createHistogram(c, { slices: 1.5 }), RangeError);
  assertThrows(() => createHistogram(c, { bucketsMs: [5, 1] }), RangeError);
});

Deno.test("createHistogram() snapshots equal a sketch of the same samples, few or many per slice", async () => {
  const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
  for (const perSlice of [1, 2, 16, 17, 40]) {
    const clock = new FakeClock();
    const h = createHistogram(clock, { windowMs: 60_000, slices: 6 });
    const ref = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
    const random = rng(perSlice);
    for (let slice = 0; slice < 3; slice++) {
      const sk = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
      for (let i = 0; i < perSlice; i++) {
        const v = random() * 50;
        h.add(v);
        sk.accept(v);
      }
      ref.merge(sk);
      clock.advance(10_000);
    }
    const s = h.snapshot();
    const r = sketchSnapshot(ref); // one sketch of the same samples
    assertEquals(
      [s.count, s.sum, s.min, s.max, s.p50, s.p90, s.p99, s.p9999],
      [r.count, r.sum, r.min, r.max, r.p50, r.p90, r.p99, r.p9999],
    );
  }
});

Deno.test("createHistogram() drops expired slices of its first samples before making the ring", () => {
  const clock = new FakeClock();
  const h = createHistogram(clock, { windowMs: 60_000, slices: 6 });
  for (let i = 0; i < 10; i++) h.add(100); // t = 0: a flat list of samples
  clock.advance(60_000); // out of the window
  for (let i = 0; i < 10; i++) h.add(1);
  clock.advance(10_000);
  for (let i = 0; i < 10; i++) h.add(2); // 20 in the window: now a ring of slices
  let s = h.snapshot();
  assertEquals([s.count, s.min, s.max, s.sum], [20, 1, 2, 30]);
  clock.advance(50_000); // the slice of the 1s leaves
  s = h.snapshot();
  assertEquals([s.count, s.min, s.max], [10, 2, 2]);
  assertEquals([h.totalCount, h.totalSum], [30, 1030]);
  assertEquals(h.buckets().counts.at(-1), 30);
});

Deno.test("createHistogram() reuses expired slices' sketches and answers as new ones would", async () => {
  const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
  assert(sketchLayoutHolds(), "the load-time check of the library's sketches passes");
  const clock = new FakeClock();
  const h = createHistogram(clock, { windowMs: 60_000, slices: 6 });
  const random = rng(7);
  const slices: number[][] = [];
  // Each slice's values span a different range, so a reused store has to extend both ways.
  const scales = [1, 400, 0.05, 20, 3000, 0.5, 80];
  for (let k = 0; k < 20; k++) {
    const n = 10 + (k % 4) * 15; // 10, 25, 40, 55: lists and sketches both
    const vs: number[] = [];
    for (let i = 0; i < n; i++) vs.push(random() * (scales[k % scales.length] as number));
    for (const v of vs) h.add(v);
    slices.push(vs);
    const ref = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
    for (const v of slices.slice(-6).flat()) ref.accept(v);
    const s = h.snapshot();
    const r = sketchSnapshot(ref); // one sketch of the same samples
    assertEquals(
      [s.count, s.min, s.max, s.p50, s.p90, s.p99, s.p9999],
      [r.count, r.min, r.max, r.p50, r.p90, r.p99, r.p9999],
    );
    assertRelative(s.sum, ref.sum, 1e-9);
    clock.advance(10_000);
  }
});

Deno.test("createHistogram() percentiles are nearest-rank, as Finagle's", () => {
  const h = createHistogram(new FakeClock());
  for (let v = 1; v <= 10; v++) h.add(v * 10);
  const s = h.snapshot();
  const near = (x: number, want: number) => Math.abs(x - want) <= want * 0.01;
  // ceil(p × 10)-th smallest: p50 → 5th, p90 → 9th, p95/p99/p9999 → 10th.
  assert(near(s.p50, 50) && near(s.p90, 90), JSON.stringify(s));
  assert(near(s.p95, 100) && near(s.p99, 100) && near(s.p9999, 100), JSON.stringify(s));
  const three = createHistogram(new FakeClock());
  for (const v of [3, 4, 12]) three.add(v);
  assert(near(three.snapshot().p99, 12) && near(three.snapshot().p50, 4));
});

Deno.test("createHistogram() buffered samples land in their own slice and reach every reader", async () => {
  const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
  const clock = new FakeClock();
  const h = createHistogram(clock, { windowMs: 60_000, slices: 6, bucketsMs: [1, 10, 100] });
  const random = rng(11);
  const slices: number[][] = [];
  for (let k = 0; k < 9; k++) {
    // Past the first list (a sketch, then buffered samples), never a whole buffer at the end, and
    // no reader between slices: what is pending when the slice ends must stay in that slice.
    const vs = Array.from({ length: 21 + k * 5 }, () => random() * (k % 2 ? 5 : 500));
    for (const v of vs) h.add(v);
    slices.push(vs);
    clock.advance(10_000);
  }
  const ref = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
  for (const v of slices.slice(-5).flat()) ref.accept(v); // the window: slices 4…8 and the new one
  const s = h.snapshot();
  const r = sketchSnapshot(ref);
  assertEquals(
    [s.count, s.min, s.max, s.p50, s.p90, s.p99, s.p9999],
    [r.count, r.min, r.max, r.p50, r.p90, r.p99, r.p9999],
  );
  const all = slices.flat();
  assertEquals(h.totalCount, all.length);
  const le = (b: number) => all.filter((v) => v <= b).length;
  assertEquals(h.buckets().counts, [le(1), le(10), le(100), all.length]);
  // Samples still pending are in the lifetime totals and the buckets at once.
  for (let i = 0; i < 40; i++) h.add(0.5);
  assertEquals(h.totalCount, all.length + 40);
  assertEquals(h.buckets().counts[0], le(1) + 40);
  assertEquals(h.snapshot().count, r.count + 40);
});

Deno.test("a reused window sketch does not keep an outlier's range for good", () => {
  const binsOf = (s: ReturnType<typeof newSketch>) =>
    (s.store as unknown as { bins: number[] }).bins.length;
  const s = newSketch(0.01);
  // One slice with a 5 s outlier among 0.2 ms latencies: ~600 keys wide.
  for (const v of [0.2, 0.25, 0.3, 5000]) s.accept(v);
  resetSketch(s);
  const wide = binsOf(s);
  assert(wide > 500, `${wide} bins`);
  // The next slice is narrow: its reset lays the store out around it again.
  for (let i = 0; i < 200; i++) s.accept(0.2 + (i % 10) / 100);
  resetSketch(s);
  assert(binsOf(s) < 100, `${binsOf(s)} bins after a narrow slice (was ${wide})`);
  // And it still answers as a new sketch does, inside and outside its new range.
  const fresh = newSketch(0.01);
  for (const v of [0.21, 0.22, 0.5, 40, 0.01, 0]) {
    s.accept(v);
    fresh.accept(v);
  }
  for (const q of [0, 0.5, 0.9, 0.99, 1]) {
    assertEquals(s.getValueAtQuantile(q), fresh.getValueAtQuantile(q), `q=${q}`);
  }
});

Deno.test("widen() lays a sketch's bins out once per new extreme and answers as a new sketch", () => {
  const store = (s: ReturnType<typeof newSketch>) =>
    s.store as unknown as { bins: number[]; offset: number };
  const random = rng(11);
  // A rising tail and a falling floor: 400 samples whose range keeps growing both ways.
  const values: number[] = [];
  for (let i = 0; i < 400; i++) values.push((0.3 + random()) * Math.pow(1.02, i % 2 ? i : -i / 4));
  const widened = newSketch(0.01), plain = newSketch(0.01), fresh = newSketch(0.01);
  widened.accept(values[0]!);
  plain.accept(values[0]!);
  const arrays = (s: ReturnType<typeof newSketch>, widenFirst: boolean) => {
    const seen = new Set<number[]>();
    for (const v of values.slice(1)) {
      if (widenFirst && !(v >= s.min && v <= s.max)) widen(s, v);
      s.accept(v);
      seen.add(store(s).bins);
    }
    return seen.size;
  };
  for (const v of values) fresh.accept(v);
  const laidOut = arrays(widened, true), grown = arrays(plain, false);
  // The library re-centres its bins into new arrays a chunk of keys at a time.
  assert(laidOut * 2 < grown, `${laidOut} bin arrays with widen(), ${grown} without`);
  const a = sketchSnapshot(widened), b = sketchSnapshot(fresh);
  assertEquals(a, b);
  // Inside the bins, or collapsed, or past the bin limit: nothing to do.
  const before = store(widened).bins;
  widen(widened, widened.max);
  assert(store(widened).bins === before);
  widen(widened, 1e300); // ~35 000 keys away: past BIN_LIMIT, left to the library
  assert(store(widened).bins === before);
});

for (const pooled of [false, true]) {
  Deno.test(`createHistogram() counts past 255 samples of one key in a slice (8-bit bins widen)${pooled ? " (slab)" : ""}`, async () => {
    const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
    const clock = new FakeClock();
    const options = { windowMs: 60_000, slices: 2 };
    const h = pooled
      ? histogramWith(histogramConfig(clock, options))
      : createHistogram(clock, options);
    const ref = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
    // Slice by slice: 300 samples of one key (past 8 bits) and a spread; then 100 of them (the
    // reused sketch's bins stay wide); then the window's last two slices are checked.
    const counts = [300, 100, 600];
    for (let slice = 0; slice < counts.length; slice++) {
      if (slice > 0) clock.advance(30_000);
      for (let i = 0; i < counts[slice]!; i++) h.add(2);
      for (let i = 1; i <= 50; i++) h.add(i * 0.41);
      if (slice === 0) continue;
      for (let i = 0; i < counts[slice]!; i++) ref.accept(2);
      for (let i = 1; i <= 50; i++) ref.accept(i * 0.41);
    }
    const s = h.snapshot(), r = sketchSnapshot(ref);
    assertEquals(
      [s.count, s.min, s.max, s.p50, s.p90, s.p99, s.p9990, s.p9999],
      [r.count, r.min, r.max, r.p50, r.p90, r.p99, r.p9990, r.p9999],
    );
    // A wrapped 8-bit count (600 as 88) would have put the median among the spread.
    assert(Math.abs(s.p50 - 2) < 0.02, `p50 ${s.p50}`);
  });
}

for (const pooled of [false, true]) {
  Deno.test(`createHistogram() counts past 65 535 samples of one key in a slice (16-bit bins widen)${pooled ? " (slab)" : ""}`, async () => {
    const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
    const clock = new FakeClock();
    const options = { windowMs: 60_000, slices: 2 };
    const h = pooled
      ? histogramWith(histogramConfig(clock, options))
      : createHistogram(clock, options);
    const ref = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
    // One key past 16 bits, and a spread around it: in the first slice's sketch, then in the
    // reused one of the next two (the window at the end holds the last two).
    for (let slice = 0; slice < 3; slice++) {
      if (slice > 0) clock.advance(30_000);
      for (let i = 0; i < 70_000; i++) h.add(1);
      for (let i = 1; i <= 200; i++) h.add(i * 0.37);
      if (slice === 0) continue;
      for (let i = 0; i < 70_000; i++) ref.accept(1);
      for (let i = 1; i <= 200; i++) ref.accept(i * 0.37);
    }
    const s = h.snapshot(), r = sketchSnapshot(ref);
    assertEquals(
      [s.count, s.min, s.max, s.p50, s.p90, s.p99, s.p9990, s.p9999],
      [r.count, r.min, r.max, r.p50, r.p90, r.p99, r.p9990, r.p9999],
    );
    assert(Math.abs(s.p50 - 1) < 0.01, `p50 ${s.p50}`);
  });
}

Deno.test("window sketches share one frozen empty negative store", () => {
  const a = newSketch(0.01), b = newSketch(0.01);
  assert(a.negativeStore === b.negativeStore);
  assertThrows(() => a.accept(-1), TypeError); // never lands in every sketch
  assertEquals(b.negativeStore.count, 0);
  resetSketch(a); // resetting skips it
  const h = createHistogram(new FakeClock());
  for (let i = 0; i < 40; i++) h.add(-i); // `add` counts a negative as 0
  assertEquals([h.snapshot().count, h.snapshot().max], [40, 0]);
});

Deno.test("freeze()/addFrozen() add what addSketch() adds of the sketch frozen", () => {
  const random = rng(5);
  // Counts per key below 256 (a one-byte string), below 65 536 (two-byte), and above (a list).
  for (const repeat of [1, 300, 70_000]) {
    const sk = newSketch(0.01);
    for (let i = 0; i < 40; i++) {
      const v = i === 0 ? 0 : 0.1 + random() * (i % 7 === 0 ? 900 : 3);
      for (let r = 0; r < (i < 3 ? repeat : 1); r++) sk.accept(v);
    }
    const frozen = freeze(sk);
    assert(frozen !== null);
    assertEquals(typeof frozen === "string", repeat < 65_536, `repeat ${repeat}`);
    // One byte per key and head byte while the counts fit 8 bits: the 48-character head (six
    // float64s) and one character per key from the first to the last non-empty one.
    if (typeof frozen === "string" && repeat === 1) {
      assert(frozen.length > 48 && frozen.length < 48 + 2048);
    }
    const a = newSketch(0.01), b = newSketch(0.01);
    // Into sketches that already hold samples, as a snapshot adds slice after slice.
    for (const m of [a, b]) for (const v of [0.5, 2, 7000]) m.accept(v);
    addSketch(a, sk);
    addFrozen(b, frozen);
    assertEquals(sketchSnapshot(b), sketchSnapshot(a));
    assertEquals(b.zeroCount, a.zeroCount);
  }
  // An empty sketch leaves nothing to keep; one of zeros only keeps their count.
  assertEquals(freeze(newSketch(0.01)), null);
  const zeros = newSketch(0.01);
  for (let i = 0; i < 3; i++) zeros.accept(0);
  const a = newSketch(0.01), b = newSketch(0.01);
  addSketch(a, zeros);
  addFrozen(b, freeze(zeros));
  assertEquals([sketchSnapshot(b), b.zeroCount], [sketchSnapshot(a), 3]);
});

Deno.test("addSketch()/addSamples() give what the library's merge of the same gives", async () => {
  const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
  const random = rng(11);
  for (const [a, b] of [[0, 40], [40, 0], [25, 300], [300, 25], [1, 1]] as const) {
    const xs = Array.from({ length: a }, () => random() * 80);
    const ys = Array.from({ length: b }, (_, i) => i % 7 === 0 ? 0 : random() * 4000);
    const sx = newSketch(0.01), sy = newSketch(0.01);
    for (const v of xs) sx.accept(v);
    for (const v of ys) sy.accept(v);
    // The library's own sketch: a window sketch shares a frozen negative store, which the
    // library's merge into an empty sketch would overwrite (window sketches use addSketch).
    const merged = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
    merged.merge(sx);
    merged.merge(sy);
    // A used sketch, emptied (as the shared scratch is), then added to.
    const added = newSketch(0.01);
    for (const v of [0.001, 9e4]) added.accept(v);
    resetSketch(added);
    addSketch(added, sx);
    addSamples(added, ys);
    assertEquals(sketchSnapshot(added), sketchSnapshot(merged));
  }
});

Deno.test("snapshot() through the shared scratch sketch: histograms read in turn answer as alone", async () => {
  const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
  const clock = new FakeClock();
  // Far apart ranges and sizes: lists, sketches, a window of two slices.
  const specs = [[0.05, 500], [3000, 20], [2, 5], [40, 140]] as const;
  const hs = specs.map(() => createHistogram(clock, { windowMs: 60_000, slices: 2 }));
  const samples = specs.map(() => [] as number[]);
  const random = rng(5);
  for (let round = 0; round < 3; round++) {
    specs.forEach(([scale, n], i) => {
      for (let k = 0; k < n; k++) {
        const v = random() * scale;
        hs[i]!.add(v);
        samples[i]!.push(v);
      }
    });
    for (let pass = 0; pass < 2; pass++) {
      hs.forEach((h, i) => {
        const ref = new LogCollapsingLowestDenseDDSketch({
          relativeAccuracy: 0.01,
          binLimit: 2048,
        });
        // The window: this round's slice and the one before (30 s each).
        const n = specs[i]![1];
        for (const v of samples[i]!.slice(-2 * n)) ref.accept(v);
        const s = h.snapshot(), r = sketchSnapshot(ref);
        assertEquals([s.count, s.min, s.max, s.p50, s.p99, s.p9999], [
          r.count,
          r.min,
          r.max,
          r.p50,
          r.p99,
          r.p9999,
        ]);
        assertRelative(s.sum, r.sum, 1e-12);
      });
    }
    clock.advance(30_000);
  }
});

Deno.test("window sketches mounted in turn: histograms fed interleaved answer as sketches of their own", async () => {
  const { LogCollapsingLowestDenseDDSketch } = await import("@datadog/sketches-js");
  const clock = new FakeClock();
  const registry = createRegistry({ processStats: false, clock });
  // Ranges far apart: a leak of one histogram's numbers or bins into another's shows.
  const scales = [0.02, 1, 30, 700, 20_000];
  const hs = scales.map((_, i) => registry.histogram(["rt", `h${i}`], "request_latency_ms"));
  const alone = scales.map(() => createHistogram(clock));
  const random = rng(23);
  let last: number[][] = scales.map(() => []);
  for (let slice = 0; slice < 4; slice++) {
    const now: number[][] = scales.map(() => []);
    for (let k = 0; k < 600; k++) {
      const i = Math.floor(random() * scales.length);
      // Zeros too: a sketch whose minimum is a zero-counted sample checks every key.
      const v = random() < 0.05 ? 0 : random() * scales[i]!;
      hs[i]!.add(v);
      alone[i]!.add(v);
      now[i]!.push(v);
    }
    hs.forEach((h, i) => {
      // The window (two 30 s slices): the last slice's samples and this one's.
      const ref = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 2048 });
      for (const v of [...last[i]!, ...now[i]!]) ref.accept(v);
      const s = h.snapshot(), r = sketchSnapshot(ref);
      assertEquals(
        [s.count, s.min, s.max, s.p50, s.p90, s.p99, s.p9999],
        [r.count, r.min, r.max, r.p50, r.p90, r.p99, r.p9999],
      );
      assertRelative(s.sum, r.sum, 1e-12);
      assertEquals(s, alone[i]!.snapshot());
    });
    last = now;
    clock.advance(30_000);
  }
});

Deno.test("HotArena hands out zeroed four-line slots and reuses the ones given back", () => {
  const arena = new HotArena();
  const a = arena.take(), b = arena.take();
  assert(a.chunk === b.chunk && b.offset - a.offset === 32, "adjacent slots of one chunk");
  a.chunk.fill(7, a.offset, a.offset + 32);
  arena.give(a.chunk, a.offset);
  const c = arena.take();
  assert(c.chunk === a.chunk && c.offset === a.offset, "the slot given back is taken next");
  assertEquals([...c.chunk.subarray(c.offset, c.offset + 32)], new Array(32).fill(0));
  for (let i = 0; i < 20; i++) arena.take(); // past the first chunk's 8 slots
});

Deno.test("a registry's histogram it drops keeps its numbers; its arena slot goes to the next one", () => {
  const clock = new FakeClock();
  const registry = createRegistry({ processStats: false, clock });
  const dropped = registry.histogram(["rt", "a"], "request_latency_ms");
  // Past the raw samples: a sketch, and buffered samples in the arena slot.
  for (let i = 1; i <= 40; i++) dropped.add(i);
  assertEquals(registry.removeScope!(["rt", "a"]), 1);
  dropped.add(41); // a holder may go on adding, unrendered
  const next = registry.histogram(["rt", "b"], "request_latency_ms");
  for (let i = 0; i < 40; i++) next.add(1000);
  assertEquals([dropped.totalCount, dropped.totalSum], [41, 41 * 42 / 2]);
  const s = dropped.snapshot();
  assertEquals([s.count, s.min, s.max], [41, 1, 41]);
  assertEquals([next.totalCount, next.totalSum, next.snapshot().max], [40, 40_000, 1000]);
  // The same through remove() of a prefix, and for the latency slot of a scope's stats.
  const other = registry.histogram(["rt", "c"], "x");
  for (let i = 0; i < 30; i++) other.add(2);
  registry.remove(["rt", "c"]);
  const more = registry.histogram(["rt", "d"], "x");
  more.add(5);
  other.add(2);
  assertEquals([other.totalCount, other.totalSum, other.snapshot().max], [31, 62, 2]);
  assertEquals([more.totalCount, more.totalSum], [1, 5]);
});

Deno.test("lifetime le counts: in the arena slot, past 2^32 - 1 in a list, more bounds in a list", () => {
  const clock = new FakeClock();
  const registry = createRegistry({ processStats: false, clock });
  const a = registry.histogram(["rt", "a"], "x"), b = registry.histogram(["rt", "b"], "x");
  for (const v of [0.5, 3, 3, 7000, 20_000]) a.add(v);
  b.add(1.5);
  // Cumulative, le inclusive: 1, 2, 5, 10, …, 5000, 10000, +Inf.
  assertEquals(a.buckets().counts, [1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5]);
  assertEquals(b.buckets().counts, [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  // A count at the 32-bit limit: the next sample moves the counts into a list of their own.
  seedBucketCount(a, 2, 0xffffffff - 2);
  a.add(4);
  a.add(4);
  // Cumulative: the le=1 bucket's one sample, then le=5's 2³² − 1.
  assertEquals(a.buckets().counts.slice(0, 4), [1, 1, 0x100000000, 0x100000000]);
  a.add(4);
  a.add(0.1);
  assertEquals(a.buckets().counts.slice(0, 4), [2, 2, 0x100000002, 0x100000002]);
  assertEquals(b.buckets().counts[1], 1, "the neighbour's counts untouched");
  // Dropped by the registry: the counts move out of the slot with the rest.
  registry.remove(["rt", "b"]);
  registry.histogram(["rt", "c"], "x").add(1); // may take b's slot
  b.add(30);
  assertEquals(b.buckets().counts.slice(0, 6), [0, 1, 1, 1, 1, 2]); // 30 ≤ 50
  // More bounds than a slot holds: a list from the start.
  const many = createHistogram(clock, { bucketsMs: Array.from({ length: 20 }, (_, i) => i + 1) });
  for (const v of [0.5, 2, 2, 19.5, 50]) many.add(v);
  const c = many.buckets().counts;
  assertEquals([c.length, c[0], c[1], c[18], c[19], c[20]], [21, 1, 3, 3, 4, 5]);
});

Deno.test("BinSlab reuses bins given back, zeroed, and ignores a second give", () => {
  const slab = new BinSlab();
  const a = slab.take(70); // rounded up to a multiple of 32 keys
  assertEquals(a.length, 96);
  a[5] = 9;
  slab.give(a);
  slab.give(a); // no-op: it must not be handed out twice
  slab.give(new Uint8Array(a.buffer, a.byteOffset, a.length)); // nor through another view
  const b = slab.take(90), c = slab.take(90);
  const same = (x: ArrayBufferView, y: ArrayBufferView) =>
    x.buffer === y.buffer && x.byteOffset === y.byteOffset && x.byteLength === y.byteLength;
  assert(same(b, a) && !same(c, a), "the freed bins once, then new ones");
  assertEquals(b[5], 0);
  assert(b.buffer === c.buffer, "carved from one chunk");
  slab.give(new Uint8Array(96)); // not the slab's: ignored
  assert(slab.take(96).buffer === a.buffer, "only the slab's own bins are taken back");
  // Wider keys: 48 16-bit keys round up to 64 (128 bytes), and take the bytes of 128 8-bit ones.
  const d = slab.take(128);
  d.fill(200);
  slab.give(d);
  const w = slab.take(48, 2);
  assert(
    w instanceof Uint16Array && w.length === 64 && same(w, d),
    "the same bytes, 16 bits a key",
  );
  assertEquals([...w].every((x) => x === 0), true);
  const q = slab.take(10, 4);
  assert(q instanceof Uint32Array && q.length === 32 && q.byteOffset % 4 === 0, "aligned");
});

Deno.test("registry histograms on a shared bin slab answer as histograms of their own", () => {
  // Histograms of one registry (their sketch bins carved from one slab, freed and reused as
  // slices rotate, bins widen and whole windows go idle) against the same samples in standalone
  // histograms: a bin shared by two sketches would make their answers differ.
  const clock = new FakeClock();
  const config = histogramConfig(clock);
  const random = rng(11);
  const n = 40;
  const pooled = Array.from({ length: n }, () => histogramWith(config));
  const own = Array.from({ length: n }, () => createHistogram(clock));
  for (let step = 0; step < 1000; step++) {
    const i = Math.floor(random() * n);
    // Bursts of a few to a few hundred samples, over a range that moves (bins widen and shrink).
    const count = 1 + Math.floor(random() * (random() < 0.1 ? 400 : 30));
    const scale = random() < 0.05 ? 5000 : 1 + random() * 20;
    for (let k = 0; k < count; k++) {
      const v = random() * scale;
      pooled[i]!.add(v);
      own[i]!.add(v);
    }
    // Time passes: within a slice, past a slice boundary, or past the whole window.
    const r = random();
    clock.advance(r < 0.7 ? 50 : r < 0.95 ? 31_000 : 130_000);
    // Dropped by the registry: its bins leave the slab, and it goes on counting.
    if (step % 50 === 25) detachHistogram(pooled[i]!);
    if (step % 20 === 0) {
      for (let j = 0; j < n; j++) {
        assertEquals(pooled[j]!.snapshot(), own[j]!.snapshot(), `histogram ${j}, step ${step}`);
      }
    }
  }
  for (let j = 0; j < n; j++) assertEquals(pooled[j]!.snapshot(), own[j]!.snapshot());
});
