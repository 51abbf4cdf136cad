/**
 * Black-box tests of the `io.l5d.consul.interpreter` (L1 `interpreter.md` "Consul Interpreter",
 * `interpreter/consul/.../ConsulInterpreterInitializer.scala`, `ConsulDtabCache.scala`,
 * `consul/.../v1/KvApi.scala`) against the fake Consul agent (real HTTP, blocking queries): the
 * router binds with the KV key `<pathPrefix>/<namespace>`'s dtab, then its own `dtab` (which
 * wins, ConfiguredDtabNamer's `dtab ++ routerDtab`); an edit applies live; a value that does
 * not parse keeps the last good dtab; a missing key gives the empty dtab; an agent that goes
 * down keeps the dtab; `pathPrefix`, `datacenter`, `token` and `readConsistencyMode` shape the
 * query; `/delegator.json` and `/<router>/interpreter_state/io.l5d.consul.interpreter.json` show
 * the KV dentries.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";
import { answers, inet, nameOf, routedUpstreams } from "../support/routed.ts";
import { startFakeConsul } from "../support/fake_consul.ts";

function config(agentPort: number, pinnedPort: number, extra = ""): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: outgoing
  dtab: /svc/pinned => /$/inet/127.0.0.1/${pinnedPort};
  interpreter:
    kind: io.l5d.consul.interpreter
    host: 127.0.0.1
    port: ${agentPort}
    namespace: internal${extra}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

function fixture() {
  const consul = startFakeConsul();
  const ups = routedUpstreams();
  return {
    ...ups,
    consul,
    async close() {
      await ups.close();
      await consul.close();
    },
  };
}

Deno.test("interpreter io.l5d.consul.interpreter: routes with the KV dtab, follows edits live, the router's dtab wins", async () => {
  const f = fixture();
  f.consul.setKv(
    "namerd/dtabs/internal",
    `/svc/web => ${inet(f.a.port)};\n/svc/pinned => ${inet(f.a.port)};`,
  );
  f.consul.setKv("namerd/dtabs/default", `/svc/web => ${inet(f.b.port)};`);
  const sy = await startSwitchyard(config(f.consul.port, f.pinned.port));
  try {
    await answers(sy, "web", "a");
    assertEquals(await nameOf(sy, "pinned"), "pinned");
    // Linkerd's KvApi.get: the raw value of `<pathPrefix>/<namespace>`, then blocking queries.
    const kv = f.consul.requests.filter((r) => r.path === "/v1/kv/namerd/dtabs/internal");
    assert(kv.length > 0, JSON.stringify(f.consul.requests));
    assertEquals(kv[0]!.query.raw, "true");
    assert(
      await eventually(() =>
        f.consul.requests.some((r) =>
          r.path === "/v1/kv/namerd/dtabs/internal" && r.query.index === String(f.consul.index())
        )
      ),
      "a blocking query at the current index",
    );
    const d = await fetch(
      `${sy.admin}/delegator.json?namespace=outgoing&path=${encodeURIComponent("/svc/web")}`,
    );
    const body = await d.text();
    assertEquals(d.status, 200, body);
    assertStringIncludes(body, `"dentry":{"prefix":"/svc/web","dst":"${inet(f.a.port)}"}`);
    // An edit applies without a restart; no request fails meanwhile.
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      if (i === 10) f.consul.setKv("namerd/dtabs/internal", `/svc/web => ${inet(f.b.port)};`);
      seen.add(await nameOf(sy, "web"));
    }
    await answers(sy, "web", "b");
    assertEquals([...seen].filter((n) => n !== "a" && n !== "b"), []);
    const state = await (await fetch(
      `${sy.admin}/outgoing/interpreter_state/io.l5d.consul.interpreter.json`,
    )).json();
    assertEquals(state.state.value, `/svc/web=>${inet(f.b.port)}`);
    assertEquals(state.state.running, true);
    assertStringIncludes(state.poll.request, "GET /v1/kv/namerd/dtabs/internal?raw=true");
    assertEquals(
      (await fetch(`${sy.admin}/outgoing/interpreter_state/io.l5d.k8s.configmap.json`)).status,
      404,
    );
    // The CLI reads the same key from the agent.
    const cli = await runCli("dtab", sy.configPath, "/svc/web");
    assertEquals(cli.code, 0, cli.stdout + cli.stderr);
    assertStringIncludes(cli.stdout, `binds to /$/inet/127.0.0.1/${f.b.port}`);
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.consul.interpreter: a bad dtab keeps the last good one; a missing key gives the empty dtab; an agent outage keeps the dtab", async () => {
  const f = fixture();
  const sy = await startSwitchyard(config(f.consul.port, f.pinned.port));
  const noHosts = `502 No hosts are available for /svc/web, Dtab.base=[/svc/pinned=>` +
    `/$/inet/127.0.0.1/${f.pinned.port}], Dtab.local=[]. Remote Info: Not Available`;
  try {
    // No key yet (404): the empty dtab, the router's own dentries work.
    await answers(sy, "pinned", "pinned");
    assertEquals(await nameOf(sy, "web"), noHosts);
    // Created: routing follows (the 404's index was blocked on).
    f.consul.setKv("namerd/dtabs/internal", `/svc/web => ${inet(f.a.port)};`);
    await answers(sy, "web", "a");
    // A value that does not parse: the last good dtab stays, and the log says so.
    f.consul.setKv("namerd/dtabs/internal", `/svc/web => ${inet(f.b.port)};\n/a => ;`);
    assert(
      await eventually(() => sy.logs.some((l) => l.includes("dtab parsing failed"))),
      "logged the bad dtab",
    );
    assertStringIncludes(sy.logs.find((l) => l.includes("dtab parsing failed"))!, ":2:7");
    assertEquals(await nameOf(sy, "web"), "a");
    // Deleted: the empty dtab again.
    f.consul.setKv("namerd/dtabs/internal", null);
    await answers(sy, "web", noHosts);
    f.consul.setKv("namerd/dtabs/internal", `/svc/web => ${inet(f.b.port)};`);
    await answers(sy, "web", "b");
    // The agent goes away (and answers 500 when back): the dtab in use stays.
    await f.consul.down();
    for (let i = 0; i < 5; i++) assertEquals(await nameOf(sy, "web"), "b");
    f.consul.failNext(3, 500);
    f.consul.up();
    f.consul.setKv("namerd/dtabs/internal", `/svc/web => ${inet(f.a.port)};`);
    await answers(sy, "web", "a");
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.consul.interpreter: pathPrefix, datacenter, token and readConsistencyMode shape the query; names wait for an agent down at start", async () => {
  const consul = startFakeConsul({ datacenters: ["dc2"], requireToken: "s3cret" });
  const a = startUpstream("a");
  consul.setKv("dtabs/l5d/internal", `/svc/web => ${inet(a.port)};`, "dc2");
  const port = consul.port;
  await consul.down();
  const keys = "\n    pathPrefix: /dtabs/l5d\n    datacenter: dc2\n    token: s3cret" +
    "\n    readConsistencyMode: stale\n  bindingTimeoutMs: 1500";
  const sy = await startSwitchyard(config(port, 1, keys));
  try {
    // Pending while the agent cannot be reached: the binding times out, 503.
    const r = await curl(["-H", "Host: web", `http://${sy.proxy("outgoing")}/`]);
    assertEquals(r.status, 503, r.body);
    assertStringIncludes(r.body, "binding timed out after 1500 ms for /svc/web");
    consul.up();
    await answers(sy, "web", "a");
    const kv = consul.requests.find((q) => q.path === "/v1/kv/dtabs/l5d/internal")!;
    assertEquals(kv.query.dc, "dc2");
    assertEquals(kv.query.stale, "true");
    assertEquals(kv.token, "s3cret");
    const check = await runCli("check", sy.configPath);
    assertEquals(check.code, 0, check.stdout + check.stderr);
    assertStringIncludes(
      check.stdout,
      `dtab from Consul KV /dtabs/l5d/internal at 127.0.0.1:${port}, then 1 dentry`,
    );
  } finally {
    await sy.stop();
    await a.close();
    await consul.close();
  }
});

Deno.test("interpreter io.l5d.consul.interpreter: a reload that keeps its keys keeps the KV dtab with the agent down", async () => {
  const f = fixture();
  f.consul.setKv("namerd/dtabs/internal", `/svc/web => ${inet(f.a.port)};`);
  const sy = await startSwitchyard(config(f.consul.port, f.pinned.port));
  try {
    await answers(sy, "web", "a");
    await f.consul.down();
    await Deno.writeTextFile(
      sy.configPath,
      config(f.consul.port, f.pinned.port).replace("/svc/pinned =>", "/svc/pinned2 =>"),
    );
    const r = await fetch(`${sy.admin}/admin/reload`, { method: "POST" });
    assertEquals(r.status, 200, await r.text());
    await answers(sy, "pinned2", "pinned");
    assertEquals(await nameOf(sy, "web"), "a");
    f.consul.up();
  } finally {
    await sy.stop();
    await f.close();
  }
});
