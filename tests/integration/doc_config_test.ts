/**
 * Black-box checks of Linkerd 1.x's `linkerd/docs/config.md` (the configuration reference's
 * introduction): the file format (YAML or JSON; top-level `admin`, `routers`, `namers`,
 * `telemetry`, `usage`), the page's examples, the admin defaults and the admin endpoints it lists.
 * Other statements of the page are checked elsewhere: `-` for stdin (cli_serve_test.ts),
 * `admin.tls` (tls_test.ts), `httpIdentifierPort` (identifier_preview_test.ts), `usage` and
 * `/admin/metrics/usage` (admin_endpoints_test.ts).
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { udpCollector } from "../support/udp_collector.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

// "The configuration may be specified as a JSON or YAML object": the page's introductory example
// as a JSON document, adapted to port 0, a local io.l5d.fs directory and a local StatsD socket
// (sampleRate 1.0 so every counter is sent), without its thrift router (see the next test).
Deno.test("docs config: the introduction's example, as JSON, routes and runs its telemeters", async () => {
  const statsd = await udpCollector();
  const app = startUpstream("app");
  const disco = await fsNamerDir({ app: app.fsLine });
  const config = {
    admin: { port: 0 },
    routers: [{
      protocol: "http",
      label: "int-http",
      dtab: "/svc       => /#/io.l5d.fs;\n",
      servers: [{ port: 0, ip: "127.0.0.1" }],
    }],
    namers: [{ kind: "io.l5d.fs", rootDir: disco }],
    telemetry: [
      {
        kind: "io.l5d.statsd",
        experimental: true,
        prefix: "linkerd",
        hostname: "127.0.0.1",
        port: statsd.port,
        gaugeIntervalMs: 10000,
        sampleRate: 1.0,
      },
      { kind: "io.l5d.tracelog", sampleRate: 0.2, level: "TRACE" },
    ],
  };
  const sy = await startSwitchyard(JSON.stringify(config, null, 2));
  try {
    // l5d-sample: 1 makes this request one of the tracelog's sampled 20%.
    const r = await curl(["-H", "Host: app", "-H", "l5d-sample: 1", `http://${sy.proxy()}/x`]);
    assertEquals(r.status, 200, r.body);
    assertEquals(JSON.parse(r.body).name, "app");
    const metrics = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    assertEquals(metrics["rt/int-http/service/svc/app/requests"], 1);
    assertEquals(metrics["rt/int-http/client/#/io.l5d.fs/app/requests"], 1);
    // The StatsD telemeter sends the counters under its prefix (Linkerd's StatsDStatsReceiver
    // mkName writes characters outside [/A-Za-z0-9] as `_`, so `int-http` is `int_http`)...
    const sent = await eventually(
      () => statsd.lines().includes("linkerd.rt.int_http.service.svc.app.requests:1|c"),
      5000,
    );
    assert(sent, `statsd lines:\n${statsd.lines().join("\n")}`);
    // ...and the tracelog logs the sampled request's spans at TRACE (the process runs at debug,
    // Switchyard's most verbose level, as `-log.level` must allow the tracelog's level).
    const logged = await eventually(
      () => sy.logs.some((l) => l.includes('"msg":"span"') && l.includes("/svc/app")),
      5000,
    );
    assert(logged, sy.logs.join("\n"));
  } finally {
    await sy.stop();
    await app.close();
    await statsd.close();
  }
});

// The same example's thrift router: Switchyard speaks http and h2 only (README), and says so at
// the router's `protocol`; the rest of the example (an http router with `label`, `dtab` and an
// `ip: 0.0.0.0` server) checks, as its `usage` example does.
Deno.test("docs config: the example's thrift router is refused at its protocol; the rest checks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-config-" });
  const http = `admin:
  port: 9990

routers:
- protocol: http
  label: int-http
  dtab: |
    /svc       => /#/io.l5d.fs;
  servers:
  - port: 4140
    ip: 0.0.0.0
`;
  const thrift = `
- protocol: thrift
  servers:
  - port: 8081
    ip: 0.0.0.0
    thriftFramed: true
  client:
    thriftFramed: true
  thriftMethodInDst: false
  dtab: |
    /svc => /#/io.l5d.fs/thrift;
`;
  const rest = `
namers:
- kind: io.l5d.fs
  rootDir: ${dir}

usage:
 orgId: my-org
`;
  try {
    const file = `${dir}/linkerd.yaml`;
    await Deno.writeTextFile(file, http + thrift + rest);
    const refused = await runCli("check", file);
    assertEquals(refused.code, 1, refused.stdout + refused.stderr);
    assertStringIncludes(
      refused.stdout + refused.stderr,
      `${file}:13:13: routers[1].protocol: thrift is not supported (supported protocols: http, h2)`,
    );
    await Deno.writeTextFile(file, http + rest);
    const ok = await runCli("check", file);
    assertEquals(ok.code, 0, ok.stdout + ok.stderr);
    assertStringIncludes(ok.stdout, "router int-http (http) on 0.0.0.0:4140");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// "Four top level keys are supported" and only `routers` is required: a section left with no
// value (its entries commented out) is absent, as Linkerd's Jackson reads null into LinkerConfig's
// Option fields (`namers`, `telemetry`, `admin`, `usage`) as None.
Deno.test("docs config: optional top-level sections left empty are absent", async () => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/${app.port}
  servers:
  - port: 0
namers:
#- kind: io.l5d.fs
#  rootDir: disco
telemetry:
usage:
admin:
  port: 0
`);
  try {
    const r = await curl(["-H", "Host: a", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 200, r.body);
    assert(
      sy.logs.some((l) => l.includes("namers: no value: read as absent")),
      sy.logs.join("\n"),
    );
  } finally {
    await sy.stop();
    await app.close();
  }
});

// "Administrative interface": `port` defaults to 9990. The page's table says `ip` 0.0.0.0, but
// Linkerd 1.2 moved the admin server to 127.0.0.1 (linkerd/linkerd PR #1366, "namerd and admin
// default to loopback"; the docs were corrected in PR #1632), which Switchyard follows.
Deno.test("docs config: admin defaults to 127.0.0.1:9990 and takes the page's ip and port", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-config-" });
  const router = `routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/8888
  servers:
  - port: 8080
`;
  try {
    const file = `${dir}/linkerd.yaml`;
    await Deno.writeTextFile(file, router);
    const dflt = await runCli("check", file);
    assertEquals(dflt.code, 0, dflt.stdout + dflt.stderr);
    assertStringIncludes(dflt.stdout, "admin 127.0.0.1:9990");
    await Deno.writeTextFile(file, `admin:\n  ip: 0.0.0.0\n  port: 9991\n${router}`);
    const set = await runCli("check", file);
    assertEquals(set.code, 0, set.stdout + set.stderr);
    assertStringIncludes(set.stdout, "admin 0.0.0.0:9991");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// "Routers Intro": the minimal example "forwards all requests on localhost:8080 to
// localhost:8888" (here port 0 and a local upstream): `/svc/*` takes the Host name's one segment.
Deno.test("docs config: the minimal router example forwards every request to 127.1:<port>", async () => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/${app.port}
  servers:
  - port: 0
`);
  try {
    for (const host of ["a", "b.example.com"]) {
      const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/p?q=1`]);
      assertEquals(r.status, 200, r.body);
      assertEquals(JSON.parse(r.body).url, `http://${host}/p?q=1`);
    }
    assertEquals(app.seen.length, 2);
  } finally {
    await sy.stop();
    await app.close();
  }
});

// "Administrative endpoints": every endpoint of the page's two tables is in `/admin`'s list and
// answers (the JVM-only pprof profiles with 501, README "Admin"), and the page's example requests
// work: `/admin/tracing?enable=true`, `/admin/lint` and `/admin/threads` as JSON, and
// `/delegator.json` with a `path` and a `dtab`.
Deno.test("docs config: the admin endpoints the page lists are listed and answer", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
`);
  const documented = [
    "/admin",
    "/admin/announcer",
    "/admin/contention",
    "/admin/lint",
    "/admin/lint.json",
    "/admin/ping",
    "/admin/pprof/contention",
    "/admin/pprof/heap",
    "/admin/pprof/profile",
    "/admin/registry.json",
    "/admin/server_info",
    "/admin/shutdown",
    "/admin/threads",
    "/admin/threads.json",
    "/admin/tracing",
    "/config.json",
    "/bound-names.json",
    "/delegator.json",
    "/logging.json",
  ];
  try {
    const index = (await curl([`${sy.admin}/admin`])).body.split("\n");
    for (const p of documented) assert(index.includes(p), `${p} not in /admin:\n${index}`);
    for (const p of documented.filter((p) => p !== "/admin/shutdown")) {
      const r = await curl([`${sy.admin}${p}`]);
      const want = p.startsWith("/admin/pprof/") ? 501 : p === "/delegator.json" ? 400 : 200;
      assertEquals(r.status, want, `${p}: ${r.body}`);
    }
    assertEquals((await curl([`${sy.admin}/admin/ping`])).body, "pong");
    assertEquals((await curl([`${sy.admin}/admin/tracing?enable=true`])).status, 200);
    for (const p of ["/admin/lint", "/admin/threads"]) {
      const r = await curl(["-H", "Accept: application/json", `${sy.admin}${p}`]);
      assertStringIncludes(r.headers.get("content-type") ?? "", "application/json", p);
      JSON.parse(r.body);
    }
    const tree = JSON.parse(
      (await curl([
        "-g",
        `${sy.admin}/delegator.json?path=/http/1.1/GET/foo&dtab=/http/*=>/$/inet/127.1/9990`,
      ])).body,
    );
    assertEquals(tree.path, "/http/1.1/GET/foo");
    assertEquals(tree.delegate.type, "leaf");
    assertEquals(tree.delegate.bound.addr.addrs, [{ ip: "127.0.0.1", port: 9990, meta: {} }]);
  } finally {
    await sy.stop();
  }
});
