/**
 * Gives the heap's garbage back to the OS once the proxy goes quiet.
 *
 * V8 sizes its heap for the allocation it has seen and shrinks it only after a full collection;
 * a proxy that started (module loading, config parsing, the first namer scan), took a burst of
 * traffic or bound 1000 new names keeps that peak committed while it sits idle, because an idle
 * isolate allocates too little to trigger the collection that would shrink it. Measured on the
 * bench's plain config: RSS 78 MiB → 70 MiB, V8 heap 24 MiB → 15 MiB (issue 6).
 *
 * The trimmer checks once per `intervalMs`: when no request started during the last
 * `firstQuietChecks` (first time, default 1 s) or `quietChecks` (later, default 5 min) intervals
 * and the committed heap has grown by `minGrowthBytes` since the last trim (or there was none
 * yet), it runs one full collection. Under traffic it never runs (a check costs one
 * `Deno.memoryUsage()`), and an idle process is collected at most once per growth step.
 *
 * Cost: the collection is synchronous, ~1–3 ms per MiB of live heap (measured on the loaded
 * 2-vCPU bench box: 20–45 ms at the plain config's 17 MiB, 130–190 ms with 1000 services bound,
 * 68 MiB). A request that arrives during it waits that long; with the defaults that can only be
 * the first request after start-up, or after ≥ 5 min of silence, once per 4 MiB of heap growth.
 * The larger cost comes after it: a full collection of an idle isolate discards the JIT's
 * optimized code of the hot path, and the next burst runs ~3 s at 60–85% of the throughput with
 * p99 5–8 ms while it is compiled again (measured at c=16, 1 s slices after 4 s idle, with and
 * without the collection; `--trace-opt` shows ~180 recompilations after it). Hence the long
 * silence before every trim after the first.
 *
 * The collection is V8's `gc()`, exposed once with `--expose-gc` through `node:v8` and taken from
 * a fresh `node:vm` context (the flag only applies to contexts created after it is set). Deno
 * has no other API for it. Both modules are imported on the first trim, not at start (`node:vm`
 * alone costs ~3 MiB). When that fails the trimmer stops and does nothing.
 *
 * @module
 */

/** Options of {@link startHeapTrimmer}. */
export interface HeapTrimOptions {
  /**
   * A count that changes whenever a request starts (e.g. requests accepted so far); the process
   * is idle between two checks that read the same value.
   */
  readonly activity: () => number;
  /** Check period in ms (default 1000). */
  readonly intervalMs?: number;
  /**
   * Consecutive checks without a new request before a collection after the first (default 300,
   * 5 min). A collection makes the next burst pay for the JIT's optimized code and the heap again
   * (module doc; measured: a quick bench run right after a trim had p99 27 ms and 71 µs CPU per
   * request against 15 ms and 54 µs): trim only a process that has really gone idle, not one
   * between two bursts of traffic.
   */
  readonly quietChecks?: number;
  /**
   * Quiet checks before the first collection (default 1): what start-up (module loading, config
   * parsing, the first namer scans) leaves committed goes back as soon as the process is idle.
   */
  readonly firstQuietChecks?: number;
  /** Committed-heap growth since the last trim that warrants another, bytes (default 4 MiB). */
  readonly minGrowthBytes?: number;
  /** Runs a full collection (default: V8's `gc()`, see the module doc); for tests. */
  readonly collect?: () => void;
  /**
   * Memory a full collection can give back, bytes: the committed V8 heap plus the memory of
   * JS-owned buffers outside it (default `heapTotal + external` of `Deno.memoryUsage()`: a stream
   * passing through leaves its chunks' buffers there until a collection); for tests.
   */
  readonly heapTotal?: () => number;
  /** Called after each collection with the number of collections so far (1 = start-up's). */
  readonly onTrim?: (trims: number) => void;
}

function gcOwnedBytes(): number {
  const m = Deno.memoryUsage();
  return m.heapTotal + m.external;
}

/** A running trimmer. */
export interface HeapTrimmer {
  /** Full collections run so far. */
  readonly trims: number;
  /** Runs one check now (what the timer does). */
  check(): void;
  /** Stops the timer. */
  stop(): void;
}

/**
 * V8's `gc()`, or undefined when it cannot be had.
 *
 * @returns the collector
 */
export async function v8Collector(): Promise<(() => void) | undefined> {
  try {
    // Specifiers in variables: the type checker has no @types/node here, and needs none.
    const [v8Name, vmName] = ["node:v8", "node:vm"];
    const [v8, vm] = await Promise.all([import(v8Name), import(vmName)]) as [
      { setFlagsFromString(flags: string): void },
      { runInNewContext(code: string): unknown },
    ];
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    return typeof gc === "function" ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the idle heap trimmer (its timer does not keep the process alive).
 *
 * @param options Activity source, period, growth threshold.
 * @returns The trimmer; `stop()` it on shutdown.
 * @example
 * ```ts
 * import { startHeapTrimmer } from "./heap_trim.ts";
 * let requests = 0;
 * const trimmer = startHeapTrimmer({ activity: () => requests });
 * requests++; // a request started: the next check skips
 * trimmer.stop();
 * ```
 */
export function startHeapTrimmer(options: HeapTrimOptions): HeapTrimmer {
  let collect = options.collect;
  let loading: Promise<void> | undefined;
  const heapTotal = options.heapTotal ?? gcOwnedBytes;
  const minGrowth = options.minGrowthBytes ?? 4 * 1024 * 1024;
  const quietChecks = options.quietChecks ?? 300;
  const firstQuietChecks = options.firstQuietChecks ?? 1;
  let seen = options.activity();
  let quiet = 0;
  let trimmedAt = -Infinity;
  let trims = 0;
  const trim = (c: () => void) => {
    c();
    trims++;
    trimmedAt = heapTotal();
    try {
      options.onTrim?.(trims);
    } catch { /* the hook's problem */ }
  };
  const check = () => {
    const now = options.activity();
    quiet = now === seen ? quiet + 1 : 0;
    seen = now;
    const need = trims === 0 ? firstQuietChecks : quietChecks;
    if (quiet < need || heapTotal() - trimmedAt < minGrowth) return;
    if (collect !== undefined) return trim(collect);
    loading ??= v8Collector().then((c) => {
      if (c === undefined) return clearInterval(timer);
      collect = c;
      if (options.activity() === seen) trim(c);
    });
  };
  const timer = setInterval(check, options.intervalMs ?? 1000);
  Deno.unrefTimer(timer);
  return {
    get trims() {
      return trims;
    },
    check,
    stop: () => clearInterval(timer),
  };
}
