/**
 * `deno task bundle` output is a single file that runs with `deno run` on its own (no
 * node_modules beside it) and serves the demo; with `--unstable-net`, `serve --workers` too.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/switchyard.ts";
import { curl, eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

/** `deno task bundle`'s command, into a new directory; returns the directory and the file. */
async function bundle(): Promise<{ dir: string; out: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sy-bundle-" });
  const out = `${dir}/switchyard.js`;
  const b = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform=deno", "--external", "protobufjs/minimal", "-o", out, "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(b.code, 0, new TextDecoder().decode(b.stderr));
  return { dir, out };
}

Deno.test("bundle: the single-file bundle serves the demo from a directory without node_modules", async () => {
  const { dir, out } = await bundle();
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

Deno.test("bundle: serve --workers 2 runs its own workers (--unstable-net)", async () => {
  const { dir, out } = await bundle();
  const up = startUpstream("a");
  const names = await fsNamerDir({ a: up.fsLine });
  const [r, a] = [freePort(), freePort()];
  const cfg = `${dir}/switchyard.yaml`;
  await Deno.writeTextFile(
    cfg,
    `admin: {ip: 127.0.0.1, port: ${a}}
namers: [{kind: io.l5d.fs, rootDir: ${names}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs/a;
  servers: [{ip: 127.0.0.1, port: ${r}}]
`,
  );
  const run = (flags: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...flags, out, "--log-format", "json", "serve", "--workers", "2", cfg],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    });
  try {
    // Without the unstable net APIs (no deno.json beside the bundle): a plain error, exit 1.
    const plain = await run([]).output();
    const text = new TextDecoder().decode(plain.stdout) + new TextDecoder().decode(plain.stderr);
    assertEquals(plain.code, 1, text);
    assertStringIncludes(text, "--workers needs SO_REUSEPORT");
    assertStringIncludes(text, "--unstable-net");

    const child = run(["--unstable-net"]).spawn();
    const logs = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(new WritableStream());
    const errs = new Response(child.stderr).text();
    try {
      const ready = await eventually(async () => {
        try {
          return (await (await fetch(`http://127.0.0.1:${a}/admin/ping`)).text()) === "pong";
        } catch {
          return false;
        }
      }, 20_000);
      assert(ready, "admin up");
      const K = 12;
      for (let i = 0; i < K; i++) {
        const c = await curl(["-x", `http://127.0.0.1:${r}`, "http://a/"]);
        assertEquals(c.status, 200, c.body);
        assertEquals(JSON.parse(c.body).name, "a");
      }
      const per = JSON.parse((await curl([`http://127.0.0.1:${a}/admin/workers.json`])).body);
      assertEquals(per.length, 2);
      const m = JSON.parse((await curl([`http://127.0.0.1:${a}/admin/metrics.json`])).body);
      assertEquals(m["rt/http/service/svc/a/requests"], K);
    } finally {
      child.kill("SIGTERM");
      assertEquals((await child.status).code, 0, await errs);
      await logs;
    }
  } finally {
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});
