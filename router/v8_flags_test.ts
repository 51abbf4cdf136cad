import { assert, assertEquals } from "../tests/support/assert.ts";
import { V8_FLAGS, v8FlagsArg } from "./v8_flags.ts";

const root = new URL("../", import.meta.url);

Deno.test("v8FlagsArg() joins the flags into one --v8-flags argument", () => {
  assertEquals(v8FlagsArg(["--a=1", "--b"]), "--v8-flags=--a=1,--b");
  assertEquals(v8FlagsArg([]), "");
  assertEquals(v8FlagsArg(), `--v8-flags=${V8_FLAGS.join(",")}`);
});

Deno.test("V8_FLAGS are the ones deno.json's tasks and the Dockerfile run with", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  for (const task of ["start", "serve", "compile"]) {
    assert(
      String(deno.tasks[task]).includes(` ${v8FlagsArg()} `),
      `deno.json task ${task} lacks ${v8FlagsArg()}: ${deno.tasks[task]}`,
    );
  }
  const docker = await Deno.readTextFile(new URL("deploy/k8s/Dockerfile", root));
  const entry = docker.split("\n").find((l) => l.startsWith("ENTRYPOINT"));
  assert(entry?.includes(`"${v8FlagsArg()}"`), `Dockerfile ENTRYPOINT lacks it: ${entry}`);
});
