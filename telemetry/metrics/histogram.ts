/**
 * Latency histogram over a sliding window, backed by DDSketch.
 *
 * Sketch choice: `@datadog/sketches-js` (DDSketch, Apache-2.0, maintained by Datadog, zero runtime
 * dependencies, plain JS so it runs under Deno with no WASM to load). DDSketch guarantees a
 * *relative* error bound on every quantile (1% here), which is exactly the guarantee a latency
 * percentile needs, and sketches with equal accuracy merge exactly, which is what a ring of
 * sub-windows needs. `hdr-histogram-js` was the alternative: it pulls three dependencies
 * (AssemblyScript loader, base64-js, pako) and its accuracy is set in significant digits over a
 * pre-declared range rather than as a relative bound. We use the log-collapsing-lowest variant so a
 * sketch never holds more than `binLimit` bins whatever values arrive (collapsing, if it ever
 * happens, costs accuracy only at the lowest latencies).
 *
 * Window: a ring of `slices` sub-sketches; the newest takes writes and the ring advances every
 * `windowMs / slices` (lazily, on the next add or snapshot: no timers). A snapshot merges the ring,
 * so percentiles, min and max cover the last `windowMs·(slices-1)/slices` to `windowMs` and are
 * always current; Linkerd 1 instead served the previous fixed one-minute snapshot (linkerd1.md §6).
 * Lifetime count, sum and fixed `le` bucket counts (for native Prometheus histograms) never reset.
 *
 * @module
 */
import { LogCollapsingLowestDenseDDSketch } from "@datadog/sketches-js";
import type { Clock } from "../../router/core/clock.ts";

/** Default `le` bucket bounds, in ms (`+Inf` is implicit). Frozen: every histogram shares it. */
export const DEFAULT_BUCKETS_MS: readonly number[] = Object.freeze([
  1,
  2,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10000,
]);

/** Sliding-window and sketch settings. */
export interface HistogramOptions {
  /** Length of the percentile window in ms. Default 60000 (Linkerd's snapshot interval). */
  readonly windowMs?: number;
  /**
   * Number of sub-sketches in the ring. Default 2 (rotate every 30 s: the window covers the last
   * 30–60 s). Each busy histogram keeps a sketch per slice plus one for reuse, ~1–2 KiB each:
   * with 1000 services × 10 endpoints under load (~14 000 histograms) 6 slices held ~200 MB of
   * live heap after 80 s and still growing, 2 held ~120 MB, flat from the 50th second (issue 6).
   */
  readonly slices?: number;
  /** DDSketch relative accuracy. Default 0.01 (1%). */
  readonly relativeAccuracy?: number;
  /** Upper bounds of the cumulative `le` buckets, ascending, in ms. Default {@link DEFAULT_BUCKETS_MS}. */
  readonly bucketsMs?: readonly number[];
}

/** Summary of the current window, with Linkerd's metrics.json histogram fields. */
export interface HistogramSnapshot {
  /** Samples in the window. */
  readonly count: number;
  /** Sum of the samples in the window. */
  readonly sum: number;
  /** `sum / count`, 0 when empty. */
  readonly avg: number;
  /** Smallest sample in the window (exact), 0 when empty. */
  readonly min: number;
  /** Largest sample in the window (exact), 0 when empty. */
  readonly max: number;
  /** Median. */
  readonly p50: number;
  /** 90th percentile. */
  readonly p90: number;
  /** 95th percentile. */
  readonly p95: number;
  /** 99th percentile. */
  readonly p99: number;
  /** 99.9th percentile. */
  readonly p9990: number;
  /** 99.99th percentile. */
  readonly p9999: number;
}

/** Cumulative bucket counts since creation, for a native Prometheus histogram. */
export interface CumulativeBuckets {
  /** Upper bounds in ms, ascending, without `+Inf`. */
  readonly le: readonly number[];
  /** `counts[i]` = samples ≤ `le[i]`; one extra last entry for `+Inf` (= `count`). */
  readonly counts: readonly number[];
  /** Samples since creation. */
  readonly count: number;
  /** Sum of samples since creation. */
  readonly sum: number;
}

/** A latency histogram handle: `add()` on the request path, the rest at render time. */
export interface Histogram {
  /** Discriminant. */
  readonly kind: "histogram";
  /** Samples since creation. */
  readonly totalCount: number;
  /** Sum of samples since creation. */
  readonly totalSum: number;
  /**
   * Records one sample; negative or NaN values count as 0. `at` is the clock's `mono()` reading
   * when the sample was taken: a caller that just read the clock (to compute the latency) passes
   * it and saves a clock read, which costs more than the rest of `add()`.
   */
  add(ms: number, at?: number): void;
  /** Summary of the sliding window. */
  snapshot(): HistogramSnapshot;
  /** Lifetime cumulative `le` buckets. */
  buckets(): CumulativeBuckets;
}

/**
 * The positive bins and summary of a DDSketch, as plain data (structured-cloneable): `bins[i]` is
 * the count of key `offset + i`.
 */
export interface SketchState {
  /** DDSketch relative accuracy the keys were computed with. */
  readonly relativeAccuracy: number;
  /** Key of `bins[0]`. */
  readonly offset: number;
  /** Counts of consecutive keys from `offset`. */
  readonly bins: readonly number[];
  /** Samples at (or below the sketch's smallest positive value) 0. */
  readonly zeroCount: number;
  /** Samples in the sketch. */
  readonly count: number;
  /** Sum of the samples. */
  readonly sum: number;
  /** Smallest sample (`Infinity` when empty). */
  readonly min: number;
  /** Largest sample (`-Infinity` when empty). */
  readonly max: number;
}

/** A histogram as plain data, for another isolate to merge (see `merge.ts`). */
export interface HistogramState {
  /** The sliding window, merged into one sketch. */
  readonly window: SketchState;
  /** Samples since creation. */
  readonly totalCount: number;
  /** Sum of samples since creation. */
  readonly totalSum: number;
  /** `le` bounds in ms, ascending, without `+Inf`. */
  readonly le: readonly number[];
  /** Non-cumulative counts per `le` bucket, plus one last for `+Inf`. */
  readonly bucketCounts: readonly number[];
}

/**
 * Exports a histogram's window sketch, lifetime totals and buckets as plain data.
 *
 * @param h A histogram made by {@link createHistogram} (or any with a `state()` method).
 * @returns Its state, or undefined for a histogram that cannot export one.
 */
export function histogramState(h: Histogram): HistogramState | undefined {
  if (h instanceof SlidingHistogram) return h.state();
  const s = (h as { state?: () => HistogramState }).state;
  return typeof s === "function" ? s.call(h) : undefined;
}

/** Samples a slice keeps as a plain list before it builds its sketch. */
const RAW_SAMPLES = 16;

/**
 * Samples a histogram with a sketch buffers before placing them (issue 6). Placing a sample
 * touches the ring, the slice's sketch, its bins and the `le` counts: with 1000 active services,
 * whose histograms do not stay in the CPU's caches between two of their samples, those were the
 * largest per-request cost that grew with the number of services. The buffer is in the
 * histogram's {@link HotArena} slot; placing 8 samples at once touches the rest once. Readers
 * (snapshot, state, buckets) and the ring's rotation place the pending samples first, so every
 * result is as if each had been placed on arrival; the lifetime count and sum are updated on
 * arrival.
 */
const PENDING = 8;

/**
 * Doubles a histogram keeps in a {@link HotArena}: `[nextRotate, totalSum, totalCount, epoch,
 * pending, pending samples…, its window sketch's numbers…, its lifetime `le` counts…]` (256
 * bytes: four cache lines). Numbers in the slot are no fields of the histogram object (issue 6).
 */
const HOT_STRIDE = 32;
/** Where, in a histogram's {@link HotArena} slot, the slice ends (`clock.mono()` time). */
const HOT_NEXT = 0;
/** Where, in the slot, the sum of samples since creation is. */
const HOT_SUM = 1;
/** Where, in the slot, the number of samples since creation is. */
const HOT_COUNT = 2;
/** Where, in the slot, the slices the ring has advanced since creation are. */
const HOT_EPOCH = 3;
/** Where, in the slot, the number of pending samples is. */
const HOT_NPEND = 4;
/** Where, in the slot, the first of the {@link PENDING} samples not yet placed is. */
const HOT_PEND = 5;
/**
 * Where, in the slot, the numbers of the histogram's window sketch are (see {@link mount}): the
 * sketch's count, zero count, sum, min and max, then its store's count, offset, smallest and
 * largest key in use and whether it collapsed (1) or not (0).
 */
const K_COUNT = HOT_PEND + PENDING, K_ZEROS = K_COUNT + 1, K_SUM = K_COUNT + 2;
const K_MIN = K_COUNT + 3, K_MAX = K_COUNT + 4, K_SCOUNT = K_COUNT + 5, K_OFFSET = K_COUNT + 6;
const K_MINKEY = K_COUNT + 7, K_MAXKEY = K_COUNT + 8, K_COLLAPSED = K_COUNT + 9;
/**
 * Where, in the slot, the place of the sketch's bins in their slab chunk is, when they are slab
 * bins (`byteOffset × 65536 + length × 4 + log2(bytes per key)`; the histogram's `#bins` is then
 * the chunk): -1 when `#bins` are bins of their own.
 */
const K_BINS = K_COUNT + 10;
/**
 * Where, in the slot, the lifetime counts per `le` bucket start: the last 8 doubles are
 * {@link LE_SLOTS} 32-bit counts (read through a `Uint32Array` of the slot's chunk, see
 * {@link countsView}).
 */
const HOT_LE = K_BINS + 1;
/** `le` counts a slot holds (buckets and `+Inf`); more bounds keep a list of their own. */
const LE_SLOTS = 2 * (HOT_STRIDE - HOT_LE);

/** The `Uint32Array` over each arena chunk (or own slot), for its `le` counts. */
const countViews = new WeakMap<Float64Array, Uint32Array>();

/** The `Uint32Array` over `hot`'s buffer, made once per chunk. */
function countsView(hot: Float64Array): Uint32Array {
  let v = countViews.get(hot);
  if (v === undefined) countViews.set(hot, v = new Uint32Array(hot.buffer));
  return v;
}

/**
 * The numbers every sample of a registry's histograms reads or writes, `HOT_STRIDE` doubles per
 * histogram in shared `Float64Array` chunks (issue 6). As fields of the histogram they were a
 * box per double and, for the pending samples, a list and its elements: three objects, each a
 * cache miss per sample once 1000 services' histograms no longer stay in the CPU's caches
 * between two of their samples (`perf annotate` of `add` put three quarters of its time on
 * them). The window sketch's numbers and the lifetime `le` counts are there too (see
 * {@link mount}, `HOT_LE`). A slot is four adjacent cache lines of memory outside the JS heap,
 * which the garbage collector neither marks nor moves. A histogram the registry drops moves its numbers into a
 * private array and gives its slot back for the next one (see {@link detachHistogram}).
 */
export class HotArena {
  /** The chunk slots are handed out from, and how many of its slots are taken. */
  #chunk: Float64Array | null = null;
  #used = 0;
  /** Slots in the next chunk: 8, doubling up to 512 (128 KiB). */
  #next = 8;
  readonly #freeChunks: Float64Array[] = [];
  readonly #freeOffsets: number[] = [];

  /** A zeroed slot: its chunk and the index of its first double. */
  take(): { readonly chunk: Float64Array; readonly offset: number } {
    const chunk = this.#freeChunks.pop();
    if (chunk !== undefined) {
      const offset = this.#freeOffsets.pop()!;
      chunk.fill(0, offset, offset + HOT_STRIDE);
      return { chunk, offset };
    }
    let c = this.#chunk;
    if (c === null || this.#used * HOT_STRIDE === c.length) {
      this.#chunk = c = new Float64Array(this.#next * HOT_STRIDE);
      this.#used = 0;
      this.#next = Math.min(512, this.#next * 2);
    }
    return { chunk: c, offset: HOT_STRIDE * this.#used++ };
  }

  /** Takes back a slot {@link take} gave. */
  give(chunk: Float64Array, offset: number): void {
    this.#freeChunks.push(chunk);
    this.#freeOffsets.push(offset);
  }
}

/**
 * A slice of the ring: its first samples as a list, then the histogram's window sketch
 * ({@link LIVE}); once the slice has ended, that sketch's counts frozen ({@link Frozen}); null
 * while empty.
 */
type Slice = typeof LIVE | number[] | Frozen | null;

/**
 * The ring slot of the slice the histogram's window sketch counts (only ever the current
 * slice's): the sketch itself is numbers in the histogram's arena slot and its bins (see
 * {@link mount}).
 */
const LIVE: unique symbol = Symbol("window sketch");

/**
 * An ended slice's sketch, read-only, as its summary and its bins' counts (issue 6). A window
 * sketch costs ~1 KiB (the sketch, two stores, and a bin array with room around the range it
 * took); once its slice ends nothing is added to it, and this form holds the same counts from
 * its first to its last non-empty key. The sketch itself is emptied and takes the next slice, so
 * a busy histogram keeps one sketch, not one per slice. A snapshot adds these counts into its
 * sketch key by key, as it adds a sketch's ({@link addFrozen}, {@link addSketch}): the same
 * result (checked at load with {@link sketchLayoutHolds}).
 *
 * One string while every count fits 16 bits (a one-byte string while they fit 8: V8 stores
 * those a byte per character): the summary's six numbers as 8 characters each (their float64
 * bytes, see {@link FROZEN_HEAD}), then one character per key. With 1000 services × 10
 * endpoints, 14 000 frozen slices as an object each (with three boxed doubles) and a string
 * were ~0.25 KiB apiece; the string alone is ~0.12 KiB. A count past 16 bits (a slice of more
 * than 65 535 samples) keeps a {@link FrozenSlice}.
 */
type Frozen = string | FrozenSlice;

/** An ended slice whose counts do not fit 16 bits: the summary and a list of counts. */
class FrozenSlice {
  constructor(
    /** Key of the first count. */
    readonly offset: number,
    /** Counts of consecutive keys from `offset`. */
    readonly bins: readonly number[],
    readonly zeroCount: number,
    readonly count: number,
    readonly sum: number,
    readonly min: number,
    readonly max: number,
  ) {}
}

/** Counts per call of `String.fromCharCode` when freezing (below any engine's argument cap). */
const CHARS_PER_CALL = 1024;

/**
 * Characters of a frozen string's head: `sum`, `min`, `max`, `offset`, `zeroCount`, `count`, each
 * as the 8 bytes of its float64 (one character per byte).
 */
const FROZEN_HEAD = 48;
/** Where each number is in a frozen string's head. */
const F_SUM = 0, F_MIN = 8, F_MAX = 16, F_OFFSET = 24, F_ZEROS = 32, F_COUNT = 40;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** The number whose float64 bytes are the 8 characters at `at` of `s` (see {@link freeze}). */
function unpackNumber(s: string, at: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[i] = s.charCodeAt(at + i);
  return f64[0]!;
}

/**
 * An integer read back from float64 bytes, as a small integer where it is one: a sketch's
 * `count` (a field of every sketch's shared hidden class) that once took a double stayed a boxed
 * double in every sketch (~16 B each).
 */
function smi(x: number): number {
  return x >= -0x40000000 && x < 0x40000000 ? x | 0 : x;
}

/** A frozen slice's smallest and largest samples. */
function frozenMin(f: Frozen): number {
  return typeof f === "string" ? unpackNumber(f, F_MIN) : f.min;
}
function frozenMax(f: Frozen): number {
  return typeof f === "string" ? unpackNumber(f, F_MAX) : f.max;
}

/**
 * The counts of `s`, a window sketch, frozen ({@link Frozen}; its negative store is the shared
 * empty one: nothing to keep of it); null for an empty sketch. Package-internal (exported for
 * its test).
 */
export function freeze(s: LogCollapsingLowestDenseDDSketch): Frozen | null {
  if (s.count === 0) return null;
  const st = s.store as unknown as StoreFields;
  const bins = st.bins;
  let lo = 0, hi = -1, top = 0;
  if (st.count > 0) {
    lo = st.minKey - st.offset;
    hi = st.maxKey - st.offset;
    while (lo <= hi && bins[lo] === 0) lo++;
    while (hi >= lo && bins[hi] === 0) hi--;
    for (let i = lo; i <= hi; i++) if ((bins[i] as number) > top) top = bins[i] as number;
  }
  const offset = st.count > 0 ? st.offset + lo : 0;
  if (top > 0xffff) {
    const list = Array.from(bins.slice(lo, hi + 1));
    return new FrozenSlice(offset, list, s.zeroCount, s.count, s.sum, s.min, s.max);
  }
  // One flat string: `+=` would make a cons string of the parts (an object more, kept).
  const codes: number[] = [];
  for (const x of [s.sum, s.min, s.max, offset, s.zeroCount, s.count]) {
    f64[0] = x;
    for (let i = 0; i < 8; i++) codes.push(f64Bytes[i]!);
  }
  for (let i = lo; i <= hi; i++) codes.push(bins[i] as number);
  if (codes.length <= CHARS_PER_CALL) return String.fromCharCode.apply(null, codes);
  const parts: string[] = [];
  for (let i = 0; i < codes.length; i += CHARS_PER_CALL) {
    parts.push(String.fromCharCode.apply(null, codes.slice(i, i + CHARS_PER_CALL)));
  }
  return parts.join("");
}

/**
 * Adds a frozen slice into `m` as {@link addSketch} adds the sketch it was frozen from (nothing
 * for null, an empty slice). Package-internal (exported for its test).
 */
export function addFrozen(m: LogCollapsingLowestDenseDDSketch, f: Frozen | null): void {
  if (f === null) return;
  const store = m.store;
  let zeroCount: number, count: number, sum: number, min: number, max: number;
  if (typeof f === "string") {
    const off = smi(unpackNumber(f, F_OFFSET)) - FROZEN_HEAD;
    for (let i = FROZEN_HEAD; i < f.length; i++) {
      const c = f.charCodeAt(i);
      if (c > 0) store.add(off + i, c);
    }
    zeroCount = smi(unpackNumber(f, F_ZEROS));
    count = smi(unpackNumber(f, F_COUNT));
    sum = unpackNumber(f, F_SUM);
    min = unpackNumber(f, F_MIN);
    max = unpackNumber(f, F_MAX);
  } else {
    const bins = f.bins, off = f.offset;
    for (let i = 0; i < bins.length; i++) {
      const c = bins[i] as number;
      if (c > 0) store.add(off + i, c);
    }
    ({ zeroCount, count, sum, min, max } = f);
  }
  m.zeroCount += zeroCount;
  m.count += count;
  m.sum += sum;
  if (min < m.min) m.min = min;
  if (max > m.max) m.max = max;
}

/**
 * A store's bin counts: the library's plain list, or, in a window sketch laid out here
 * ({@link presize}, {@link widen}, {@link resetStore}), a typed array of 8-bit counts, 16-bit once
 * the sketch holds 255 samples and 32-bit once it holds 65 535 (see {@link roomFor}). A plain list
 * of small integers takes 8 bytes per key; the window sketches' bins were the largest part of the
 * live heap with 1000 services × 10 endpoints (issue 6: ~1.3 KiB each, ~17 MB as lists; 16-bit,
 * ~0.5 KiB of bins per sketch, 7 MB), and most of those sketches (an endpoint's, at a few requests
 * a second) never count 255 samples in a slice. The library only reads and adds to them by index
 * while a sample's key is inside them, which `widen` sees to; where it would grow or collapse them
 * itself, it gets a plain list back first.
 */
type Bins = number[] | Uint8Array | Uint16Array | Uint32Array;

/** Bytes of one {@link BinSlab} chunk. */
const SLAB_CHUNK = 64 * 1024;
/** A slab's bins are a multiple of this many keys (so that freed bins fit later ones). */
const SLAB_STEP = 32;

/** The slab each slab chunk belongs to. */
const slabOfChunk = new WeakMap<ArrayBufferLike, BinSlab>();

/** Typed bins (8, 16 or 32 bits a key): what a slab hands out. */
type TypedBins = Uint8Array | Uint16Array | Uint32Array;

/** Bytes per key of typed bins ({@link TypedBins}). */
type Width = 1 | 2 | 4;

/** A view of `width`-byte keys: `length` keys from `byteOffset` of `buffer`. */
function typedView(
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
  width: Width,
): TypedBins {
  return width === 1
    ? new Uint8Array(buffer, byteOffset, length)
    : width === 2
    ? new Uint16Array(buffer, byteOffset, length)
    : new Uint32Array(buffer, byteOffset, length);
}

/**
 * Window-sketch bins of a registry's histograms (8, 16 or 32 bits a key), carved out of shared
 * 64 KiB chunks (issue 6). A typed array of its own costs an `ArrayBuffer` object (~0.1 KiB), a
 * backing store and V8's bookkeeping of it, more than the ~0.2 KiB of counts an endpoint's
 * sketch holds. A histogram keeps its slab bins as their chunk and place (see `K_BINS`) and
 * makes a view of them only while its sketch is mounted; the slab keeps free bins as places too.
 * Bins are rounded up to {@link SLAB_STEP} keys (so every place is aligned for any width); bins
 * a sketch no longer uses (replaced, or the sketch dropped) go back to a free list of their size
 * in bytes and are zeroed when taken again, at any width. A histogram the registry drops copies
 * its bins out first (see {@link detachHistogram}); a registry's slab goes with it.
 * Package-internal.
 */
export class BinSlab {
  #chunk: ArrayBuffer | null = null;
  #used = 0;
  /** Every chunk, in order: a free place is `index * SLAB_CHUNK + byte offset`. */
  readonly #chunks: ArrayBuffer[] = [];
  readonly #indexOf = new WeakMap<ArrayBuffer, number>();
  /** Free places by size in bytes. */
  readonly #free = new Map<number, number[]>();
  /** Places on a free list (a second `give` of the same bins is a no-op). */
  readonly #isFree = new Set<number>();

  /**
   * Zeroed bins of at least `n` keys (a multiple of {@link SLAB_STEP}; at most {@link BIN_LIMIT},
   * see `typedZeros`) of `width` bytes each (default 1).
   */
  take(n: number, width: Width = 1): TypedBins {
    const keys = Math.ceil(n / SLAB_STEP) * SLAB_STEP, bytes = keys * width;
    const place = this.#free.get(bytes)?.pop();
    if (place !== undefined) {
      this.#isFree.delete(place);
      const chunk = this.#chunks[Math.floor(place / SLAB_CHUNK)]!;
      return typedView(chunk, place % SLAB_CHUNK, keys, width).fill(0);
    }
    let c = this.#chunk;
    if (c === null || this.#used + bytes > SLAB_CHUNK) {
      this.#chunk = c = new ArrayBuffer(SLAB_CHUNK);
      slabOfChunk.set(c, this);
      this.#indexOf.set(c, this.#chunks.length);
      this.#chunks.push(c);
      this.#used = 0;
    }
    const bins = typedView(c, this.#used, keys, width);
    this.#used += bytes;
    return bins;
  }

  /** Takes back bins {@link take} gave (any view of them), for the next that needs as many bytes. */
  give(bins: TypedBins): void {
    const index = this.#indexOf.get(bins.buffer as ArrayBuffer);
    if (index === undefined) return;
    const place = index * SLAB_CHUNK + bins.byteOffset;
    if (this.#isFree.has(place)) return;
    this.#isFree.add(place);
    let list = this.#free.get(bins.byteLength);
    if (list === undefined) this.#free.set(bins.byteLength, list = []);
    list.push(place);
  }
}

/** The slab `bins` were carved from, if any. */
function slabOf(bins: Bins): BinSlab | undefined {
  return Array.isArray(bins) ? undefined : slabOfChunk.get(bins.buffer);
}

/** Gives `bins` back to their slab, if they came from one. */
function release(bins: Bins): void {
  if (!Array.isArray(bins)) slabOf(bins)?.give(bins);
}

/** Zeroed typed bins of at least `n` keys of `width` bytes: from `slab` when there is one. */
function typedZeros(n: number, width: Width, slab: BinSlab | null | undefined): TypedBins {
  if (slab && n <= BIN_LIMIT) return slab.take(n, width);
  return width === 1 ? new Uint8Array(n) : width === 2 ? new Uint16Array(n) : new Uint32Array(n);
}

/**
 * Zeroed bins of at least `n` keys, of the kind `like` is (a plain list stays a plain list):
 * from `like`'s slab, or from `slab` for a first layout (8-bit).
 */
function zerosLike(like: Bins, n: number, slab?: BinSlab | null): Bins {
  if (Array.isArray(like) && like.length > 0) return new Array<number>(n).fill(0);
  if (Array.isArray(like)) return typedZeros(n, 1, slab);
  return typedZeros(n, like.BYTES_PER_ELEMENT as Width, slabOf(like));
}

/** `b`'s counts in zeroed bins of `width` bytes a key, from `b`'s slab if it came from one. */
function wider(b: TypedBins, width: Width): TypedBins {
  const w = typedZeros(b.length, width, slabOf(b));
  w.set(b);
  release(b);
  return w;
}

/**
 * Before a window sketch takes one more sample: 8-bit bins become 16-bit ones once the sketch
 * holds 255 samples, and 16-bit ones 32-bit once it holds 65 535 (a key's count can never pass
 * the sketch's). A sketch keeps its width when it is emptied for the next slice (one that filled
 * past 255 will likely do so again).
 */
function roomFor(s: LogCollapsingLowestDenseDDSketch): void {
  const st = s.store as unknown as StoreFields;
  const b = st.bins;
  if (b instanceof Uint8Array) st.bins = wider(b, 2);
  else if (b instanceof Uint16Array && s.count >= 0xffff) st.bins = wider(b, 4);
}

/**
 * Above every accuracy's smallest keyed value (`mapping.minPossible`, ~1e-307 at 1%): a sketch
 * whose minimum is above it has that minimum's key in its store (checked at load).
 */
const MIN_KEYED = 1e-300;

/**
 * One sample into a window sketch: a new extreme first widens the bins once ({@link widen}) and
 * the 255th and 65 535th samples make them wider ({@link roomFor}), so the library never grows
 * typed bins and never overflows them.
 */
function put(sk: LogCollapsingLowestDenseDDSketch, v: number): void {
  // Inside [min, max] the key is inside the bins, unless the minimum is a sample counted as
  // zero (the store never saw it): then every sample is checked.
  const min = sk.min;
  if (!(v >= min && v <= sk.max && min > MIN_KEYED)) widen(sk, v);
  if (sk.count >= 0xff) roomFor(sk);
  sk.accept(v);
}

/** Spare bins a reused store may carry beyond what its last slice used (see `resetStore`). */
const TRIM_SLACK = 64;

/** Bins a window sketch's store grows by (the library's default is 128). */
const SKETCH_CHUNK = 16;

/** The fields of a sketches-js dense store that {@link resetSketch} rewinds (library internals). */
interface StoreFields {
  bins: Bins;
  count: number;
  minKey: number;
  maxKey: number;
  offset: number;
  isCollapsed: boolean;
}

function resetStore(st: StoreFields): void {
  st.count = 0;
  st.isCollapsed = false;
  const bins = st.bins, n = bins.length;
  let lo = 0, hi = n - 1;
  while (lo <= hi && bins[lo] === 0) lo++;
  while (hi >= lo && bins[hi] === 0) hi--;
  if (lo <= hi) {
    // Bins only ever grow: a reused store that once took an outlier (a 5 s request among 0.2 ms
    // ones) kept that range for good, and under load every window sketch drifted towards
    // `BIN_LIMIT` (measured: 1000 services' stores grew 93 → 125 MB between the 70th and the
    // 130th second of load). Far wider than its last slice used, it is laid out anew around that.
    const from = Math.max(0, lo - PRESIZE_BELOW), to = Math.min(n - 1, hi + PRESIZE_ABOVE);
    const keep = to - from + 1;
    if (n - keep > TRIM_SLACK && n > 2 * keep) {
      st.bins = zerosLike(bins, keep);
      release(bins);
      st.offset += from;
      st.minKey = st.offset;
      st.maxKey = st.offset + st.bins.length - 1;
      return;
    }
  }
  bins.fill(0);
  if (n > 0) {
    // The whole allocated range counts as in use (its bins are zero): a key inside it is then
    // counted in place, where an empty store's range would be re-centred (two new bin arrays).
    st.minKey = st.offset;
    st.maxKey = st.offset + st.bins.length - 1;
  } else {
    st.minKey = Infinity;
    st.maxKey = -Infinity;
  }
}

/**
 * Empties a window sketch for reuse, keeping its bin arrays where they are (issue 6: a new
 * sketch per slice re-grew and re-centred its bins sample by sample, ~1.5 KiB of arrays per
 * slice that outlived a young-generation collection; with 1000 services that was most of what
 * V8 promoted). Every quantile of the reused sketch equals a new one's: bins outside the samples'
 * keys are zero, and a quantile walks the bins by count. Checked once at load
 * ({@link sketchLayoutHolds}; the module does not load without it). Package-internal (exported
 * for its test).
 */
export function resetSketch(s: LogCollapsingLowestDenseDDSketch): void {
  resetStore(s.store as unknown as StoreFields);
  if (s.negativeStore !== emptyNegative) resetStore(s.negativeStore as unknown as StoreFields);
  s.zeroCount = 0;
  s.count = 0;
  s.sum = 0;
  s.min = Infinity;
  s.max = -Infinity;
}

/** Bin cap of every window sketch (shared with merges). */
export const BIN_LIMIT = 2048;
/** The snapshot of a histogram with no samples in its window. */
export const EMPTY_SNAPSHOT: HistogramSnapshot = Object.freeze({
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

/**
 * The DDSketch quantile that answers Finagle's percentile `p` of `count` samples. Finagle's
 * percentiles are nearest-rank: the ceil(p × n)-th smallest sample (p99 of ten samples is the
 * largest). DDSketch answers q with the first bin whose cumulative count exceeds q × (n − 1), so
 * this asks for the rank half-way past the wanted sample's zero-based index.
 *
 * @example
 * ```ts
 * import { nearestRankQuantile } from "./histogram.ts";
 * nearestRankQuantile(0.99, 10); // 1: the largest of ten
 * nearestRankQuantile(0.5, 10); // 0.5: rank 4.5 of 0…9, the 5th smallest
 * ```
 */
export function nearestRankQuantile(p: number, count: number): number {
  if (count <= 1) return 0;
  const k = Math.max(0, Math.ceil(p * count) - 1);
  return Math.min(1, (k + 0.5) / (count - 1));
}

/**
 * The summary of a sketch: count, sum, min, max and the nearest-rank quantiles (as Finagle's),
 * each clamped to [min, max]; `EMPTY_SNAPSHOT` for no sketch or an empty one.
 */
export function sketchSnapshot(
  m: LogCollapsingLowestDenseDDSketch | null | undefined,
): HistogramSnapshot {
  if (!m || m.count === 0) return EMPTY_SNAPSHOT;
  const { min, max, sum, count } = m;
  const q = (p: number) =>
    Math.min(max, Math.max(min, m.getValueAtQuantile(nearestRankQuantile(p, count))));
  return {
    count,
    sum,
    avg: sum / count,
    min,
    max,
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    p9990: q(0.999),
    p9999: q(0.9999),
  };
}

/**
 * Creates a sliding-window latency histogram.
 *
 * @param clock Time source; only `mono()` is used.
 * @param options Window, accuracy and bucket settings.
 * @returns A new histogram.
 * @throws {RangeError} If `windowMs` or `slices` is not positive, or buckets are not ascending.
 * @example
 * ```ts
 * import { createHistogram } from "./histogram.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const h = createHistogram(systemClock, { windowMs: 60_000, slices: 6 });
 * h.add(3.2);
 * h.snapshot().p99;
 * ```
 */
export function createHistogram(clock: Clock, options: HistogramOptions = {}): Histogram {
  return new SlidingHistogram(histogramConfig(clock, options), false);
}

/**
 * Settings many histograms share (a registry makes one): the clock, window, accuracy and bucket
 * bounds are then one object, not five fields of every histogram. Package-internal.
 */
export interface HistogramConfig {
  readonly clock: Clock;
  /** Where the registry's histograms keep their per-sample numbers. */
  readonly arena: HotArena;
  /** Where the registry's histograms' 8-bit sketch bins are carved from. */
  readonly slab: BinSlab;
  /** The sketch its histograms' window sketches are mounted on (see {@link mount}). */
  readonly worker: LogCollapsingLowestDenseDDSketch;
  readonly accuracy: number;
  readonly sliceMs: number;
  readonly slices: number;
  readonly bounds: readonly number[];
}

/**
 * Validates and resolves histogram options once, for {@link histogramWith}.
 *
 * @throws {RangeError} If `windowMs` or `slices` is not positive, or buckets are not ascending.
 */
export function histogramConfig(clock: Clock, o: HistogramOptions = {}): HistogramConfig {
  const windowMs = o.windowMs ?? 60_000;
  const slices = o.slices ?? 2;
  const bounds = o.bucketsMs ?? DEFAULT_BUCKETS_MS;
  if (!(windowMs > 0) || !Number.isInteger(slices) || slices < 1) {
    throw new RangeError(
      `histogram window must be positive (windowMs=${windowMs}, slices=${slices})`,
    );
  }
  if (bounds.some((b, i) => i > 0 && !(b > (bounds[i - 1] as number)))) {
    throw new RangeError(`histogram buckets must be ascending: ${bounds.join(",")}`);
  }
  const accuracy = o.relativeAccuracy ?? 0.01;
  return Object.freeze({
    clock,
    arena: new HotArena(),
    slab: new BinSlab(),
    worker: sketchFor(workers, accuracy),
    accuracy,
    sliceMs: windowMs / slices,
    slices,
    // The default is frozen and shared; a caller's array is copied (it could change later).
    bounds: bounds === DEFAULT_BUCKETS_MS ? bounds : Object.freeze([...bounds]),
  });
}

/** A new histogram with shared settings from {@link histogramConfig}. Package-internal. */
export function histogramWith(config: HistogramConfig): Histogram {
  return new SlidingHistogram(config, true);
}

/**
 * Moves a histogram's per-sample numbers out of its registry's {@link HotArena}, which takes the
 * slot back: for a registry that drops the histogram, whose holders may go on adding to it.
 * Package-internal.
 */
export function detachHistogram(h: Histogram): void {
  if (h instanceof SlidingHistogram) h.detach();
}

/**
 * Sets a histogram's lifetime count of `le` bucket `i` (`+Inf` is the last), as if that many
 * samples had landed there (the window and the totals are left alone). Package-internal, for
 * its test: a count near 2³² is out of a test's reach otherwise.
 */
export function seedBucketCount(h: Histogram, i: number, count: number): void {
  if (h instanceof SlidingHistogram) h.seedBucket(i, count);
}

/** Keys a new window sketch's bins reach below and above its first samples' keys (~×0.7, ×2). */
const PRESIZE_BELOW = 16;
const PRESIZE_ABOVE = 35;

/**
 * Sizes an empty sketch's bins once for samples in `[lo, hi]` and some room around them, so that
 * accepting them does not grow and re-centre the bins sample by sample (each step two new bin
 * arrays). Bins only: every quantile is unchanged (checked at load with {@link sketchLayoutHolds}).
 */
function presize(
  s: LogCollapsingLowestDenseDDSketch,
  lo: number,
  hi: number,
  slab: BinSlab | null = null,
): void {
  const m = s.mapping as unknown as { minPossible: number; key(v: number): number };
  const st = s.store as unknown as StoreFields;
  if (!(hi > m.minPossible) || st.count !== 0 || st.bins.length !== 0) return;
  const first = m.key(lo > m.minPossible ? lo : hi) - PRESIZE_BELOW;
  const last = m.key(hi) + PRESIZE_ABOVE;
  if (!(last - first < BIN_LIMIT)) return;
  // One array, laid out as `resetStore` leaves a store: the whole range in use, all zero.
  st.bins = zerosLike(st.bins, last - first + 1, slab);
  st.offset = first;
  st.minKey = first;
  st.maxKey = first + st.bins.length - 1;
}

/**
 * Lays a sketch's bins out anew, once, so that they take `v`, with the same room beyond it as
 * {@link presize} leaves (issue 6). The library extends a store a chunk of keys at a time when a
 * sample's key falls outside it, and each step grows the array and re-centres it into two new
 * ones; while a busy histogram's slice met its tail latencies those arrays were ~40% of what
 * outlived young collections under 1000-service load. Called only for a sample outside the
 * sketch's `[min, max]` (rare once a slice has seen its range). Bins only: every quantile is
 * unchanged (checked at load with {@link sketchLayoutHolds}); a collapsed store, an empty one and a
 * range past {@link BIN_LIMIT} are left to the library. Package-internal (exported for its test).
 */
export function widen(s: LogCollapsingLowestDenseDDSketch, v: number): void {
  const m = s.mapping as unknown as { minPossible: number; key(v: number): number };
  const st = s.store as unknown as StoreFields;
  const n = st.bins.length;
  if (!(v > m.minPossible) || n === 0) return;
  const k = m.key(v), from = st.offset, to = from + n - 1;
  if (k >= from && k <= to) return;
  const first = k < from ? k - PRESIZE_BELOW : from;
  const last = k > to ? k + PRESIZE_ABOVE : to;
  if (st.isCollapsed || !(last - first < BIN_LIMIT)) {
    // The library collapses or grows the store: on the plain list it expects.
    if (!Array.isArray(st.bins)) {
      const typed = st.bins;
      st.bins = Array.from(typed);
      release(typed);
    }
    return;
  }
  const old = st.bins, bins = zerosLike(old, last - first + 1), at = from - first;
  for (let i = 0; i < n; i++) bins[at + i] = old[i] as number;
  // Laid out as `resetStore` leaves a store: the whole range in use (the new bins are zero).
  st.bins = bins;
  release(old);
  st.offset = first;
  st.minKey = first;
  st.maxKey = first + bins.length - 1;
}

/**
 * One key mapping per accuracy, shared by every window sketch: a mapping is immutable once made
 * (sketches merge when their mappings' `gamma` match), and sharing it leaves one object to touch
 * per sample instead of one per sketch (~0.1 KiB each; issue 6).
 */
const mappings = new Map<number, LogCollapsingLowestDenseDDSketch["mapping"]>();

/**
 * The negative-value store every window sketch shares, empty and frozen: a latency is never
 * negative (`add` counts one as 0), so each sketch's own empty store was ~0.1 KiB for nothing
 * (issue 6: 14 000 of them with 1000 services × 10 endpoints). Frozen, a negative sample given
 * to a sketch directly throws (the library is strict mode) instead of landing in every sketch.
 */
let emptyNegative: LogCollapsingLowestDenseDDSketch["negativeStore"] | undefined;

/** A window sketch with this module's settings. Package-internal (exported for its test). */
export function newSketch(accuracy: number): LogCollapsingLowestDenseDDSketch {
  const s = new LogCollapsingLowestDenseDDSketch({
    relativeAccuracy: accuracy,
    binLimit: BIN_LIMIT,
  });
  const shared = mappings.get(accuracy);
  if (shared === undefined) mappings.set(accuracy, s.mapping);
  else s.mapping = shared;
  // Grow the bins 16 at a time, not 128: a sketch holding one latency costs ~0.3 KiB, not ~2.5.
  // Growth granularity only: the keys, the bin limit and so every quantile are unchanged.
  s.store.chunkSize = SKETCH_CHUNK;
  if (emptyNegative === undefined) emptyNegative = Object.freeze(s.negativeStore);
  else s.negativeStore = emptyNegative;
  return s;
}

/**
 * One sketch per accuracy that every window sketch of this module is mounted on in turn (issue 6).
 * A histogram keeps its window sketch as numbers in its {@link HotArena} slot (`K_COUNT` …
 * `K_COLLAPSED`) and its bins; to take samples, freeze, empty or be read, those are copied into
 * this sketch ({@link mount}) and back ({@link unmount}). A sketch object of its own per
 * histogram was the sketch, its store and five boxed doubles, ~0.25 KiB each: with 1000 services
 * × 10 endpoints, 14 000 of them. The mount is one copy of ten numbers per {@link PENDING}
 * samples, from the slot the samples were buffered in.
 */
const workers = new Map<number, LogCollapsingLowestDenseDDSketch>();

/** The sketch of `accuracy` in `cache` (a module-wide one per accuracy), made on first use. */
function sketchFor(
  cache: Map<number, LogCollapsingLowestDenseDDSketch>,
  accuracy: number,
): LogCollapsingLowestDenseDDSketch {
  let s = cache.get(accuracy);
  if (s === undefined) cache.set(accuracy, s = newSketch(accuracy));
  return s;
}

/** What an unmounted worker holds as bins (never written: nothing is added to it unmounted). */
const UNMOUNTED: number[] = Object.freeze([]) as unknown as number[];

/** Writes an empty window sketch's numbers into `hot` at `o` (its bins: a new plain list). */
function emptyNumbers(hot: Float64Array, o: number): void {
  hot.fill(0, o + K_COUNT, o + K_COLLAPSED + 1);
  hot[o + K_MIN] = hot[o + K_MINKEY] = Infinity;
  hot[o + K_MAX] = hot[o + K_MAXKEY] = -Infinity;
  hot[o + K_BINS] = -1; // the bins: of their own (a new plain list)
}

/**
 * `w` (a worker, see {@link workers}) made the window sketch whose numbers are in `hot` at `o`
 * and whose bins are `bins`. Package-internal (exported for its test).
 */
export function mount(
  w: LogCollapsingLowestDenseDDSketch,
  hot: Float64Array,
  o: number,
  bins: Bins,
): LogCollapsingLowestDenseDDSketch {
  const st = w.store as unknown as StoreFields;
  st.bins = bins;
  // Small integers as such: a field that once took a double stays one for every sketch.
  st.count = smi(hot[o + K_SCOUNT] as number);
  st.offset = smi(hot[o + K_OFFSET] as number);
  st.minKey = hot[o + K_MINKEY] as number;
  st.maxKey = hot[o + K_MAXKEY] as number;
  st.isCollapsed = hot[o + K_COLLAPSED] !== 0;
  w.count = smi(hot[o + K_COUNT] as number);
  w.zeroCount = smi(hot[o + K_ZEROS] as number);
  w.sum = hot[o + K_SUM] as number;
  w.min = hot[o + K_MIN] as number;
  w.max = hot[o + K_MAX] as number;
  return w;
}

/**
 * Writes the numbers of the sketch mounted on `w` back into `hot` at `o` (unless `save` is false:
 * it was only read) and empties `w`; returns its bins (the library, `widen`, `roomFor` and
 * `resetStore` may have replaced them). Package-internal (exported for its test).
 */
export function unmount(
  w: LogCollapsingLowestDenseDDSketch,
  hot: Float64Array,
  o: number,
  save = true,
): Bins {
  const st = w.store as unknown as StoreFields;
  const bins = st.bins;
  st.bins = UNMOUNTED;
  if (save) {
    hot[o + K_SCOUNT] = st.count;
    hot[o + K_OFFSET] = st.offset;
    hot[o + K_MINKEY] = st.minKey;
    hot[o + K_MAXKEY] = st.maxKey;
    hot[o + K_COLLAPSED] = st.isCollapsed ? 1 : 0;
    hot[o + K_COUNT] = w.count;
    hot[o + K_ZEROS] = w.zeroCount;
    hot[o + K_SUM] = w.sum;
    hot[o + K_MIN] = w.min;
    hot[o + K_MAX] = w.max;
  }
  return bins;
}

/**
 * Whether the library's sketches are what this module's window sketches rely on: checked once,
 * at load, on samples that make a store extend both ways, re-centre, widen its typed bins and be
 * trimmed. A reused sketch ({@link resetSketch}) answers as a new one, as do typed bins laid out
 * by {@link presize} and {@link widen}, a frozen copy ({@link freeze}, {@link addFrozen}) and a
 * sketch that lives as numbers between samples ({@link mount}, {@link unmount}: every field of
 * its state is one of those numbers). Package-internal (exported for its test).
 */
export function sketchLayoutHolds(): boolean {
  try {
    const before = [3.1, 0.4, 12, 0.05, 250, 0, 7.5];
    const after = [0.2, 900, 1.7, 0, 0.01, 45, 45, 3000, 0.3];
    const reused = newSketch(0.01);
    for (const v of before) reused.accept(v);
    resetSketch(reused);
    // A narrow slice after the wide one: the next reset lays the bins out anew (`resetStore`).
    for (const v of [1, 1.1, 1.2]) reused.accept(v);
    const wide = (reused.store as unknown as StoreFields).bins.length;
    resetSketch(reused);
    if (!((reused.store as unknown as StoreFields).bins.length < wide)) return false;
    // Typed bins laid out by `presize` and `widen` as a window sketch's are, emptied once by
    // `resetSketch` in between, as a reused one is.
    const sized = newSketch(0.01);
    if (!((sized.mapping as unknown as { minPossible: number }).minPossible < MIN_KEYED)) {
      return false;
    }
    presize(sized, 1, 2);
    if (!((sized.store as unknown as StoreFields).bins instanceof Uint8Array)) return false;
    for (const v of before) put(sized, v);
    resetSketch(sized);
    // The same as numbers and bins, mounted on a sketch that holds another in between.
    const hot = new Float64Array(HOT_STRIDE);
    emptyNumbers(hot, 0);
    const w = newSketch(0.01), other = newSketch(0.01);
    let bins: Bins = [];
    presize(mount(w, hot, 0, bins), 1, 2);
    bins = unmount(w, hot, 0);
    const hot2 = new Float64Array(HOT_STRIDE);
    emptyNumbers(hot2, 0);
    let bins2: Bins = [];
    for (const v of before) {
      put(mount(w, hot, 0, bins), v);
      bins = unmount(w, hot, 0);
      // Another sketch mounted in between: nothing of it may leak into the next mount.
      put(mount(w, hot2, 0, bins2), 100 * v + 1);
      bins2 = unmount(w, hot2, 0);
    }
    resetSketch(mount(w, hot, 0, bins));
    bins = unmount(w, hot, 0);
    const fresh = newSketch(0.01);
    for (const v of after) {
      reused.accept(v);
      put(sized, v);
      put(mount(w, hot, 0, bins), v);
      bins = unmount(w, hot, 0);
      fresh.accept(v);
    }
    const b = sketchSnapshot(fresh);
    const same = (x: HistogramSnapshot) =>
      (Object.keys(b) as (keyof HistogramSnapshot)[]).every((k) => x[k] === b[k]);
    // A frozen copy added into an empty sketch answers as the sketch it was frozen from.
    const thawed = newSketch(0.01);
    addFrozen(thawed, freeze(sized));
    addSketch(other, mount(w, hot, 0, bins));
    unmount(w, hot, 0, false);
    return same(sketchSnapshot(reused)) && same(sketchSnapshot(sized)) &&
      same(sketchSnapshot(thawed)) && same(sketchSnapshot(other));
  } catch {
    return false;
  }
}

/** One scratch sketch per accuracy, emptied and refilled by every snapshot (see `snapshot`). */
const scratches = new Map<number, LogCollapsingLowestDenseDDSketch>();

/**
 * Adds `src` to `m` as `m.merge(src)` does (the same count per key, then the summary stats), bin
 * by bin through the store's `add`, so that `m` keeps its own bin arrays: the library's merge
 * into an empty sketch copies the other's arrays instead. Package-internal (exported for its
 * test).
 */
export function addSketch(
  m: LogCollapsingLowestDenseDDSketch,
  src: LogCollapsingLowestDenseDDSketch,
): void {
  addStore(m.store, src.store);
  addStore(m.negativeStore, src.negativeStore);
  m.zeroCount += src.zeroCount;
  m.count += src.count;
  m.sum += src.sum;
  if (src.min < m.min) m.min = src.min;
  if (src.max > m.max) m.max = src.max;
}

function addStore(to: LogCollapsingLowestDenseDDSketch["store"], from: unknown): void {
  const f = from as StoreFields;
  if (f.count === 0) return;
  const bins = f.bins, off = f.offset;
  for (let k = f.minKey; k <= f.maxKey; k++) {
    const c = bins[k - off] as number;
    if (c > 0) to.add(k, c);
  }
}

/**
 * Adds a slice's samples to `m` as merging a new sketch that accepted them in order would: each
 * sample's key counted, then their sum (summed in arrival order, as that sketch would) added
 * once. Package-internal (exported for its test).
 */
export function addSamples(m: LogCollapsingLowestDenseDDSketch, samples: readonly number[]): void {
  const mapping = m.mapping as unknown as { minPossible: number; key(v: number): number };
  const store = m.store, min0 = mapping.minPossible;
  let sum = 0, lo = m.min, hi = m.max;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v > min0) store.add(mapping.key(v), 1);
    else m.zeroCount += 1; // samples are never negative (`add` counts those as 0)
    sum += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  m.count += samples.length;
  m.sum += sum;
  m.min = lo;
  m.max = hi;
}

/**
 * Memory: a histogram costs nothing per slice until a sample lands in it. A ring slot holds
 * samples only while its slice has some (rotation empties the slot), the lifetime `le` counts
 * are allocated on the first sample, and the default bounds are shared. A slice keeps its first
 * {@link RAW_SAMPLES} samples as a plain list and builds its sketch from them, in arrival order,
 * when one more arrives; a snapshot counts a list's samples as that sketch would (`addSamples`),
 * so every result is what the sketch would have given. A list of a few latencies is ~0.1 KiB:
 * with 1000 services bound, most histograms (per service, client, endpoint) hold a few samples
 * per slice (issue 6). A busy one has one window sketch, its numbers in the arena slot and its
 * bins in `#bins` ({@link mount}): the current slice's, or, once that slice ended and its counts
 * were frozen, emptied for the next (see {@link resetSketch}). A slice list grows in place (one
 * growth to 17 slots) rather than by a new list per sample.
 *
 * Before the ring exists, the window's first {@link RAW_SAMPLES} samples are one flat list of
 * `[epoch, ms, …]` (the slice a sample fell in and its value); the ring of per-slice lists is
 * built from it, in arrival order, when it would grow past that. A histogram that saw one request
 * is then one two-number list, a few requests one list of 19 slots (~0.2 KiB), not a ring and a
 * list per slice.
 *
 * Package-internal: exported as the base of a scope's request stats (request_stats.ts), which are
 * their own latency histogram (one object per scope, not two; issue 6). Make one with
 * {@link createHistogram} or {@link histogramWith}.
 */
export class SlidingHistogram implements Histogram {
  get kind(): "histogram" {
    return "histogram";
  }
  // What `add` touches comes first: fields are laid out in this order, so these share the
  // object's first cache line or two (issue 6).
  /**
   * Its slot of the registry's {@link HotArena} (from `#off`; see `HOT_NEXT`, `HOT_SUM`,
   * `HOT_PEND`, `K_COUNT`), or an array of its own (a histogram made alone, or detached).
   */
  #hot: Float64Array;
  #off: number;
  readonly #cfg: HistogramConfig;
  /**
   * One slot per slice (null while the slice has no samples); or, until more than
   * {@link RAW_SAMPLES} samples are in the window, a flat `[epoch, ms, …]` list; null while empty.
   */
  #ring: Slice[] | number[] | null = null;
  /**
   * Lifetime counts per `le` bucket (plus `+Inf`), non-cumulative: 32-bit counts in the slot
   * (this is the `Uint32Array` over its chunk; they start at `2 × (#off + HOT_LE)`), or a list of
   * their own for more bounds than {@link LE_SLOTS} or once a count reached 2³² − 1. In the
   * slot they cost no object: a list per histogram was ~0.12 KiB (1.7 MB with 1000 services ×
   * 10 endpoints; issue 6), and one more cache line away from the rest.
   */
  #buckets: Uint32Array | number[];
  /**
   * The bins of the window sketch (its numbers are in the slot, from `K_COUNT`), or their slab
   * chunk (`K_BINS` says where in it): the current slice's when its ring slot is {@link LIVE},
   * else emptied for the next slice that needs one; null while the histogram has none (dropped
   * when the whole window goes idle).
   */
  #bins: Bins | ArrayBuffer | null = null;

  constructor(cfg: HistogramConfig, pooled: boolean) {
    this.#cfg = cfg;
    if (pooled) {
      const slot = cfg.arena.take();
      this.#hot = slot.chunk;
      this.#off = slot.offset;
    } else {
      this.#hot = new Float64Array(HOT_STRIDE);
      this.#off = 0;
    }
    this.#hot[this.#off + HOT_NEXT] = cfg.clock.mono() + cfg.sliceMs;
    const n = cfg.bounds.length + 1;
    this.#buckets = n <= LE_SLOTS ? countsView(this.#hot) : new Array<number>(n).fill(0);
  }

  /** Samples since creation. */
  get totalCount(): number {
    return this.#hot[this.#off + HOT_COUNT] as number;
  }

  /** The clock the histogram reads. */
  get clock(): Clock {
    return this.#cfg.clock;
  }

  /** Whether its numbers are in a slot of its registry's arena (not detached, not alone). */
  get #pooled(): boolean {
    return this.#hot.length > HOT_STRIDE;
  }

  /**
   * Pending samples: while the histogram has a window sketch (`#bins` is not null), samples are
   * buffered in the slot, from `HOT_PEND`; the first `#npend` are pending, all of the current
   * slice (see {@link PENDING}).
   */
  get #npend(): number {
    return this.#hot[this.#off + HOT_NPEND] as number;
  }
  set #npend(n: number) {
    this.#hot[this.#off + HOT_NPEND] = n;
  }

  /** Slices the ring has advanced since creation; the current slot is `#epoch % slices`. */
  get #epoch(): number {
    return this.#hot[this.#off + HOT_EPOCH] as number;
  }
  set #epoch(n: number) {
    this.#hot[this.#off + HOT_EPOCH] = n;
  }

  /** Sum of samples since creation. */
  get totalSum(): number {
    return this.#hot[this.#off + HOT_SUM] as number;
  }

  /** See {@link seedBucketCount}. */
  seedBucket(i: number, count: number): void {
    const b = this.#buckets;
    if (b instanceof Uint32Array) b[2 * (this.#off + HOT_LE) + i] = count;
    else b[i] = count;
  }

  /** See {@link detachHistogram}. */
  detach(): void {
    if (!this.#pooled) return;
    // Bins of their own: this histogram may go on taking samples, and its slab slots go back.
    if (this.#bins !== null && this.#hot[this.#off + K_BINS]! >= 0) {
      const bins = this.#view() as TypedBins;
      this.#bins = bins.slice();
      this.#hot[this.#off + K_BINS] = -1;
      release(bins);
    }
    // The slot's numbers, `le` counts included, move into an array of its own.
    const own = this.#hot.slice(this.#off, this.#off + HOT_STRIDE);
    this.#cfg.arena.give(this.#hot, this.#off);
    this.#hot = own;
    this.#off = 0;
    if (this.#buckets instanceof Uint32Array) this.#buckets = countsView(own);
  }

  add(ms: number, at?: number): void {
    const now = at ?? this.#cfg.clock.mono();
    const hot = this.#hot, off = this.#off;
    if (now >= (hot[off + HOT_NEXT] as number)) {
      this.#flush(); // pending samples belong to the slice that is ending
      this.#rotate(now);
    }
    if (!(ms > 0)) ms = 0;
    hot[off + HOT_COUNT] = (hot[off + HOT_COUNT] as number) + 1;
    hot[off + HOT_SUM] = (hot[off + HOT_SUM] as number) + ms;
    if (this.#bins === null) this.#place(ms); // no sketch: no buffering (see `#npend`)
    else {
      const n = hot[off + HOT_NPEND] as number;
      hot[off + HOT_PEND + n] = ms;
      hot[off + HOT_NPEND] = n + 1;
      if (n + 1 === PENDING) this.#flush();
    }
  }

  /** The window sketch's bins (a new view of them, for slab bins). */
  #view(): Bins {
    const place = this.#hot[this.#off + K_BINS]!;
    if (!(place >= 0)) return this.#bins as Bins;
    const low = place % 65536;
    const width = (1 << (low & 3)) as Width;
    return typedView(this.#bins as ArrayBuffer, Math.floor(place / 65536), low >> 2, width);
  }

  /** The window sketch, mounted on the worker (see {@link mount}); `#unmount` it after. */
  #mount(): LogCollapsingLowestDenseDDSketch {
    return mount(this.#cfg.worker, this.#hot, this.#off, this.#view());
  }

  /**
   * Ends a {@link #mount}: the numbers back into the slot (unless only read), the bins kept (slab
   * bins as their chunk and place: a view of each histogram's bins was ~0.1 KiB).
   */
  #unmount(save = true): void {
    const bins = unmount(this.#cfg.worker, this.#hot, this.#off, save);
    if (!Array.isArray(bins) && slabOf(bins) !== undefined) {
      this.#bins = bins.buffer as ArrayBuffer;
      const log2 = bins.BYTES_PER_ELEMENT >> 1; // 1, 2, 4 → 0, 1, 2
      this.#hot[this.#off + K_BINS] = bins.byteOffset * 65536 + bins.length * 4 + log2;
    } else {
      this.#bins = bins;
      this.#hot[this.#off + K_BINS] = -1;
    }
  }

  /**
   * Places the pending samples, in arrival order, in the window sketch (the current slice's
   * from now on) and the `le` counts: one mount for all of them.
   */
  #flush(): void {
    const n = this.#npend;
    if (n === 0) return;
    this.#npend = 0;
    const hot = this.#hot, from = this.#off + HOT_PEND;
    const w = this.#mount();
    for (let i = 0; i < n; i++) {
      const ms = hot[from + i] as number;
      put(w, ms);
      this.#count(ms);
    }
    this.#unmount();
    (this.#ring as Slice[])[this.#epoch % this.#cfg.slices] = LIVE;
  }

  /** One sample into the current slice and the lifetime `le` counts. */
  #place(ms: number): void {
    const r = this.#ring;
    if (r === null) this.#ring = [this.#epoch, ms];
    else if (typeof r[0] === "number") this.#addFlat(r as number[], ms);
    else this.#addRing(r as Slice[], ms);
    this.#count(ms);
  }

  /** One sample into the lifetime `le` counts. */
  #count(ms: number): void {
    const b = this.#cfg.bounds;
    let i = 0;
    while (i < b.length && ms > (b[i] as number)) i++;
    const counts = this.#buckets;
    if (!(counts instanceof Uint32Array)) (counts[i] as number)++;
    else {
      const at = 2 * (this.#off + HOT_LE) + i;
      if (counts[at] !== 0xffffffff) counts[at]!++;
      else {
        // 2³² − 1 samples in one bucket: the counts go on in a list of their own.
        const own = this.#counts();
        (own[i] as number)++;
        this.#buckets = own;
      }
    }
  }

  #addRing(ring: Slice[], ms: number): void {
    const cur = this.#epoch % this.#cfg.slices;
    const slice = ring[cur];
    if (slice === LIVE || ((slice === null || slice === undefined) && this.#bins !== null)) {
      // The window sketch: the current slice's, or emptied and waiting for it (a histogram that
      // filled a sketch last slice will likely fill this one: start with it).
      put(this.#mount(), ms);
      this.#unmount();
      ring[cur] = LIVE;
    } else if (slice === null || slice === undefined) ring[cur] = [ms];
    else if (!Array.isArray(slice)) {
      throw new Error("a frozen slice in the current slot"); // `#rotate` moves off it first
    } else if (slice.length < RAW_SAMPLES) {
      // In place: the list's one growth (1 → 17 slots) holds every sample the slice keeps as a
      // list. A new exact-length list per sample (`concat`) outlived young collections, being
      // referenced from the ring (issue 6).
      slice.push(ms);
    } else {
      // The histogram's first window sketch (a histogram that has one starts every slice with
      // it, above), sized for these samples.
      if (this.#bins !== null) release(this.#view()); // (none: it would have started the slice)
      this.#bins = [];
      emptyNumbers(this.#hot, this.#off);
      let lo = ms, hi = ms;
      for (const v of slice) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      // Room for the range the slice before took too (the window's second slice has no
      // expired sketch to reuse yet): its tail would otherwise widen the bins a few keys at
      // a time, each step two new arrays that outlive young collections (issue 6).
      const prev = ring[(cur + this.#cfg.slices - 1) % this.#cfg.slices];
      if (typeof prev === "string" || prev instanceof FrozenSlice) {
        const pmin = frozenMin(prev), pmax = frozenMax(prev);
        if (pmin < lo) lo = pmin;
        if (pmax > hi) hi = pmax;
      }
      const w = this.#mount();
      presize(w, lo, hi, this.#pooled ? this.#cfg.slab : null);
      for (const v of slice) put(w, v);
      put(w, ms);
      // A histogram busy enough for a sketch buffers its samples from now on (see `#npend`).
      this.#unmount();
      ring[cur] = LIVE;
    }
  }

  /** Appends to the flat list, dropping samples of expired slices; past the cap, makes the ring. */
  #addFlat(flat: number[], ms: number): void {
    const oldest = this.#epoch - this.#cfg.slices; // epochs ≤ this have left the window
    let k = 0;
    while (k < flat.length && (flat[k] as number) <= oldest) k += 2;
    const live = k === 0 ? flat : flat.slice(k);
    if (live.length < 2 * RAW_SAMPLES) {
      // In place (two growths at most: 2 → 19 → 44 slots), not a new exact-length list per
      // sample: referenced from the histogram, each such list outlived a young collection
      // (issue 6: 1000 services' endpoint histograms live in this mode for their first minute).
      live.push(this.#epoch, ms);
      this.#ring = live;
      return;
    }
    const n = this.#cfg.slices;
    const ring = new Array<Slice>(n).fill(null);
    for (let j = 0; j < live.length; j += 2) {
      const slot = (live[j] as number) % n;
      const list = ring[slot] as number[] | null;
      ring[slot] = list === null ? [live[j + 1] as number] : list.concat(live[j + 1] as number);
    }
    this.#ring = ring;
    this.#addRing(ring, ms);
  }

  snapshot(): HistogramSnapshot {
    // Into the shared scratch sketch, emptied first: a render of every histogram (metrics.json,
    // Prometheus, the dashboard's summary) then allocates no sketch per histogram (issue 6).
    return sketchSnapshot(this.#merged(sketchFor(scratches, this.#cfg.accuracy)));
  }

  /** See {@link histogramState}. */
  state(): HistogramState {
    this.#flush();
    const m = this.#merged(null) ?? this.#sketch();
    const st = m.store;
    const lo = st.minKey - st.offset;
    const bins = m.store.count > 0 ? st.bins.slice(lo, st.maxKey - st.offset + 1) : [];
    return {
      window: {
        relativeAccuracy: this.#cfg.accuracy,
        offset: m.store.count > 0 ? st.minKey : 0,
        bins,
        zeroCount: m.zeroCount,
        count: m.count,
        sum: m.sum,
        min: m.min,
        max: m.max,
      },
      totalCount: this.totalCount,
      totalSum: this.totalSum,
      le: [...this.#cfg.bounds],
      bucketCounts: this.#counts(),
    };
  }

  buckets(): CumulativeBuckets {
    this.#flush();
    const counts: number[] = [];
    let acc = 0;
    for (const c of this.#counts()) counts.push(acc += c);
    return { le: [...this.#cfg.bounds], counts, count: this.totalCount, sum: this.totalSum };
  }

  /** A new full list of the non-cumulative bucket counts. */
  #counts(): number[] {
    const b = this.#buckets;
    if (!(b instanceof Uint32Array)) return b.slice();
    const at = 2 * (this.#off + HOT_LE);
    return Array.from(b.subarray(at, at + this.#cfg.bounds.length + 1));
  }

  /**
   * The window's slices added into `into` (emptied first) or, when null, into a new sketch; null
   * when every slice is empty. The result is the merge of the slices' sketches, each list
   * sketched as it came (see {@link addSamples}, {@link addSketch}).
   */
  #merged(
    into: LogCollapsingLowestDenseDDSketch | null,
  ): LogCollapsingLowestDenseDDSketch | null {
    this.#flush();
    const now = this.#cfg.clock.mono();
    if (now >= (this.#hot[this.#off + HOT_NEXT] as number)) this.#rotate(now);
    let m: LogCollapsingLowestDenseDDSketch | null = null;
    for (const s of this.#slices()) {
      if (s === null) continue;
      if (Array.isArray(s) && s.length === 0) continue;
      if (s === LIVE && this.#hot[this.#off + K_COUNT] === 0) continue;
      if (m === null) {
        if (into === null) m = this.#sketch();
        else {
          resetSketch(into);
          m = into;
        }
      }
      if (Array.isArray(s)) addSamples(m, s);
      else if (s === LIVE) {
        addSketch(m, this.#mount());
        this.#unmount(false);
      } else addFrozen(m, s);
    }
    return m;
  }

  /** The window's slices in ring order (from the flat list: new per-slice lists). */
  #slices(): readonly Slice[] {
    const r = this.#ring;
    if (r === null) return [];
    if (typeof r[0] !== "number") return r as Slice[];
    const n = this.#cfg.slices;
    const oldest = this.#epoch - n;
    const ring = new Array<Slice>(n).fill(null);
    for (let j = 0; j < r.length; j += 2) {
      const e = r[j] as number;
      if (e <= oldest) continue;
      const list = ring[e % n] as number[] | null;
      if (list === null) ring[e % n] = [r[j + 1] as number];
      else list.push(r[j + 1] as number);
    }
    return ring;
  }

  #sketch(): LogCollapsingLowestDenseDDSketch {
    return newSketch(this.#cfg.accuracy);
  }

  /** Advances the ring by the number of whole slices elapsed, emptying the slices it enters. */
  #rotate(now: number): void {
    const { sliceMs, slices: n } = this.#cfg;
    const hot = this.#hot, next = this.#off + HOT_NEXT;
    const steps = Math.floor((now - (hot[next] as number)) / sliceMs) + 1;
    const r = this.#ring;
    if (r !== null && typeof r[0] !== "number") {
      const ring = r as Slice[];
      // The ending slice's window sketch: its counts frozen in its slot while the slice stays in
      // the window (see `Frozen`), the sketch emptied to take the next slice that needs one.
      // Every other slot holds a list or a frozen slice.
      const cur = this.#epoch % n;
      if (ring[cur] === LIVE) {
        const w = this.#mount();
        ring[cur] = steps < n ? freeze(w) : null;
        resetSketch(w);
        this.#unmount();
      }
      for (let k = 1; k <= Math.min(steps, n); k++) ring[(this.#epoch + k) % n] = null;
    }
    if (steps >= n) {
      // Every slice left the window: nothing to keep, not even the sketch or the buffer (flushed
      // before any rotation). Its bins go back to their slab.
      this.#ring = null;
      if (this.#bins !== null) release(this.#view());
      this.#bins = null; // and no more buffering
    }
    this.#epoch += steps;
    hot[next] = (hot[next] as number) + steps * sliceMs;
  }
}

if (!sketchLayoutHolds()) {
  throw new Error(
    "@datadog/sketches-js: its sketches are not what telemetry/metrics/histogram.ts relies on " +
      "(written for 2.1.1, the version package.json pins)",
  );
}
