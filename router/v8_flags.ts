/**
 * The V8 flags Switchyard is meant to run with: `deno run --v8-flags=…` in `deno task
 * start`/`serve`, baked into the binary by `deno task compile`, in the container's entrypoint
 * (deploy/k8s/Dockerfile) and in the benchmark. `v8_flags_test.ts` keeps those places in step.
 *
 * `--max-semi-space-size=4` (MiB): V8 grows the young generation up to 16 MiB per semi-space
 * (×3 with the new large-object space) under a high allocation rate, which a proxy under load
 * has: that young generation was most of the RSS under load (issue 6). Measured on the 2-vCPU
 * bench box, c=64, 12-byte body, 3 alternated runs each: peak RSS 167–183 MiB by default,
 * 125–136 MiB at 4 MiB, with CPU per request within the run-to-run noise (53 vs 55 µs median).
 * 2 MiB is too small: survivors spill into the old generation and p99 grows to 20–30 ms.
 *
 * @example
 * ```ts
 * import { V8_FLAGS, v8FlagsArg } from "./v8_flags.ts";
 * V8_FLAGS.length; // 1
 * v8FlagsArg(); // "--v8-flags=--max-semi-space-size=4"
 * ```
 *
 * @module
 */

/** The flags, one per entry. */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/**
 * The `deno run` argument that passes `flags`.
 *
 * @param flags V8 flags (default {@linkcode V8_FLAGS})
 * @returns `--v8-flags=a,b`, or "" when there are none
 */
export function v8FlagsArg(flags: readonly string[] = V8_FLAGS): string {
  return flags.length ? `--v8-flags=${flags.join(",")}` : "";
}
