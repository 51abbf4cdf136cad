import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { configSchema, supportedKinds } from "./schema.ts";
import { type PluginArea, unsupportedKinds } from "./kinds.ts";
import { telemeterSchema } from "./telemeter_schema.ts";
import { clientTlsSchema, serverTlsSchema } from "./tls_schema.ts";
import { serviceDefSchema } from "./services_schema.ts";
import { adminSchema } from "./admin_schema.ts";
import { namerSchema } from "./namer_schema.ts";
import { loadBalancerSchema } from "./client_schema.ts";
import { zodMessage } from "./issues.ts";

function firstMessage(r: { success: boolean; error?: { issues: { message: string }[] } }): string {
  return r.error?.issues[0]?.message ?? "";
}

Deno.test("supportedKinds and unsupportedKinds never overlap", () => {
  for (const area of Object.keys(unsupportedKinds) as PluginArea[]) {
    for (const kind of unsupportedKinds[area]) {
      assert(!supportedKinds[area].includes(kind), `${area} ${kind} is in both tables`);
    }
  }
  assertEquals(supportedKinds.protocol, ["http", "h2"]);
  assertEquals(supportedKinds.namer, [
    "io.l5d.fs",
    "io.l5d.rewrite",
    "io.l5d.k8s",
    "io.l5d.k8s.ns",
    "io.l5d.k8s.external",
    "io.l5d.dnssrv",
    "io.l5d.consul",
    "io.l5d.marathon",
  ]);
  assertEquals(supportedKinds.interpreter, [
    "default",
    "io.l5d.fs",
    "io.l5d.k8s.configMap",
    "io.l5d.consul.interpreter",
  ]);
  assertEquals(supportedKinds.transformer, [
    "io.l5d.k8s.daemonset",
    "io.l5d.k8s.localnode",
    "io.l5d.port",
    "io.l5d.localhost",
    "io.l5d.specificHost",
    "io.l5d.replace",
    "io.l5d.const",
  ]);
  assertEquals(supportedKinds.identifier, [
    "io.l5d.header.token",
    "io.l5d.methodAndHost",
    "io.l5d.path",
    "io.l5d.header",
    "io.l5d.static",
    "io.l5d.ingress",
    "switchyard.routes",
  ]);
  assertEquals(supportedKinds.loadBalancer, ["p2c", "ewma", "aperture", "heap", "roundRobin"]);
  assertEquals(supportedKinds.service, ["io.l5d.global", "io.l5d.static"]);
});

Deno.test("telemeterSchema fills in Linkerd's telemeter defaults", () => {
  const parse = (v: unknown) => telemeterSchema.parse(v);
  assertEquals(parse({ kind: "io.l5d.prometheus" }), {
    kind: "io.l5d.prometheus",
    path: "/admin/metrics/prometheus",
  });
  assertEquals(parse({ kind: "io.l5d.zipkin" }), {
    kind: "io.l5d.zipkin",
    host: "localhost",
    port: 9410,
    sampleRate: 0.001,
  });
  assertEquals(parse({ kind: "io.l5d.recentRequests", sampleRate: 1 }), {
    kind: "io.l5d.recentRequests",
    sampleRate: 1,
    capacity: 10,
  });
  assertEquals(parse({ kind: "io.l5d.tracelog" }), {
    kind: "io.l5d.tracelog",
    sampleRate: 1,
    level: "INFO",
  });
  assertEquals(parse({ kind: "io.l5d.otlp" }), {
    kind: "io.l5d.otlp",
    endpoint: "http://127.0.0.1:4318/v1/traces",
    sampleRate: 0.001,
    serviceName: "switchyard",
  });
  assertEquals(parse({ kind: "io.l5d.zipkinHttp", sampleRate: 1 }), {
    kind: "io.l5d.zipkinHttp",
    url: "http://127.0.0.1:9411/api/v2/spans",
    sampleRate: 1,
  });
  assert(!telemeterSchema.safeParse({ kind: "io.l5d.recentRequests" }).success);
  assert(!telemeterSchema.safeParse({ kind: "io.l5d.zipkin", sampleRate: 2 }).success);
});

Deno.test("clientTlsSchema requires commonName unless validation or TLS is off", () => {
  assert(clientTlsSchema.safeParse({ commonName: "foo" }).success);
  assert(clientTlsSchema.safeParse({ disableValidation: true }).success);
  assert(clientTlsSchema.safeParse({ enabled: false }).success);
  assert(clientTlsSchema.safeParse({ kind: "io.l5d.noValidation" }).success);
  // the legacy kind turns validation off, as disableValidation: true
  assertEquals(clientTlsSchema.parse({ kind: "io.l5d.noValidation" }).disableValidation, true);
  assertStringIncludes(firstMessage(clientTlsSchema.safeParse({})), "commonName is required");
  assertStringIncludes(
    firstMessage(clientTlsSchema.safeParse({
      disableValidation: true,
      clientAuth: { certPath: "c", keyPath: "k" },
    })),
    "disableValidation: true is incompatible with clientAuth",
  );
  // Finagle-buoyant TlsClientConfig.params: both trust settings with a commonName is an error;
  // with disableValidation neither is read.
  assertEquals(
    firstMessage(clientTlsSchema.safeParse({
      commonName: "foo",
      trustCerts: ["a.pem"],
      trustCertsBundle: "b.pem",
    })),
    "Both trustCerts and trustCertsBundle have been set. Please use only trustCertsBundle.",
  );
  assert(
    clientTlsSchema.safeParse({
      disableValidation: true,
      trustCerts: ["a.pem"],
      trustCertsBundle: "b.pem",
    }).success,
  );
  assert(clientTlsSchema.safeParse({ commonName: "foo", trustCerts: ["a.pem"] }).success);
  assertEquals(serverTlsSchema.parse({ certPath: "c", keyPath: "k" }), {
    certPath: "c",
    keyPath: "k",
    requireClientAuth: false,
  });
});

Deno.test("serviceDefSchema validates versions and failover", () => {
  assertEquals(
    serviceDefSchema.parse({
      name: "/svc/hello",
      versions: [
        { name: "v1", dst: "/#/io.l5d.fs/hello-v1", weight: 90 },
        { name: "v2", dst: "/#/io.l5d.fs/hello-v2", weight: 10 },
      ],
      failover: ["/$/inet/127.0.0.1/8081"],
    }),
    {
      name: "/svc/hello",
      versions: [
        { name: "v1", dst: "/#/io.l5d.fs/hello-v1", weight: 90 },
        { name: "v2", dst: "/#/io.l5d.fs/hello-v2", weight: 10 },
      ],
      failover: ["/$/inet/127.0.0.1/8081"],
    },
  );
  assert(!serviceDefSchema.safeParse({ name: "/svc/a", versions: [] }).success);
  assert(!serviceDefSchema.safeParse({ name: "svc", versions: [{ dst: "/a" }] }).success);
  assert(!serviceDefSchema.safeParse({ name: "/a", versions: [{ dst: "/a", weight: 0 }] }).success);
  assertStringIncludes(
    firstMessage(serviceDefSchema.safeParse({
      name: "/a",
      versions: [{ name: "v", dst: "/a" }, { name: "v", dst: "/b" }],
    })),
    "duplicate version name v",
  );
});

Deno.test("configSchema checks that services name existing routers", () => {
  const r = configSchema.safeParse({
    routers: [{ protocol: "http", label: "out", servers: [{}] }],
    services: [{ name: "/svc/a", versions: [{ dst: "/#/io.l5d.fs/a" }], routers: ["in"] }],
  }, { error: zodMessage });
  assertStringIncludes(firstMessage(r), 'no router is labelled "in" (routers: out)');
});

Deno.test("adminSchema accepts Linkerd's admin keys and checks regexes", () => {
  assertEquals(
    adminSchema.parse({ port: 9991, security: { pathWhitelist: ["^/admin/ping$"] } }).security,
    {
      uiEnabled: true,
      controlEnabled: true,
      diagnosticsEnabled: true,
      pathWhitelist: ["^/admin/ping$"],
    },
  );
  assertStringIncludes(
    firstMessage(adminSchema.safeParse({ security: { pathBlacklist: ["(("] } })),
    "not a valid regular expression",
  );
  // L1 config.md lists admin `socketOptions` (the "Socket Options" keys).
  assertEquals(
    adminSchema.parse({ socketOptions: { reusePort: true, readTimeoutMs: 61000 } }).socketOptions,
    { noDelay: true, reuseAddr: true, reusePort: true, readTimeoutMs: 61000, keepAlive: false },
  );
  assertStringIncludes(
    firstMessage(adminSchema.safeParse({ socketOptions: { noSuchOption: true } })),
    "noSuchOption",
  );
});

Deno.test("namerSchema fills prefixes and checks rewrite captures", () => {
  assertEquals(namerSchema.parse({ kind: "io.l5d.fs", rootDir: "disco" }), {
    kind: "io.l5d.fs",
    prefix: "/io.l5d.fs",
    rootDir: "disco",
    transformers: [],
  });
  // L1 namer.md "Rewrite Configuration": prefix is _required_ (RewritingNamerConfig has no
  // default prefix; Linkerd refuses the config with this message).
  assertStringIncludes(
    firstMessage(
      namerSchema.safeParse({
        kind: "io.l5d.rewrite",
        pattern: "/{service}/api",
        name: "/srv/{s}",
      }),
    ),
    "The 'prefix' property is required for the io.l5d.rewrite namer.",
  );
  assertEquals(
    namerSchema.parse({
      kind: "io.l5d.rewrite",
      prefix: "/rewrite",
      pattern: "/{service}/api",
      name: "/srv/{service}",
    }).prefix,
    "/rewrite",
  );
  assertStringIncludes(
    firstMessage(
      namerSchema.safeParse({
        kind: "io.l5d.rewrite",
        prefix: "/rw",
        pattern: "/{a}",
        name: "/x/{b}",
      }),
    ),
    "{b} is not captured by pattern /{a}",
  );
  assertStringIncludes(
    firstMessage(namerSchema.safeParse({ kind: "io.l5d.fs", rootDir: "d", prefix: "fs" })),
    "is not a path",
  );
});

Deno.test("loadBalancerSchema fills each kind's defaults", () => {
  assertEquals(loadBalancerSchema.parse({ kind: "aperture" }), {
    kind: "aperture",
    maxEffort: 5,
    enableProbation: false,
    smoothWindowMs: 5000,
    lowLoad: 0.5,
    highLoad: 2,
    minAperture: 1,
  });
  assertEquals(loadBalancerSchema.parse({ kind: "heap" }), {
    kind: "heap",
    enableProbation: false,
  });
  assertEquals(loadBalancerSchema.parse({ kind: "roundRobin" }), {
    kind: "roundRobin",
    maxEffort: 5,
    enableProbation: false,
  });
});
