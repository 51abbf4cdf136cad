import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { type ConfigIssue, formatIssue, parseConfig } from "./mod.ts";
import type { Config } from "./schema.ts";

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

Deno.test("parseConfig() reports an unknown key at the key's own line and column", () => {
  const issues = errors("routers:\n- protocol: http\n  servers:\n  - port: 4140\n    prot: 1\n");
  assertEquals(issues, [{
    file: "t.yaml",
    line: 5,
    column: 5,
    path: "routers[0].servers[0].prot",
    message: 'unknown key "prot" (did you mean "port"?)',
  }]);
});

Deno.test("parseConfig() reports YAML syntax errors with line and column", () => {
  const issues = errors(
    "routers:\n- protocol: http\n  dtab: [/a => /b\n  servers: [{port: 0}]\nadmin: {}\n",
  );
  assert(issues.length >= 1);
  assertEquals(issues[0]!.file, "t.yaml");
  assert(issues[0]!.line >= 3, formatIssue(issues[0]!));
  assertEquals(lines("a: 1\na: 2\n"), ["t.yaml:2:1: duplicate key a"]);
  assertEquals(lines("routers: []\nadmin: {}\nrouters: []\n"), [
    "t.yaml:3:1: duplicate key routers",
  ]);
  assertEquals(lines("admin:\n  port: 1\n  port: 2\n"), ["t.yaml:3:3: duplicate key port"]);
});

Deno.test("parseConfig() rejects unsupported kinds naming the field, value and line", () => {
  const cases: [string, string][] = [
    [
      "routers:\n- protocol: thrift\n",
      "t.yaml:2:13: routers[0].protocol: thrift is not supported",
    ],
    [
      "routers:\n- protocol: thriftmux\n",
      "t.yaml:2:13: routers[0].protocol: thriftmux is not supported",
    ],
    [
      "namers:\n- kind: io.l5d.serversets\n  host: localhost\nrouters:\n- protocol: http\n  servers: [{port: 0}]\n",
      "t.yaml:2:9: namers[0].kind: io.l5d.serversets is not supported",
    ],
    [
      "routers:\n- protocol: http\n  interpreter:\n    kind: io.l5d.namerd\n    dst: /$/inet/n/4100\n  servers: [{port: 0}]\n",
      "t.yaml:4:11: routers[0].interpreter.kind: io.l5d.namerd is not supported",
    ],
    [
      "routers:\n- protocol: http\n  identifier:\n    kind: io.l5d.k8s.istio-ingress\n  servers: [{port: 0}]\n",
      "t.yaml:4:11: routers[0].identifier.kind: io.l5d.k8s.istio-ingress is not supported",
    ],
    [
      "routers:\n- protocol: http\n  servers: [{port: 0}]\ntelemetry:\n- kind: io.l5d.commonMetrics\n",
      "t.yaml:5:9: telemetry[0].kind: io.l5d.commonMetrics is not supported",
    ],
    [
      "routers:\n- protocol: http\n  interpreter:\n    kind: default\n    transformers:\n    - kind: io.l5d.filter\n      path: /x\n  servers: [{port: 0}]\n",
      't.yaml:6:13: routers[0].interpreter.transformers[0].kind: unknown transformer kind "io.l5d.filter"',
    ],
    [
      "routers:\n- protocol: http\n  announcers:\n  - kind: io.l5d.serversets\n  servers: [{port: 0}]\n",
      "t.yaml:4:11: routers[0].announcers[0].kind: io.l5d.serversets is not supported",
    ],
    [
      "routers:\n- protocol: http\n  service:\n    responseClassifier: {kind: io.l5d.thrift.nonRetryable5XX}\n  servers: [{port: 0}]\n",
      "t.yaml:4:32: routers[0].service.responseClassifier.kind: io.l5d.thrift.nonRetryable5XX is not supported",
    ],
  ];
  for (const [text, expected] of cases) {
    const got = lines(text);
    assertEquals(got.length, 1, `${text} → ${got.join("\n")}`);
    assertStringIncludes(got[0]!, expected);
  }
});

// Linkerd: RouterConfig.servers defaults to Nil and ProtocolRouter.initialize throws
// `router '<label>' has no servers` (linkerd/core/.../ProtocolInitializer.scala).
Deno.test("parseConfig() refuses a router without servers or with an empty list, at the router", () => {
  for (const protocol of ["http", "h2"]) {
    assertEquals(lines(`admin: {port: 0}\nrouters:\n- protocol: ${protocol}\n  label: x\n`), [
      "t.yaml:3:3: routers[0].servers: required key is missing: a router has no servers " +
      "(give it at least one, e.g. `servers: [{ port: 4140 }]`)",
    ]);
    assertEquals(lines(`routers:\n- protocol: ${protocol}\n  servers: []\n`), [
      "t.yaml:3:12: routers[0].servers: a router has no servers: at least one server is required",
    ]);
    assertEquals(
      ok(`routers:\n- protocol: ${protocol}\n  servers: [{}]\n`).routers[0]!.servers
        .map((s) => `${s.ip}:${s.port}`),
      [`127.0.0.1:${protocol === "h2" ? 4142 : 4140}`],
    );
  }
});

Deno.test("parseConfig() tells unknown kinds from unsupported ones", () => {
  const [line] = lines(
    "routers:\n- protocol: http\n  servers: [{port: 0}]\nnamers:\n- kind: io.l5d.fss\n  rootDir: x\n",
  );
  assertStringIncludes(line!, 'namers[0].kind: unknown namer kind "io.l5d.fss"');
  assertStringIncludes(line!, "supported namer kinds: io.l5d.fs, io.l5d.rewrite");
  assertStringIncludes(lines("routers:\n- protocol: gopher\n")[0]!, 'unknown protocol "gopher"');
  assertStringIncludes(lines("routers:\n- {}\n")[0]!, "protocol is required");
});

Deno.test("parseConfig() rejects namerd configs and linkerd-tcp routers", () => {
  const namerd = lines(
    "storage:\n  kind: io.l5d.inMemory\nnamers: []\ninterfaces:\n- kind: io.l5d.httpController\n",
  );
  assertEquals(namerd.length, 1);
  assertStringIncludes(namerd[0]!, "t.yaml:1:1: namerd config, not a router config");
  const tcp = lines(
    "routers:\n- label: redis\n  servers:\n  - port: 7474\n    dstName: /svc/redis\n",
  );
  assertStringIncludes(tcp.join("\n"), "routers[0].protocol: protocol is required");
  assertStringIncludes(tcp.join("\n"), "linkerd-tcp");
});

Deno.test("parseConfig() checks identifier params", () => {
  const got = lines(`
routers:
- protocol: http
  identifier:
  - {kind: io.l5d.path, segments: 0}
  - {kind: io.l5d.static}
  - kind: switchyard.routes
    routes:
    - match: {path: /a/:id}
      dst: /svc/{name}
  servers: [{port: 0}]
`);
  assertEquals(got, [
    "t.yaml:5:35: routers[0].identifier[0].segments: must be >= 1",
    "t.yaml:6:5: routers[0].identifier[1].path: required key is missing (expected a string)",
    "t.yaml:10:12: routers[0].identifier[2].routes[0].dst: {name} is not a param of match.path (params: id)",
  ]);
});

Deno.test("parseConfig() returns every error, sorted by position", () => {
  const got = lines(`
admin:
  port: 99999
namers:
- kind: io.l5d.serversets
routers:
- protocol: http
  maxHeadersKB: big
  label: a
  lable: b
  client:
    loadBalancer: {kind: p2c, maxEfort: 3}
- protocol: mux
telemetry:
- kind: io.l5d.recentRequests
`);
  assertEquals(got, [
    "t.yaml:3:9: admin.port: must be <= 65535",
    "t.yaml:5:9: namers[0].kind: io.l5d.serversets is not supported (supported namer kinds: io.l5d.fs, io.l5d.rewrite, io.l5d.k8s, io.l5d.k8s.ns, io.l5d.k8s.external, io.l5d.dnssrv, io.l5d.consul, io.l5d.marathon)",
    "t.yaml:7:3: routers[0].servers: required key is missing: a router has no servers (give it " +
    "at least one, e.g. `servers: [{ port: 4140 }]`)",
    't.yaml:8:17: routers[0].maxHeadersKB: expected a number, got string "big"',
    't.yaml:10:3: routers[0].lable: unknown key "lable" (did you mean "label"?)',
    't.yaml:12:31: routers[0].client.loadBalancer.maxEfort: unknown key "maxEfort" (did you mean "maxEffort"?)',
    "t.yaml:13:13: routers[1].protocol: mux is not supported (supported protocols: http, h2)",
    "t.yaml:15:3: telemetry[0].sampleRate: required key is missing (expected a number)",
  ]);
});

Deno.test("parseConfig() points a bad dtab at the character inside the YAML string", () => {
  assertEquals(
    lines(
      "routers:\n- protocol: http\n  dtab: |\n    /svc => /#/io.l5d.fs;\n    /x => /y & ;\n  servers: [{port: 0}]\n",
    ),
    [
      "t.yaml:5:16: routers[0].dtab: bad dtab: name (a path, '!', '~', '$' or '(') expected but ';' found in \"/x => /y & [;]\"",
    ],
  );
  const folded = errors(
    "routers:\n- protocol: http\n  dtab: >-\n    /svc => /a;\n    /x => /y |\n    ;\n  servers: [{port: 0}]\n",
  );
  assertEquals([folded[0]!.line, folded[0]!.column], [6, 5]);
  const quoted = errors(
    'routers:\n- protocol: http\n  dtab: "/svc => /a; /b => c"\n  servers: [{port: 0}]\n',
  );
  assertEquals([quoted[0]!.line, quoted[0]!.column], [3, 28]);
  const plain = errors(
    "routers:\n- protocol: http\n  dtab: /svc => /a; /b => c\n  servers: [{port: 0}]\n",
  );
  assertEquals([plain[0]!.line, plain[0]!.column], [3, 27]);
});

Deno.test("parseConfig() rejects clashing labels, listeners and namer prefixes", () => {
  assertEquals(
    lines(`
namers:
- {kind: io.l5d.fs, rootDir: a}
- {kind: io.l5d.fs, rootDir: b}
routers:
- protocol: http
  servers: [{port: 4140, ip: 0.0.0.0}]
- protocol: http
  servers: [{port: 4140}]
`),
    [
      't.yaml:8:3: routers[1].label: duplicate router label "http" (also routers[0]); give each router a distinct label',
      "t.yaml:9:20: routers[1].servers[0].port: 127.0.0.1:4140 conflicts with routers[0].servers[0] (0.0.0.0:4140)",
    ],
  );
  ok(
    "routers:\n- protocol: http\n  label: a\n  servers: [{port: 0}]\n- protocol: http\n  label: b\n  servers: [{port: 0}]\n",
  );
});

Deno.test("parseConfig() rejects non-config documents with one clear issue", () => {
  assertEquals(lines(""), ["t.yaml:1:1: the config is empty; expected a mapping with routers"]);
  assertEquals(lines("- a\n"), ["t.yaml:1:1: expected a mapping with routers at the top level"]);
  assertStringIncludes(lines("apiVersion: v1\nkind: ConfigMap\n")[0]!, "a Kubernetes manifest");
});

Deno.test("parseConfig() says where keys of older Linkerd releases moved", () => {
  assertEquals(
    lines(
      "routers:\n- protocol: http\n  responseClassifier: {kind: io.l5d.http.retryableRead5XX}\n  servers: [{port: 0}]\n",
    ),
    [
      't.yaml:3:3: routers[0].responseClassifier: unknown key "responseClassifier" here (Linkerd 1.x uses service.responseClassifier)',
    ],
  );
});

Deno.test("parseConfig() loads io.l5d.influxdb and io.l5d.statsd with Linkerd's defaults", () => {
  const c = ok(
    "routers:\n- protocol: http\n  servers: [{port: 0}]\ntelemetry:\n- kind: io.l5d.influxdb\n- kind: io.l5d.statsd\n  experimental: true\n",
  );
  assertEquals(c.telemetry, [
    { kind: "io.l5d.influxdb" },
    {
      kind: "io.l5d.statsd",
      experimental: true,
      prefix: "linkerd",
      hostname: "127.0.0.1",
      port: 8125,
      gaugeIntervalMs: 10000,
      sampleRate: 0.01,
    },
  ]);
  assertStringIncludes(
    lines(
      "routers:\n- protocol: http\n  servers: [{port: 0}]\ntelemetry:\n- kind: io.l5d.statsd\n",
    )[0]!,
    "telemetry[0].experimental: io.l5d.statsd is experimental; set experimental: true",
  );
});

Deno.test("parseConfig() refuses streamAfterContentLengthKB with streamingEnabled: false (Linkerd's HttpConfigTest)", () => {
  const router = (keys: string) =>
    `routers:\n- protocol: http\n  label: out\n  maxInitialLineKB: 4\n${keys}  servers:\n  - port: 5000\n`;
  assertEquals(lines(router("  streamAfterContentLengthKB: 5\n  streamingEnabled: false\n")), [
    "t.yaml:5:31: routers[0].streamAfterContentLengthKB: Conflicting streaming options set. " +
    "Can't disable streaming and set streamAfterContentLengthKB in out",
  ]);
  // The other combinations of HttpConfigTest's DefaultsTest load.
  assertEquals(ok(router("  streamingEnabled: false\n")).routers[0]!.protocol, "http");
  const after = ok(router("  streamAfterContentLengthKB: 5\n")).routers[0]!;
  assert(
    after.protocol === "http" && after.streamAfterContentLengthKB === 5 && after.streamingEnabled,
  );
  ok(router("  streamAfterContentLengthKB: 5\n  streamingEnabled: true\n"));
});

Deno.test("parseConfig() refuses client.tls disableValidation with clientAuth and loads Linkerd's other TLS client keys (Linkerd's ClientConfigTest)", () => {
  const router = (tls: string) =>
    "routers:\n- protocol: http\n  client:\n    tls:\n      commonName: foo\n" +
    "      clientAuth:\n        certPath: cert.pem\n        keyPath: key.pem\n" +
    tls + "  servers:\n  - port: 5000\n";
  assertEquals(lines(router("      disableValidation: true\n")), [
    "t.yaml:7:9: routers[0].client.tls.clientAuth: disableValidation: true is incompatible with clientAuth",
  ]);
  const tlsOf = (keys: string) => {
    const c = ok(router(keys)).routers[0]!.client;
    return "tls" in c ? c.tls : undefined;
  };
  assertEquals(tlsOf("      disableValidation: false\n")?.disableValidation, false);
  assertEquals(
    tlsOf("      trustCertsBundle: trust-certs.pem\n")?.trustCertsBundle,
    "trust-certs.pem",
  );
  assertEquals(tlsOf("      trustCerts:\n      - trust-certs.pem\n")?.trustCerts, [
    "trust-certs.pem",
  ]);
  assertEquals(tlsOf("      protocols:\n      - TLSv1.0\n      - TLSv1.2\n")?.protocols, [
    "TLSv1.0",
    "TLSv1.2",
  ]);
});

Deno.test("parseConfig() reads service.retries as Linkerd's RetriesConfigTest, a jittered backoff without a bound refused with its text", () => {
  const router = (retries: string) =>
    `routers:\n- protocol: http\n  service:\n    retries:\n${retries}  servers:\n  - port: 5000\n`;
  const retriesOf = (keys: string) => {
    const s = ok(router(keys)).routers[0]!.service;
    return "retries" in s ? s.retries : undefined;
  };
  assertEquals(retriesOf("      backoff: {kind: constant, ms: 30}\n")?.backoff, {
    kind: "constant",
    ms: 30,
  });
  assertEquals(retriesOf("      backoff: {kind: jittered, minMs: 30, maxMs: 6000}\n")?.backoff, {
    kind: "jittered",
    minMs: 30,
    maxMs: 6000,
  });
  assertEquals(
    retriesOf("      budget: {ttlSecs: 12, minRetriesPerSec: 20, percentCanRetry: 0.33}\n")?.budget,
    { ttlSecs: 12, minRetriesPerSec: 20, percentCanRetry: 0.33 },
  );
  assertEquals(lines(router("      backoff:\n        kind: jittered\n        maxMs: 6000\n")), [
    "t.yaml:6:9: routers[0].service.retries.backoff.minMs: 'minMs' must be specified",
  ]);
  assertEquals(lines(router("      backoff:\n        kind: jittered\n        minMs: 30\n")), [
    "t.yaml:6:9: routers[0].service.retries.backoff.maxMs: 'maxMs' must be specified",
  ]);
});

// L1 linkerd/failure-accrual/src/test/.../failureAccrual/ConfigTest.scala: every kind takes a
// constant or jittered backoff; "jittered backoff configs throw exceptions when passed invalid
// min/max" (min > max, min <= 0, max <= 0, a bound missing: Finagle's decorrelatedJittered
// requires start > 0, maximum > 0, start <= maximum); min == max is a constant backoff.
Deno.test("parseConfig() reads failureAccrual backoffs as Linkerd's failureAccrual ConfigTest, refusing non-positive jittered bounds", () => {
  const router = (fa: string) =>
    `routers:\n- protocol: http\n  client:\n    failureAccrual:\n${fa}  servers:\n  - port: 5000\n`;
  const kinds = [
    "kind: io.l5d.consecutiveFailures\n      failures: 5",
    "kind: io.l5d.successRate\n      successRate: 0.9\n      requests: 100",
    "kind: io.l5d.successRateWindowed\n      successRate: 0.9\n      window: 30",
    "kind: none",
  ];
  const backoffs: [string, unknown][] = [
    ["{kind: constant, ms: 10000}", { kind: "constant", ms: 10000 }],
    ["{kind: jittered, minMs: 300, maxMs: 400}", { kind: "jittered", minMs: 300, maxMs: 400 }],
    ["{kind: jittered, minMs: 10, maxMs: 10}", { kind: "jittered", minMs: 10, maxMs: 10 }],
  ];
  for (const kind of kinds) {
    const fa = (keys: string) => {
      const c = ok(router(`      ${kind}\n${keys}`)).routers[0]!.client;
      return "failureAccrual" in c ? c.failureAccrual : undefined;
    };
    assertEquals(fa("")?.backoff, undefined, kind);
    for (const [yaml, want] of backoffs) {
      assertEquals(fa(`      backoff: ${yaml}\n`)?.backoff, want, `${kind} ${yaml}`);
    }
    const refused = (bounds: string) =>
      lines(router(`      ${kind}\n      backoff:\n        kind: jittered\n${bounds}`));
    const at = "routers[0].client.failureAccrual.backoff";
    assertEquals(refused("        minMs: 0\n        maxMs: 10\n").map(rest), [
      `${at}.minMs: minMs must be > 0 (a jittered backoff's bounds are positive)`,
    ]);
    assertEquals(refused("        minMs: -5\n        maxMs: 10\n").map(rest), [
      `${at}.minMs: minMs must be > 0 (a jittered backoff's bounds are positive)`,
    ]);
    assertEquals(refused("        minMs: 5\n        maxMs: 0\n").map(rest), [
      `${at}.maxMs: maxMs must be > 0 (a jittered backoff's bounds are positive)`,
    ]);
    assertEquals(refused("        minMs: 400\n        maxMs: 300\n").map(rest), [
      `${at}.maxMs: maxMs (300) must be >= minMs (400)`,
    ]);
    assertEquals(refused("        maxMs: 1000\n").map(rest), [
      `${at}.minMs: 'minMs' must be specified`,
    ]);
    assertEquals(refused("        minMs: 1000\n").map(rest), [
      `${at}.maxMs: 'maxMs' must be specified`,
    ]);
  }
  // The same bounds under service.retries (RetriesConfigTest builds the same JitteredBackoffConfig).
  assertEquals(
    lines(
      "routers:\n- protocol: http\n  service:\n    retries:\n      backoff: {kind: jittered, minMs: 0, maxMs: 6000}\n  servers:\n  - port: 5000\n",
    ).map(rest),
    ["routers[0].service.retries.backoff.minMs: minMs must be > 0 (a jittered backoff's bounds are positive)"],
  );
});

/** An issue line without its `file:line:column: ` (the kinds above move the lines). */
function rest(line: string): string {
  return line.replace(/^t\.yaml:\d+:\d+: /, "");
}

Deno.test("parseConfig() loads Linkerd's ZipkinInitializerTest and TracelogInitializerTest telemeters, a tracelog level in any case", () => {
  const telemeter = (keys: string) => {
    const c = ok(`telemetry:\n- ${keys}\nrouters:\n- protocol: http\n  servers:\n  - port: 5000\n`);
    return c.telemetry[0];
  };
  assertEquals(telemeter("kind: io.l5d.zipkin\n  sampleRate: 0.02"), {
    kind: "io.l5d.zipkin",
    host: "localhost",
    port: 9410,
    sampleRate: 0.02,
  });
  const zipkin = telemeter("kind: io.l5d.zipkin\n  host: 127.0.0.1\n  port: 9411");
  assert(zipkin?.kind === "io.l5d.zipkin" && zipkin.host === "127.0.0.1" && zipkin.port === 9411);
  const tracelog = (keys: string) => {
    const t = telemeter(`kind: io.l5d.tracelog\n  ${keys}`);
    return t?.kind === "io.l5d.tracelog" ? [t.sampleRate, t.level] : undefined;
  };
  assertEquals(tracelog("sampleRate: 0.02"), [0.02, "INFO"]);
  assertEquals(tracelog("sampleRate: 1"), [1, "INFO"]);
  assertEquals(tracelog("level: trace"), [1, "TRACE"]);
  assertStringIncludes(
    lines("telemetry:\n- kind: io.l5d.tracelog\n  level: supergood\nrouters: []\n")[0]!,
    "telemetry[0].level:",
  );
});

Deno.test("parseConfig() refuses the other protocol's service and client keys (Linkerd's HttpConfig / H2Config)", () => {
  const text = `routers:
- protocol: http
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      responseClassifier: {kind: io.l5d.h2.grpc.default}
      classificationTimeoutMs: 50
  client:
    initialStreamWindowBytes: 65535
    forwardClientCert: true
  servers: [{port: 4140}]
- protocol: h2
  service:
    responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    classificationTimeoutMs: 50
  client: {kind: io.l5d.static, configs: [{prefix: /, initialStreamWindowBytes: 65535}]}
  servers: [{port: 0}]
`;
  const got = lines(text);
  assertEquals(got.length, 4, got.join("\n"));
  assertStringIncludes(
    got[0]!,
    "t.yaml:7:34: routers[0].service.configs[0].responseClassifier.kind: io.l5d.h2.grpc.default " +
      "is an h2 router's classifier; http routers take io.l5d.http.nonRetryable5XX,",
  );
  assertEquals(got.slice(1, 3), [
    't.yaml:8:7: routers[0].service.configs[0].classificationTimeoutMs: unknown key "classificationTimeoutMs" (an h2 router key)',
    't.yaml:10:5: routers[0].client.initialStreamWindowBytes: unknown key "initialStreamWindowBytes" (an h2 router key)',
  ]);
  assertStringIncludes(
    got[3]!,
    "t.yaml:15:32: routers[1].service.responseClassifier.kind: io.l5d.http.retryableRead5XX is " +
      "an http router's classifier; h2 routers take io.l5d.h2.nonRetryable5XX,",
  );
  // h2 routers exist: the access log key of one on an http router says so (it said they did not).
  assertEquals(
    lines("routers:\n- protocol: http\n  h2AccessLog: /tmp/a.log\n  servers: [{port: 0}]\n"),
    [
      't.yaml:3:3: routers[0].h2AccessLog: unknown key "h2AccessLog" here (Linkerd 1.x uses ' +
      "httpAccessLog on http routers; h2AccessLog is the h2 routers' key)",
    ],
  );
  // Each protocol's own keys load, the h2 ones on an h2 router.
  ok(`routers:
- protocol: h2
  service:
    responseClassifier: {kind: io.l5d.h2.grpc.default}
    classificationTimeoutMs: 50
    retryBufferSize: {requestBytes: 1024}
  client: {kind: io.l5d.static, configs: [{prefix: /, initialStreamWindowBytes: 65535}]}
  servers: [{port: 0}]
- protocol: http
  service: {responseClassifier: {kind: io.l5d.http.retryableRead5XX}}
  client: {forwardClientCert: true}
  servers: [{port: 4141}]
`);
});

// Linkerd's Jackson reads a key with no value into an Option field as None (LinkerConfig's
// `namers`, `telemetry`, `admin`, `usage`; RouterConfig's `dtab`, `identifier`; …): absent.
Deno.test("parseConfig() reads a key with no value as absent, as Linkerd's Jackson reads None", () => {
  const r = parseConfig(
    "admin:\nrouters:\n- protocol: http\n  identifier:\n  servers:\n  - port: 4141\n    ip:\n" +
      "namers:\ntelemetry:\nusage:\n",
    "t.yaml",
  );
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join("\n"));
  assertEquals(r.config.admin.port, 9990);
  assertEquals(r.config.namers, []);
  assertEquals(r.config.telemetry, []);
  assertEquals(r.config.routers[0]!.identifier, [{ kind: "io.l5d.header.token", header: "Host" }]);
  assertEquals(r.config.routers[0]!.servers[0]!.ip, "127.0.0.1");
  for (const [at, key] of [["1:1", "admin"], ["4:3", "routers[0].identifier"], ["8:1", "namers"]]) {
    assert(
      r.warnings.includes(
        `t.yaml:${at}: ${key}: no value: read as absent (as Linkerd's Jackson reads null as None)`,
      ),
      r.warnings.join("\n"),
    );
  }
  // A required key with no value is still missing.
  assertEquals(lines("routers:\nnamers:\n- kind: io.l5d.fs\n  rootDir:\n"), [
    "t.yaml:1:9: routers: required key is missing (expected a list)",
    "t.yaml:4:11: namers[0].rootDir: required key is missing (expected a string)",
  ]);
});
