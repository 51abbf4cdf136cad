/**
 * `deno task compile` (deploy/compile.ts): builds the single binary where Deno's denort runtime can
 * be downloaded, and otherwise says plainly that it skipped, with its own exit code.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/switchyard.ts";
import { compileArgs, isDownloadFailure, SKIPPED, TARGETS } from "../../deploy/compile.ts";
import { v8FlagsArg } from "../../router/v8_flags.ts";

Deno.test("compile: arguments embed the worker entry, bake the V8 flags and name each target", () => {
  const host = compileArgs("dist/switchyard");
  assertEquals(host.slice(-3), ["--output", "dist/switchyard", "main.ts"]);
  assertStringIncludes(host.join(" "), "--include router/workers/worker_main.ts");
  assertStringIncludes(host.join(" "), v8FlagsArg());
  assertStringIncludes(v8FlagsArg(), "--max-semi-space-size=8");
  assertStringIncludes(v8FlagsArg(), "--no-memory-reducer");
  assert(!host.includes("--target"));
  const arm = compileArgs("dist/switchyard-linux-arm64", "aarch64-unknown-linux-gnu");
  assertStringIncludes(arm.join(" "), "--target aarch64-unknown-linux-gnu");
  assertEquals(Object.values(TARGETS).sort(), [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-unknown-linux-gnu",
  ]);
});

Deno.test("compile: a failed runtime download is told apart from a failed build", () => {
  const dns = "Caused by:\n    0: Setting up base binary.\n    1: error sending request for url " +
    "(https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error " +
    "(Connect): dns error: failed to lookup address information";
  assert(isDownloadFailure(dns));
  assert(
    !isDownloadFailure("error: TS2322 [ERROR]: Type 'string' is not assignable to type 'number'."),
  );
  assert(!isDownloadFailure('error: Module not found "file:///x/main.ts".'));
});

Deno.test("compile: deno task compile builds dist/switchyard or reports SKIPPED with exit code 3", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "deploy/compile.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (out.code === 0) {
    // A machine that reaches dl.deno.land (or has DENORT_BIN): the binary is there.
    assertStringIncludes(text, "built dist/switchyard");
    const st = await Deno.stat(`${ROOT}/dist/switchyard`);
    assert(st.isFile && st.size > 1_000_000, "a binary was written");
  } else {
    assertEquals(out.code, SKIPPED, text);
    assertStringIncludes(text, "SKIPPED dist/switchyard");
    assertStringIncludes(text, "could not download the denort runtime");
  }
});
