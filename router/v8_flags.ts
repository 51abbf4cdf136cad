/**
 * The runtime flags Switchyard is meant to run with: `deno run --no-code-cache --v8-flags=…` in
 * `deno task start`/`serve`, in the container's entrypoint (deploy/k8s/Dockerfile), in the
 * benchmark and the black-box tests; the V8 flags are baked into the binary by `deno task
 * compile`. `v8_flags_test.ts` keeps those places in step.
 *
 * `--max-semi-space-size=8` (MiB): V8 grows the young generation up to 16 MiB per semi-space
 * (×3 with the new large-object space) under a high allocation rate, which a proxy under load
 * has: that young generation was most of the RSS under load (issue 6). Measured on the 2-vCPU
 * bench box, c=64, 12-byte body, 3 alternated runs each: peak RSS 167–183 MiB by default,
 * 125–136 MiB at 4 MiB, with CPU per request within the run-to-run noise (53 vs 55 µs median).
 * 2 MiB is too small: survivors spill into the old generation and p99 grows to 20–30 ms.
 * 4 MiB became too small once a request cost ~30 µs and ~13 KB: a young collection every ~240
 * requests promoted ~24 KB of requests still in flight each time, and the old generation then
 * needed a full (incremental) collection every ~0.6 s (`--trace-gc`, one service, c=64). At 8
 * MiB a young collection comes every ~490 requests, promotes ~1 KB, and no full collection ran
 * in 5 s; CPU per request 34.0 → 31.0 µs (medians of 8 alternated 5 s runs; 16 MiB: 31.3), peak
 * RSS +0–3 MiB, idle RSS and the 1 GiB streams' RSS unchanged (`deno task bench --idle
 * --stream`, two alternated runs each).
 *
 * Not set: `--min-semi-space-size=8`. V8 sizes the young generation by the allocation rate since
 * the last young collection, and the first one after ~20 s of quiet (10 s was not enough here)
 * shrinks the 8 MiB semi-space to ~1 MiB; the burst that follows runs with young collections every
 * 3–7 ms instead of ~15 and one full collection to grow it back. At c=16 on the 2-vCPU bench
 * box, 1 s runs right after 20 s idle had p99 4.8–8.1 ms by default and 0.81–1.10 ms with the
 * flag (5 s runs: 0.85–1.16 against 0.85–0.93 ms). But a process that served traffic and went
 * idle then keeps the whole young generation: `deno task bench --idle` read 65.2 MiB after 1000
 * requests and a 3 s rest, against 55.1–55.5 without the flag, past the 60 MB idle goal (issue
 * 6). The benchmark's own runs come ~12 s apart: its c=16 cells did not change either way.
 *
 * `--no-memory-reducer`: V8's memory reducer runs a memory-reducing full collection a few seconds
 * after allocation slows down, and a full collection of an idle isolate discards the JIT's
 * optimized code of the hot path: the next burst runs ~3 s at 60–85% of the throughput with p99
 * 5–8 ms while the code is compiled again (measured at c=16 on the 2-vCPU bench box, 1 s slices
 * after 4 s idle: 12.0–13.3k req/s and p99 5.6–9.7 ms in the first second, against 20–23k and
 * 1.1–1.4 ms without the collection; `--trace-opt` shows ~180 recompilations after it). The idle
 * heap trimmer (telemetry/metrics/heap_trim.ts) gives memory back instead, after a real silence.
 * The flag must be given at start: set later through `node:v8` it does not stop the reducer
 * (measured with `--trace-gc`: two "Mark-Compact (reduce)" collections ~11 s after a burst
 * without it on the command line, none with it).
 *
 * `--max-old-space-size=1024` (MiB): Linkerd 1's JVM default heap cap (`-Xmx1024M`), and the knob
 * V8 sizes its old generation's growth by. Without it V8 derives the cap from the machine's
 * memory (4 GiB on the 24 GiB bench box) and, from a cap of 2 GiB up, lets the old generation
 * grow to up to 4× what the last full collection kept before it collects again; at 1 GiB, ~1.6×.
 * Garbage that outlives young collections under load (parked connection reads, namer scans,
 * metrics) then accumulated for minutes. Measured on the 2-vCPU bench box, c=16, 5 s steps: one
 * service, RSS 104–107 MiB flat over 40 s against 101 → 122–126 MiB; 1000 services × 10
 * endpoints, 194–207 MiB over 60 s against 164 → 237–239 MiB; CPU per request equal or lower
 * (22.2/23.2 against 22.6/24.0 µs; 36.5/35.4 against 36.7/36.9 µs); p99 at c=16 within the
 * run-to-run noise (six 5 s runs each, medians 1.02/1.73 against 1.96/1.65 ms). It is a cap:
 * a process whose live heap nears 1 GiB (an order of magnitude past 1000 × 10) stops with an
 * out-of-memory error, as a JVM at its `-Xmx` does; raise it with `--v8-flags` (a later value
 * wins) or in the image's entrypoint.
 *
 * `--no-code-cache` (`deno run` only): Deno maps its V8 code cache (a SQLite file under
 * `DENO_DIR`) into the process, and the cached code of every module stays resident. Without it,
 * idle RSS is ~3 MiB lower (measured, 3 alternated starts each: 27.6–27.8 + 40.0–40.6 MiB
 * anon + file against 28.4–28.6 + 42.8–42.9) for 20–110 ms more start-up.
 *
 * @example
 * ```ts
 * import { runFlags, V8_FLAGS, v8FlagsArg } from "./v8_flags.ts";
 * V8_FLAGS.length; // 3
 * v8FlagsArg(); // "--v8-flags=--max-semi-space-size=8,--no-memory-reducer,--max-old-space-size=1024"
 * runFlags(); // ["--no-code-cache", "--v8-flags=--max-semi-space-size=8,--no-memory-reducer,--max-old-space-size=1024"]
 * ```
 *
 * @module
 */

/** The flags, one per entry. */
export const V8_FLAGS: readonly string[] = [
  "--max-semi-space-size=8",
  "--no-memory-reducer",
  "--max-old-space-size=1024",
];

/**
 * The `deno run` argument that passes `flags`.
 *
 * @param flags V8 flags (default {@linkcode V8_FLAGS})
 * @returns `--v8-flags=a,b`, or "" when there are none
 */
export function v8FlagsArg(flags: readonly string[] = V8_FLAGS): string {
  return flags.length ? `--v8-flags=${flags.join(",")}` : "";
}

/**
 * The `deno run` flags, permissions aside, of a serving Switchyard.
 *
 * @param v8 V8 flags (default {@linkcode V8_FLAGS})
 * @returns `--no-code-cache` and the `--v8-flags` argument
 */
export function runFlags(v8: readonly string[] = V8_FLAGS): string[] {
  const arg = v8FlagsArg(v8);
  return arg === "" ? ["--no-code-cache"] : ["--no-code-cache", arg];
}
