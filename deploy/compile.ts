/**
 * The single binary: `deno compile` of `main.ts` with everything the CLI loads embedded (the
 * dashboard, the default config and the sample apps are modules it imports; the worker entry is
 * `--include`d because it is only loaded through `new Worker`).
 *
 * - `deno task compile`: this machine's target → `dist/switchyard`.
 * - `deno task compile:all`: Linux x64/arm64 and macOS x64/arm64 → `dist/switchyard-<os>-<arch>`.
 *
 * `deno compile` downloads Deno's `denort` runtime for each target from dl.deno.land (or uses
 * the file `DENORT_BIN` names). When that download is impossible — a machine without that network,
 * like the one this project is built on — the target is reported as skipped, in plain words, and
 * the exit code is {@link SKIPPED}, so CI can tell "could not try" from "failed".
 *
 * @example
 * ```sh
 * npx deno task compile            # dist/switchyard
 * npx deno task compile:all        # dist/switchyard-linux-x64, -linux-arm64, -macos-x64, -macos-arm64
 * ```
 *
 * @module
 */

import { v8FlagsArg } from "../router/v8_flags.ts";

/** Exit code when every failure was a runtime download that could not be made. */
export const SKIPPED = 3;

/** The targets of `--all`: output suffix → Rust target triple. */
export const TARGETS: Readonly<Record<string, string>> = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
};

/** Flags of every build: the runtime flags `deno task serve` uses, baked into the binary. */
export const COMPILE_FLAGS: readonly string[] = [
  "-A",
  v8FlagsArg(),
  "--unstable-no-legacy-abort",
  "--unstable-net",
  "--include",
  "router/workers/worker_main.ts",
];

/** Whether `deno compile`'s error output says the runtime download failed (network, DNS, TLS). */
export function isDownloadFailure(stderr: string): boolean {
  return /denort|dl\.deno\.land/i.test(stderr) &&
    /dns error|error sending request|connect|timed out|network|unreachable|certificate/i.test(
      stderr,
    );
}

/** The `deno compile` argument list for one build. */
export function compileArgs(output: string, target?: string): string[] {
  return [
    "compile",
    ...COMPILE_FLAGS,
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    "main.ts",
  ];
}

async function build(output: string, target?: string): Promise<"built" | "skipped" | "failed"> {
  const label = target ?? "this machine";
  const out = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(output, target),
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (out.success) {
    console.log(`built ${output} (${label})`);
    return "built";
  }
  if (isDownloadFailure(err)) {
    const why = err.split("\n").map((l) => l.trim()).find((l) => /error sending request/i.test(l));
    console.log(
      `SKIPPED ${output} (${label}): deno compile could not download the denort runtime for ` +
        `this target${why ? ` (${why})` : ""}. Run it on a machine that reaches dl.deno.land, ` +
        "or point DENORT_BIN at a denort binary.",
    );
    return "skipped";
  }
  console.error(err);
  console.error(`FAILED ${output} (${label})`);
  return "failed";
}

if (import.meta.main) {
  const all = Deno.args.includes("--all");
  const results: string[] = [];
  if (!all) results.push(await build("dist/switchyard"));
  else {
    for (const [suffix, triple] of Object.entries(TARGETS)) {
      results.push(await build(`dist/switchyard-${suffix}`, triple));
    }
  }
  if (results.includes("failed")) Deno.exit(1);
  if (results.includes("skipped")) Deno.exit(SKIPPED);
}
