import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { type ConfigIssue, formatIssue, loadConfigFile, parseConfig } from "./mod.ts";
import type { Config } from "./schema.ts";
import { h2FrameSize, h2Settings } from "../http/h2/config.ts";

function ok(text: string): Config {
  const r = parseConfig(text, "t.yaml");
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join("\n"));
  return r.config;
}

function errors(text: string): ConfigIssue[] {
  const r = parseConfig(text, "t.yaml");
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.errors;
}

function lines(text: string): string[] {
  return errors(text).map(formatIssue);
}

Deno.test("parseConfig() fills in Linkerd's h2 router defaults (protocol-h2.md)", () => {
  const r = ok("routers:\n- protocol: h2\n  experimental: true\n  servers: [{}]\n").routers[0]!;
  if (r.protocol !== "h2") throw new Error("an h2 router");
  assertEquals(r.label, "h2");
  assertEquals(r.servers, [{
    ip: "127.0.0.1",
    port: 4142,
    clearContext: false,
    announce: [],
    maxConcurrentStreamsPerConnection: 1000,
  }]);
  assertEquals(r.identifier, [{ kind: "io.l5d.header.token", header: ":authority" }]);
  assertEquals(r.maxCallDepth, 10);
  assertEquals(r.dstPrefix, "/svc");
  const g = ok(`routers:
- protocol: h2
  identifier: {kind: io.l5d.header.path, segments: 1}
  service:
    responseClassifier: {kind: io.l5d.h2.grpc.retryableStatusCodes, retryableStatusCodes: [14, 4]}
    classificationTimeoutMs: 50
    retryBufferSize: {requestBytes: 1024}
  servers: [{port: 0}]
`).routers[0]!;
  assertEquals(g.identifier, [{ kind: "io.l5d.header.path", header: ":path", segments: 1 }]);
  if (g.service.kind !== "io.l5d.global") throw new Error("global service");
  assertEquals(g.service.responseClassifier, {
    kind: "io.l5d.h2.grpc.retryableStatusCodes",
    retryableStatusCodes: [14, 4],
  });
  assertEquals(g.service.retryBufferSize, { requestBytes: 1024, responseBytes: 16383 });
  // SETTINGS_MAX_HEADER_LIST_SIZE: the docs' spelling and the key Linkerd's Jackson reads.
  const m = ok(`routers:
- protocol: h2
  servers: [{maxHeaderListByts: 4096}, {port: 4143, maxHeaderListBytes: 8192}]
  client: {maxHeaderListBytes: 8192}
`).routers[0]!;
  if (m.protocol !== "h2" || m.client.kind !== "io.l5d.global") throw new Error("an h2 router");
  assertEquals(m.servers.map((s) => s.maxHeaderListByts ?? s.maxHeaderListBytes), [4096, 8192]);
  assertEquals(m.client.maxHeaderListBytes, 8192);
  // http routers keep their own identifiers: io.l5d.header.path is h2's.
  const bad = parseConfig(
    "routers:\n- protocol: http\n  identifier: {kind: io.l5d.header.path}\n  servers: [{port: 0}]\n",
    "l5d.yaml",
  );
  assert(!bad.ok);
});

Deno.test("parseConfig() fills in Linkerd's defaults", () => {
  const c = ok("routers:\n- protocol: http\n  servers: [{}]\n");
  assertEquals(c.admin, { ip: "127.0.0.1", port: 9990, shutdownGraceMs: 10000 });
  assertEquals(c.namers, []);
  assertEquals(c.telemetry, []);
  assertEquals(c.usage, { enabled: true });
  assertEquals(c.services, []);
  const r = c.routers[0]!;
  if (r.protocol !== "http") throw new Error("an http router");
  assertEquals(r.label, "http");
  assertEquals(r.servers, [{ ip: "127.0.0.1", port: 4140, clearContext: false, announce: [] }]);
  assertEquals(r.dtab, "");
  assertEquals(r.dstPrefix, "/svc");
  assertEquals(r.identifier, [{ kind: "io.l5d.header.token", header: "Host" }]);
  assertEquals(r.interpreter, { kind: "default", transformers: [] });
  assertEquals(r.bindingTimeoutMs, 10000);
  assertEquals(r.bindingCache, {
    paths: 1000,
    trees: 1000,
    bounds: 1000,
    clients: 1000,
    idleTtlSecs: 600,
  });
  assertEquals(r.originator, false);
  assertEquals(r.maxCallDepth, 1000);
  assertEquals(r.maxHeadersKB, 8);
  assertEquals(r.maxInitialLineKB, 4);
  assertEquals(r.maxErrResponseKB, 5120);
  assertEquals(r.streamAfterContentLengthKB, undefined); // unset: 5 (defaults.ts)
  assertEquals(r.streamingEnabled, true);
  assertEquals(r.compressionLevel, -1);
  assertEquals(r.httpAccessLog, undefined);
  assertEquals(r.httpAccessLogFormat, "common");
  assertEquals(r.tracePropagator, { kind: "io.l5d.default" });
  assertEquals(r.service, {
    kind: "io.l5d.global",
    responseClassifier: { kind: "io.l5d.http.nonRetryable5XX" },
    retries: {
      budget: { percentCanRetry: 0.2, minRetriesPerSec: 10, ttlSecs: 10 },
      backoff: { kind: "constant", ms: 0 },
    },
  });
  assertEquals(r.client, {
    kind: "io.l5d.global",
    loadBalancer: { kind: "p2c", maxEffort: 5, enableProbation: false },
    failureAccrual: {
      kind: "io.l5d.consecutiveFailures",
      failures: 5,
    },
    hostConnectionPool: { minSize: 0 },
    requeueBudget: { percentCanRetry: 0.2, minRetriesPerSec: 10, ttlSecs: 10 },
    failFast: false,
    clientSession: {},
  });
});

Deno.test("parseConfig() accepts every identifier kind, alone or as a list", () => {
  const c = ok(`
routers:
- protocol: http
  label: one
  identifier: {kind: io.l5d.methodAndHost}
  servers: [{port: 0}]
- protocol: http
  label: list
  servers: [{port: 4141}]
  identifier:
  - kind: io.l5d.header.token
    header: x-host
  - kind: io.l5d.methodAndHost
    httpUriInDst: true
  - kind: io.l5d.path
  - kind: io.l5d.path
    segments: 2
    consume: true
  - kind: io.l5d.header
  - kind: io.l5d.static
    path: /foo/bar
  - kind: switchyard.routes
    routes:
    - match:
        method: get
        path: /users/:id
        host: api.example.com
        headers: {x-v: "2"}
        query: {a: b}
      dst: /svc/users/{id}
      timeoutMs: 250
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
      requestHeaders: {add: {x-from: switchyard}, remove: [cookie]}
      responseHeaders: {remove: [server]}
      rewrite: {path: "/v2/users/{id}"}
    - match: {path: /static/*}
      dst: /svc/static
      rewrite: {stripPrefix: /static}
`);
  assertEquals(c.routers[0]!.identifier, [{ kind: "io.l5d.methodAndHost", httpUriInDst: false }]);
  const ids = c.routers[1]!.identifier;
  assertEquals(ids.slice(0, 6), [
    { kind: "io.l5d.header.token", header: "x-host" },
    { kind: "io.l5d.methodAndHost", httpUriInDst: true },
    { kind: "io.l5d.path", segments: 1, consume: false },
    { kind: "io.l5d.path", segments: 2, consume: true },
    { kind: "io.l5d.header", header: "l5d-name" },
    { kind: "io.l5d.static", path: "/foo/bar" },
  ]);
  const routes = ids[6];
  assert(routes?.kind === "switchyard.routes");
  assertEquals(routes.routes[0]!.match.method, ["GET"]);
  assertEquals(routes.routes[0]!.dst, "/svc/users/{id}");
  assertEquals(routes.routes[1]!.rewrite, { stripPrefix: "/static" });
});

Deno.test("parseConfig() keeps io.l5d.static service and client configs as written", () => {
  const c = ok(`
routers:
- protocol: http
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      totalTimeoutMs: 500
    - prefix: /svc/bar
      retries:
        budget: {percentCanRetry: 0.5}
        backoff: {kind: jittered, minMs: 10, maxMs: 10000}
  client:
    kind: io.l5d.static
    configs:
    - prefix: /
      requestAttemptTimeoutMs: 1000
      loadBalancer: {kind: ewma}
    - prefix: "/#/*/{service}"
      tls: {commonName: "{service}.linkerd.io"}
      failureAccrual: {kind: io.l5d.successRateWindowed, successRate: 0.9, window: 30}
  servers: [{port: 0}]
`);
  const r = c.routers[0]!;
  assert(r.service.kind === "io.l5d.static");
  assertEquals(r.service.configs, [
    { prefix: "/svc", totalTimeoutMs: 500 },
    {
      prefix: "/svc/bar",
      retries: {
        budget: { percentCanRetry: 0.5, minRetriesPerSec: 10, ttlSecs: 10 },
        backoff: { kind: "jittered", minMs: 10, maxMs: 10000 },
      },
    },
  ]);
  assert(r.client.kind === "io.l5d.static");
  assertEquals(r.client.configs[0], {
    prefix: "/",
    requestAttemptTimeoutMs: 1000,
    loadBalancer: { kind: "ewma", maxEffort: 5, enableProbation: false, decayTimeMs: 10000 },
  });
  assertEquals(r.client.configs[1]!.failureAccrual, {
    kind: "io.l5d.successRateWindowed",
    successRate: 0.9,
    window: 30,
  });
  assertEquals(r.client.configs[1]!.tls?.commonName, "{service}.linkerd.io");
});

Deno.test("parseConfig() reads JSON configs, with positions", () => {
  const c = ok('{"routers": [{"protocol": "http", "servers": [{"port": 4141, "ip": "0.0.0.0"}]}]}');
  assertEquals(c.routers[0]!.servers[0]!.port, 4141);
  const got = lines('{\n\t"routers": [{"protocol": "http",\n\t\t"servers": [{"port": "x"}]}]\n}\n');
  assertEquals(got, ['t.yaml:3:24: routers[0].servers[0].port: expected a number, got string "x"']);
});

Deno.test("parseConfig() returns lint warnings with positions on success", () => {
  const r = parseConfig(
    "routers:\n- protocol: http\n  dtab: /svc => /#/io.l5d.k8s/default/http;\n  servers: [{port: 0}]\n",
    "t.yaml",
  );
  assert(r.ok);
  assertEquals(r.warnings, [
    "t.yaml:3:9: routers[0].dtab: /#/io.l5d.k8s refers to no configured namer (namers: none)",
  ]);
});

Deno.test("loadConfigFile() reads a file and reports an unreadable one as an issue", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/l5d.yaml`;
    await Deno.writeTextFile(path, "routers:\n- protocol: http\n  servers: [{port: 0}]\n");
    const r = await loadConfigFile(path);
    assert(r.ok);
    assertEquals(r.file, path);
    assertEquals(r.text, "routers:\n- protocol: http\n  servers: [{port: 0}]\n");
    const missing = await loadConfigFile(`${dir}/nope.yaml`);
    assert(!missing.ok);
    assertStringIncludes(
      formatIssue(missing.errors[0]!),
      `${dir}/nope.yaml:1:1: cannot read config`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfig() reads quoted numbers and booleans as Linkerd's Jackson does, with a warning", () => {
  const r = parseConfig(
    'admin: {port: "9991"}\nrouters:\n- protocol: http\n  servers: [{port: "4141", clearContext: "TRUE"}]\n',
    "q.yaml",
  );
  assert(r.ok, JSON.stringify(r));
  assertEquals(r.config.admin.port, 9991);
  assertEquals([
    r.config.routers[0]!.servers[0]!.port,
    r.config.routers[0]!.servers[0]!.clearContext,
  ], [
    4141,
    true,
  ]);
  assertEquals(r.warnings.filter((w) => w.includes("quoted value")).length, 3);
  // Anything else quoted is still an error.
  const bad = parseConfig('routers:\n- protocol: http\n  servers: [{port: "41a"}]\n', "b.yaml");
  assert(!bad.ok);
});

// Linkerd's H2ConfigTest "parse config": every h2 key of its YAML parses, including a client
// `maxFrameBytes` below HTTP/2's minimum frame size (Linkerd takes any int; what is sent is
// clamped to 16384–16777215).
Deno.test("parseConfig() takes Linkerd's H2ConfigTest config (client maxFrameBytes: 8192)", () => {
  const r = ok(`routers:
- protocol: h2
  h2AccessLog: logs/access.log
  h2AccessLogRollPolicy: daily
  h2AccessLogAppend: true
  h2AccessLogRotateCount: -1
  client:
    windowUpdateRatio: 0.9
    headerTableBytes: 1024
    initialStreamWindowBytes: 524288
    maxFrameBytes: 8192
    maxHeaderListBytes: 1025
  service:
    classificationTimeoutMs: 350
    retryBufferSize:
      requestBytes: 16384
      responseBytes: 16384
  servers:
    - port: 5000
      windowUpdateRatio: 0.5
      headerTableBytes: 2048
      initialStreamWindowBytes: 1048576
      maxConcurrentStreamsPerConnection: 800
      maxFrameBytes: 16384
      maxHeaderListBytes: 2049
`).routers[0]!;
  if (r.protocol !== "h2" || r.client.kind !== "io.l5d.global") throw new Error("an h2 router");
  assertEquals(r.client.maxFrameBytes, 8192);
  assertEquals(r.client.maxHeaderListBytes, 1025);
  assertEquals(r.servers[0]!.maxConcurrentStreamsPerConnection, 800);
  assertEquals(h2Settings(r.servers[0]!), {
    maxConcurrentStreams: 800,
    initialWindowSize: 1048576,
    maxFrameSize: 16384,
    headerTableSize: 2048,
    maxHeaderListSize: 2049,
  });
  assertEquals(h2FrameSize(8192), 16384);
  assertEquals(h2FrameSize(2 ** 25), 16777215);
});

// L1 `linkerd/docs/protocol-http.md`: every example config on the page loads (the istio
// identifier and request authorizer, deprecated, are not supported). The server "Example:
// default" writes `timestampHeader: {}`: no header.
Deno.test("parseConfig() loads the example configs of protocol-http.md", () => {
  const router = (block: string) => ok(`routers:\n- protocol: http\n${block}`).routers[0]!;
  const top = router(`  httpAccessLog: access.log
  httpAccessLogRollPolicy: daily
  httpAccessLogAppend: true
  httpAccessLogRotateCount: -1
  identifier:
    kind: io.l5d.methodAndHost
  maxHeadersKB: 8
  maxInitialLineKB: 4
  maxErrResponseKB: 5120
  servers:
  - port: 5000
    addForwardedHeader:
      by: {kind: "ip:port"}
      for: {kind: ip}
`);
  if (top.protocol !== "http") throw new Error("an http router");
  assertEquals(top.servers[0]!.addForwardedHeader, {
    by: { kind: "ip:port" },
    for: { kind: "ip" },
  });
  const dflt = router(
    `  servers:\n  - port: 5000\n    addForwardedHeader: {}\n    timestampHeader: {}\n`,
  );
  assertEquals(dflt.servers[0]!.timestampHeader, undefined);
  assertEquals(dflt.servers[0]!.addForwardedHeader, {
    by: { kind: "requestRandom" },
    for: { kind: "requestRandom" },
  });
  const ts = router(`  servers:\n  - port: 5000\n    timestampHeader: X-Request-Start\n`);
  assertEquals(ts.servers[0]!.timestampHeader, "X-Request-Start");
  router(`  servers:
  - addForwardedHeader:
      for: {kind: ip}
      by:
        kind: static
        label: linkerd
`);
  for (
    const id of [
      "kind: io.l5d.methodAndHost\n    httpUriInDst: true",
      "kind: io.l5d.path\n    segments: 2\n    consume: true",
      "kind: io.l5d.header\n    header: my-header",
      "kind: io.l5d.header.token\n    header: my-header",
      "kind: io.l5d.ingress\n    namespace: default",
      "kind: io.l5d.static\n    path: /foo/bar",
    ]
  ) router(`  identifier:\n    ${id}\n  servers:\n  - port: 5000\n`);
  router(`  tracePropagator:\n    kind: io.l5d.zipkin\n  servers: [{port: 0}]\n`);
  router(`  client:\n    forwardClientCert: true\n  servers: [{port: 0}]\n`);
});

// L1 `protocol-http.md`: httpAccessLogRollPolicy takes "Never, Hourly, Daily, Weekly(n) (where n
// is a day of the week), util-style data size strings (e.g. 3.megabytes, 1.gigabyte)"; Linkerd's
// `Policy.parse` refuses anything else.
Deno.test("parseConfig() takes the documented httpAccessLogRollPolicy values and refuses others", () => {
  for (
    const p of ["never", "Never", "hourly", "Daily", "Weekly(3)", "3.megabytes", "1.gigabyte"]
  ) {
    ok(
      `routers:\n- protocol: http\n  httpAccessLog: a.log\n  httpAccessLogRollPolicy: "${p}"\n  servers: [{port: 0}]\n`,
    );
  }
  for (const p of ["monthly", "weekly(9)", "3MB", "3.parsecs"]) {
    const e = lines(
      `routers:\n- protocol: http\n  httpAccessLogRollPolicy: "${p}"\n  servers: [{port: 0}]\n`,
    );
    assertStringIncludes(e.join("\n"), "httpAccessLogRollPolicy: invalid log roll policy");
  }
});

// failure_accrual.md: `backoff` is one of the parameters "available to failure accrual policies
// regardless of kind", and `none` "does not accept any additional parameters" (beyond those):
// Linkerd's NoneConfig extends FailureAccrualConfig, whose `backoff` it parses and never uses.
Deno.test("parseConfig() accepts a backoff on failureAccrual kind none (failure_accrual.md)", () => {
  const c = ok(`
routers:
- protocol: http
  client:
    failureAccrual: {kind: none, backoff: {kind: constant, ms: 5}}
  servers: [{port: 0}]
`);
  const r = c.routers[0]!;
  assert(r.client.kind === "io.l5d.global");
  assertEquals(r.client.failureAccrual.kind, "none");
  assertEquals(
    lines(
      "routers:\n- protocol: http\n  client:\n    failureAccrual: {kind: none, failures: 3}\n  servers: [{port: 0}]\n",
    ),
    ['t.yaml:4:34: routers[0].client.failureAccrual.failures: unknown key "failures"'],
  );
});
