/**
 * `switchyard CONFIG` (Linkerd style) and `switchyard serve -` (config on stdin), and `check`
 * with file:line:column errors, against the real process.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { adminMetrics, MAIN, ROOT, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { startPortPeer } from "../support/h2_peers.ts";

async function runUntilServing(
  args: string[],
  stdin: string | null,
  probe: string,
  runFlags: string[] = [],
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...runFlags, MAIN, ...args],
    cwd: ROOT,
    stdin: stdin === null ? "null" : "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  if (stdin !== null) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const up = await eventually(async () => {
    try {
      return (await curl([probe])).body === "pong";
    } catch {
      return false;
    }
  }, 20_000);
  return { child, up };
}

Deno.test("cli: `switchyard CONFIG` and `switchyard serve -` run the routers", async () => {
  const up = startUpstream("hello");
  const dir = await fsNamerDir({ hello: up.fsLine });
  for (const mode of ["file", "stdin"] as const) {
    const [rp, ap] = [freePort(), freePort()];
    const yaml = `admin: {port: ${ap}}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: ${rp}}]
`;
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    await Deno.writeTextFile(file, yaml);
    const { child, up: ok } = await runUntilServing(
      mode === "file" ? [file] : ["serve", "-"],
      mode === "file" ? null : yaml,
      `http://127.0.0.1:${ap}/admin/ping`,
    );
    try {
      assert(ok, `${mode}: admin answered`);
      const r = await curl(["-x", `http://127.0.0.1:${rp}`, "http://hello/"]);
      assertEquals(JSON.parse(r.body).name, "hello");
    } finally {
      child.kill("SIGTERM");
      assertEquals((await child.status).code, 0, `${mode}: clean exit on SIGTERM`);
    }
  }
  await up.close();
});

Deno.test("cli: check reports every error as file:line:column key: message and exits 1", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    file,
    `routers:
- protocol: http
  dtab: /svc => => nope;
  servers: [{port: 4140, colour: blue}]
namers:
- kind: io.l5d.serversets
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "check", file],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 1);
  assertStringIncludes(text, `${file}:4:`);
  assertStringIncludes(text, "colour");
  assertStringIncludes(text, "io.l5d.serversets is not supported");
  assert(new RegExp(`${file}:3:\\d+: routers\\[0\\]\\.dtab`).test(text), text);
});

// Linkerd's RouterConfig defaults `servers` to Nil and ProtocolRouter.initialize refuses it
// (`router 'http' has no servers`, linkerd/core/.../ProtocolInitializer.scala); routers.md marks
// `servers` required. Switchyard used to give such a router 127.0.0.1:4140 (h2: 4142).
Deno.test("cli: a router without servers, or with servers: [], is refused by check and serve at its line:column", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    file,
    `admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
- protocol: h2
  label: grpc
  servers: []
`,
  );
  for (const cmd of [["check", file], ["serve", file]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...cmd],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, `${cmd[0]}: ${text}`);
    assertStringIncludes(text, `${file}:3:3: routers[0].servers: required key is missing`);
    assertStringIncludes(text, `${file}:7:12: routers[1].servers: a router has no servers`);
    assert(!text.includes("127.0.0.1:4140"), `${cmd[0]}: no default listener: ${text}`);
  }
  await Deno.remove(file);
});

Deno.test("cli: a diagnostic V8 flag that prints to stdout (--trace-gc) does not break config loading", async () => {
  const ap = freePort();
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(
    file,
    `admin: {port: ${ap}}\nrouters:\n- protocol: http\n  servers: [{port: 0}]\n`,
  );
  const { child, up } = await runUntilServing(
    ["serve", file],
    null,
    `http://127.0.0.1:${ap}/admin/ping`,
    ["--v8-flags=--trace-gc"],
  );
  try {
    assert(up, "serving with --v8-flags=--trace-gc (the config child must not inherit it)");
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
});

Deno.test({
  name:
    "serve: once idle after start-up, the executable's start-up pages leave the resident set (issue 6)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const up = startUpstream("web");
    const dir = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
    // Its own copy of the runtime, as deployed (a container's only deno, or the compiled
    // binary): the kernel pages out only pages a single process maps, and the test runner and
    // the parallel tests' processes map the runner's executable.
    const exe = `${await Deno.makeTempDir()}/deno`;
    await Deno.copyFile(Deno.execPath(), exe);
    await Deno.chmod(exe, 0o755);
    {
      using f = await Deno.open(exe, { read: true, write: true });
      await f.sync(); // written back: clean pages (the kernel pages out only clean ones at once)
    }
    const sy = await startSwitchyard(
      `
admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: edge
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 0
`,
      { exe },
    );
    // Pages only this process maps (Private_Clean): its executable's, mostly.
    const privateClean = () => {
      const t = Deno.readTextFileSync(`/proc/${sy.pid}/smaps_rollup`);
      return Number(/^Private_Clean:\s+(\d+)/m.exec(t)![1]) * 1024;
    };
    try {
      const before = privateClean();
      const paged = await eventually(
        () => sy.logs.some((l) => l.includes("start-up pages of the executable paged out")),
        15_000,
      );
      assert(paged, `no page-out logged:\n${sy.logs.join("\n")}`);
      // The start-up collection is counted where a benchmark can wait for it.
      assertEquals((await adminMetrics(sy.admin))["process/heap_trims"], 1);
      const after = privateClean();
      assert(after < before / 2, `Private_Clean ${before} → ${after} bytes`);
      const r = await curl(["-x", `http://${sy.proxy()}`, "http://web/"]);
      assertEquals(r.status, 200);
      assertEquals(JSON.parse(r.body).name, "web");
    } finally {
      await sy.stop();
      await up.close();
      await Deno.remove(exe);
    }
  },
});

/** Read from `c` until the end of a response head (or EOF), at most `ms`. */
async function readHead(c: Deno.Conn, ms = 10_000): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  const deadline = Date.now() + ms;
  while (!text.includes("\r\n\r\n") && Date.now() < deadline) {
    const n = await c.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text;
}

// telemetry/metrics/malloc_trim.ts: glibc's free memory goes back to the OS after start-up and
// each time the process goes quiet after traffic, counted on `process/malloc_trims`.
Deno.test("cli: serve trims the C heap after start-up and again once traffic stops", async () => {
  const up = startUpstream("web");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const trims = async () => Number((await adminMetrics(sy.admin))["process/malloc_trims"] ?? 0);
  try {
    assert(await eventually(async () => (await trims()) >= 1, 10_000), "a start-up trim");
    const before = await trims();
    for (let i = 0; i < 20; i++) {
      assertEquals((await curl(["-H", "Host: web", `http://${sy.proxy()}/`])).status, 200);
    }
    // The admin's own requests are not proxied requests: the process is quiet after the burst.
    assert(await eventually(async () => (await trims()) > before, 10_000), "a trim once quiet");
    const settled = await trims();
    await new Promise((r) => setTimeout(r, 2500));
    assertEquals(await trims(), settled, "an idle process is not trimmed again");
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("cli: SIGTERM exits within shutdownGraceMs despite a hung request and a tunnel", async () => {
  // An upstream that accepts and never answers: a request to it waits (no timeout configured),
  // and a CONNECT tunnel to it stays open. Both held the process after SIGTERM.
  const up = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const upPort = (up.addr as Deno.NetAddr).port;
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of up) held.push(c);
  })();
  const sy = await startSwitchyard(`
admin: {port: 0, shutdownGraceMs: 1000}
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.0.0.1/${upPort};
  servers: [{port: 0}]
`);
  const port = Number(sy.proxy().split(":")[1]);
  const enc = new TextEncoder();
  const clients: Deno.Conn[] = [];
  let stopped = false;
  try {
    const tunnel = await Deno.connect({ hostname: "127.0.0.1", port });
    clients.push(tunnel);
    await tunnel.write(enc.encode(`CONNECT 127.0.0.1:${upPort} HTTP/1.1\r\nHost: x\r\n\r\n`));
    assertStringIncludes(await readHead(tunnel), "HTTP/1.1 200");
    const hung = await Deno.connect({ hostname: "127.0.0.1", port });
    clients.push(hung);
    await hung.write(enc.encode("GET / HTTP/1.1\r\nHost: web\r\n\r\n"));
    assert(await eventually(() => held.length >= 2, 10_000), `upstream got ${held.length}`);
    const t0 = Date.now();
    stopped = true;
    const code = await sy.stop(); // SIGTERM; SIGKILL after 10 s
    const took = Date.now() - t0;
    assertEquals(code, 0, sy.logs.slice(-5).join("\n"));
    assert(took < 8000, `took ${took} ms`);
    assert(sy.logs.some((l) => l.includes("shutdown grace period over")), sy.logs.join("\n"));
  } finally {
    if (!stopped) await sy.stop();
    for (const c of [...clients, ...held]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    up.close();
    await accepting.catch(() => {});
  }
});

Deno.test("cli: SIGTERM exits within shutdownGraceMs despite an h2 stream still flowing", async () => {
  // `/hold`: a 200 with "partial", then nothing. The upstream h2 session waited 30 s for it.
  const up = await startPortPeer("h2-reset");
  const sy = await startSwitchyard(`
admin: {port: 0, shutdownGraceMs: 1000}
routers:
- protocol: h2
  dtab: /svc/* => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
`);
  const client = new Deno.Command("curl", {
    args: ["-sN", "-m", "60", "--http2-prior-knowledge", "-H", "Host: dog"].concat(
      `http://${sy.proxy("h2")}/hold`,
    ),
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let stopped = false;
  try {
    const reader = client.stdout.getReader();
    const first = await reader.read(); // "partial": the stream is open end to end
    assertStringIncludes(new TextDecoder().decode(first.value), "partial");
    const t0 = Date.now();
    stopped = true;
    const code = await sy.stop(); // SIGTERM; SIGKILL after 10 s
    const took = Date.now() - t0;
    assertEquals(code, 0, sy.logs.slice(-5).join("\n"));
    assert(took < 8000, `took ${took} ms`);
    reader.releaseLock();
  } finally {
    if (!stopped) await sy.stop();
    try {
      client.kill("SIGKILL");
    } catch { /* exited */ }
    await client.stdout.cancel().catch(() => {});
    await client.status;
    await up.peer.kill();
  }
});
