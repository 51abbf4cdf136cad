import { assert, assertEquals } from "../tests/support/assert.ts";
import { runFlags, V8_FLAGS, v8FlagsArg } from "./v8_flags.ts";

const root = new URL("../", import.meta.url);

Deno.test("v8FlagsArg() joins the flags into one --v8-flags argument", () => {
  assertEquals(v8FlagsArg(["--a=1", "--b"]), "--v8-flags=--a=1,--b");
  assertEquals(v8FlagsArg([]), "");
  assertEquals(v8FlagsArg(), `--v8-flags=${V8_FLAGS.join(",")}`);
});

Deno.test("runFlags() adds --no-code-cache to the V8 flags", () => {
  assertEquals(runFlags([]), ["--no-code-cache"]);
  assertEquals(runFlags(["--x"]), ["--no-code-cache", "--v8-flags=--x"]);
});

Deno.test("runFlags() are the ones deno.json's tasks and the Dockerfile run with", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const run = runFlags().join(" ");
  for (const task of ["start", "serve"]) {
    assert(String(deno.tasks[task]).includes(` ${run} `), `task ${task} lacks ${run}`);
  }
  // deno task compile runs deploy/compile.ts, whose flags carry the same V8 flags.
  assert(
    String(deno.tasks.compile).includes("deploy/compile.ts"),
    "compile runs deploy/compile.ts",
  );
  const { COMPILE_FLAGS } = await import("../deploy/compile.ts");
  assert(COMPILE_FLAGS.includes(v8FlagsArg()), `compile lacks ${v8FlagsArg()}`);
  const docker = await Deno.readTextFile(new URL("deploy/k8s/Dockerfile", root));
  const entry = docker.split("\n").find((l) => l.startsWith("ENTRYPOINT"));
  const want = runFlags().map((f) => `"${f}"`).join(", ");
  assert(entry?.includes(want), `Dockerfile ENTRYPOINT lacks ${want}: ${entry}`);
});
