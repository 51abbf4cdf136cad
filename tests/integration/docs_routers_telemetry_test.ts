/**
 * Black-box checks of what Linkerd 1.x's reference pages state about routers, servers, telemetry
 * and interpreters (`linkerd/docs/routers.md`, `telemetry.md`, `interpreter.md`, `config.md`),
 * each against the real process and curl, for the statements an earlier audit found Switchyard
 * did not hold.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";

// routers.md "Server Parameters"; Linkerd's ServerConfig (linkerd/core Server.scala) reads
// `timeoutMs` into Finagle's server TimeoutFilter, whose IndividualRequestTimeoutException
// Linkerd's ErrorResponder answers with 503 + l5d-err.
Deno.test("servers[].timeoutMs: a request unanswered that long is a 503 with l5d-err", async () => {
  const slow = startUpstream("slow", async () => {
    await new Promise((r) => setTimeout(r, 3000));
    return new Response("late");
  });
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: edge
  dtab: /svc => /$/inet/127.0.0.1/${slow.port};
  servers:
  - port: 0
    timeoutMs: 300
- protocol: http
  label: plain
  dtab: /svc => /$/inet/127.0.0.1/${slow.port};
  servers:
  - port: 0
`);
  try {
    const t0 = Date.now();
    const r = await curl(["-H", "Host: slow", `http://${sy.proxy("edge")}/`]);
    const took = Date.now() - t0;
    assertEquals(r.status, 503);
    assertStringIncludes(r.headers.get("l5d-err") ?? "", "timeout");
    assert(took < 2500, `answered after ${took} ms, not at the 300 ms server timeout`);
    const ok = await curl(["-H", "Host: slow", `http://${sy.proxy("plain")}/`]);
    assertEquals(ok.status, 200);
    assertEquals(ok.body, "late");
  } finally {
    await sy.stop();
    await slow.close();
  }
});

// routers.md "Router Parameters": `originator: true` "indicates that this router is the first hop
// for linker-to-linker requests, and reflects that in the router's stats": Linkerd's router
// module (router/core Router.scala) provides the gauge `originator` = 1 in the router's scope.
Deno.test("originator: true gives the router's stats the originator gauge (1)", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
telemetry: [{kind: io.l5d.prometheus}]
routers:
- protocol: http
  label: first
  originator: true
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
- protocol: http
  label: second
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
`);
  try {
    const json = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    assertEquals(json["rt/first/originator"], 1);
    assertEquals(json["rt/second/originator"], undefined);
    const prom = (await curl([`${sy.admin}/admin/metrics/prometheus`])).body;
    assertStringIncludes(prom, 'rt:originator{rt="first"} 1.0');
  } finally {
    await sy.stop();
  }
});

// Keys the pages list that `check` refused: telemetry.md "TraceLog" lists `host` (default
// `localhost`); interpreter.md's common keys apply to `default` too, and Linkerd's
// InterpreterConfig takes `experimental` on every interpreter; routers.md "Client Parameters"
// lists `requestAuthorizers` (none by default), whose only Linkerd kind, `io.l5d.k8s.istio`
// (protocol-http.md "HTTP/1.1 Request Authorizers"), must be refused by name, at its line.
Deno.test("documented keys: tracelog host, interpreter experimental, requestAuthorizers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-docs-" });
  try {
    const ok = `${dir}/ok.yaml`;
    await Deno.writeTextFile(
      ok,
      `routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  interpreter:
    kind: default
    experimental: true
  client:
    requestAuthorizers: []
  servers: [{port: 0}]
telemetry:
- kind: io.l5d.tracelog
  host: localhost
  sampleRate: 0.2
  level: TRACE
`,
    );
    const good = await runCli("check", ok);
    assertEquals(good.code, 0, good.stdout + good.stderr);
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      bad,
      `routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
  client:
    requestAuthorizers:
    - kind: io.l5d.k8s.istio
`,
    );
    const refused = await runCli("check", bad);
    assertEquals(refused.code, 1);
    assertStringIncludes(
      refused.stdout + refused.stderr,
      `${bad}:7:13: routers[0].client.requestAuthorizers[0].kind: io.l5d.k8s.istio is not supported`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// routers.md "Binding Cache": `clients` is the "Max number of clients in the clients cache",
// separate from `paths`; `/client_state.json` lists the cached clients.
Deno.test("bindingCache.clients bounds the client cache on its own", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${a.port};
    /svc/b => /$/inet/127.0.0.1/${b.port};
  bindingCache: {paths: 100, trees: 100, bounds: 100, clients: 1}
  servers: [{port: 0}]
`);
  try {
    for (const host of ["a", "b"]) {
      assertEquals((await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`])).status, 200);
    }
    const state = JSON.parse((await curl([`${sy.admin}/client_state.json`])).body);
    const clients = Object.keys(state.http ?? state);
    assertEquals(clients, [`/$/inet/127.0.0.1/${b.port}`]);
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

// routers.md "Binding Cache": `idleTtlSecs` is "the amount of time, in seconds, to cache idle
// services and clients before expiring them"; an expired client is closed, and Linkerd's
// /client_state.json (Finagle's ClientRegistry) no longer lists it.
Deno.test("bindingCache.idleTtlSecs expires idle clients", async () => {
  const a = startUpstream("a");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${a.port};
  bindingCache: {idleTtlSecs: 1}
  servers: [{port: 0}]
`);
  const listed = async () =>
    Object.keys(JSON.parse((await curl([`${sy.admin}/client_state.json`])).body));
  try {
    assertEquals((await curl(["-H", "Host: a", `http://${sy.proxy()}/`])).status, 200);
    assertEquals(await listed(), [`/$/inet/127.0.0.1/${a.port}`]);
    await new Promise((r) => setTimeout(r, 3500)); // idle for more than 2 TTLs
    assertEquals(await listed(), []);
    // the next request builds the client again
    assertEquals((await curl(["-H", "Host: a", `http://${sy.proxy()}/`])).status, 200);
    assertEquals(await listed(), [`/$/inet/127.0.0.1/${a.port}`]);
  } finally {
    await sy.stop();
    await a.close();
  }
});

// telemetry.md "Prometheus": `path` (default /admin/metrics/prometheus) and `prefix` ("Prefix for
// exposed Prometheus metrics", any string): Linkerd's PrometheusTelemeter serves only `path` and
// writes every character of prefix + name outside [a-zA-Z0-9:] as `_`.
Deno.test("io.l5d.prometheus path and prefix", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
telemetry:
- kind: io.l5d.prometheus
  path: /metrics/l5d
  prefix: linkerd-
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
`);
  try {
    const r = await curl([`${sy.admin}/metrics/l5d`]);
    assertEquals(r.status, 200);
    assert(/^linkerd_jvm:uptime /m.test(r.body), r.body.slice(0, 300));
    assertEquals((await curl([`${sy.admin}/admin/metrics/prometheus`])).status, 404);
  } finally {
    await sy.stop();
  }
});
