/**
 * `deno task bundle` output is a single file that runs with `deno run` on its own (no
 * node_modules beside it) and serves the demo.
 */
import { assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/switchyard.ts";
import { eventually, freePort } from "../support/upstream.ts";

Deno.test("bundle: the single-file bundle serves the demo from a directory without node_modules", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-bundle-" });
  const out = `${dir}/switchyard.js`;
  const b = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform=deno", "--external", "protobufjs/minimal", "-o", out, "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(b.code, 0, new TextDecoder().decode(b.stderr));
  const [r, a, h, w] = [freePort(), freePort(), freePort(), freePort()];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-no-legacy-abort",
      out,
      "demo",
      "--router-port",
      `${r}`,
      "--admin-port",
      `${a}`,
      "--hello-port",
      `${h}`,
      "--world-port",
      `${w}`,
    ],
    cwd: dir,
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  try {
    const up = await eventually(async () => {
      try {
        return (await (await fetch(`http://127.0.0.1:${a}/admin/ping`)).text()) === "pong";
      } catch {
        return false;
      }
    }, 20_000);
    assertEquals(up, true);
    const c = await new Deno.Command("curl", {
      args: ["-s", "-m", "10", "http://hello"],
      env: { http_proxy: `127.0.0.1:${r}` },
      stdout: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(c.stdout), "Hello (127.0.0.1) world (127.0.0.1)!!");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
