import { assertEquals } from "../../tests/support/assert.ts";
import { lintConfig } from "./lint.ts";
import { configSchema } from "./schema.ts";

Deno.test("lintConfig() finds /#/ names that no namer serves", () => {
  const c = configSchema.parse({
    namers: [{ kind: "io.l5d.fs", rootDir: "d" }],
    routers: [{
      protocol: "http",
      dtab: "/svc => /#/io.l5d.fs | /#/io.l5d.k8s/default/http; /x => /#/io.l5d.k8s/y",
      servers: [{}],
    }],
    services: [{
      name: "/svc/a",
      versions: [{ dst: "/#/consul/a" }],
      failover: ["/#/io.l5d.fs/b"],
    }],
  });
  assertEquals(lintConfig(c), [
    {
      path: ["routers", 0, "dtab"],
      message: "/#/io.l5d.k8s refers to no configured namer (namers: /io.l5d.fs)",
      dtabOffset: 0, // the first dentry naming it
    },
    {
      path: ["services", 0, "versions", 0, "dst"],
      message: "/#/consul refers to no configured namer (namers: /io.l5d.fs)",
    },
  ]);
});

Deno.test("lintConfig() warns about exposed admin control and ignored keys", () => {
  const c = configSchema.parse({
    admin: { ip: "0.0.0.0", workerThreads: 2 },
    routers: [{ protocol: "http", servers: [{ announce: ["/#/io.l5d.serversets/x"] }] }],
  });
  assertEquals(lintConfig(c).map((w) => w.path.join(".")), [
    "routers.0.servers.0.announce",
    "admin.ip",
    "admin.workerThreads",
  ]);
  const safe = configSchema.parse({
    admin: { ip: "0.0.0.0", security: { controlEnabled: false } },
    routers: [{ protocol: "http", servers: [{}] }],
  });
  assertEquals(lintConfig(safe), []);
});

Deno.test("lintConfig() treats all of 127.0.0.0/8, ::1 and localhost as loopback for admin.ip", () => {
  const warned = (ip: string) =>
    lintConfig(
      configSchema.parse({ admin: { ip }, routers: [{ protocol: "http", servers: [{}] }] }),
    )
      .some((w) => w.path.join(".") === "admin.ip");
  for (const ip of ["127.0.0.1", "127.0.0.30", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1"]) {
    assertEquals(warned(ip), false, ip);
  }
  for (const ip of ["localhost", "::ffff:127.0.0.2"]) assertEquals(warned(ip), false, ip);
  for (const ip of ["0.0.0.0", "10.0.0.1", "128.0.0.1", "::", "::2", "example.com"]) {
    assertEquals(warned(ip), true, ip);
  }
});

Deno.test("lintConfig() warns: TLS ciphers, and protocols on engine: serve, not applied", () => {
  const tls = { certPath: "c", keyPath: "k", protocols: ["TLSv1.2"] };
  const c = configSchema.parse({
    admin: { tls: { ...tls, ciphers: ["TLS_AES_128_GCM_SHA256"] } },
    routers: [{
      protocol: "http",
      dtab: "/svc => /$/inet/127.0.0.1/1;",
      servers: [
        { port: 4140, tls },
        { port: 4141, engine: "serve", tls },
        { port: 4142, tls: { ...tls, ciphers: ["TLS_AES_128_GCM_SHA256"] } },
      ],
    }],
  });
  assertEquals(lintConfig(c).map((w) => w.path.join(".")), [
    "routers.0.servers.1.tls.protocols",
    "routers.0.servers.2.tls.ciphers",
    // admin.tls is served by Deno.serve (rustls), as README "TLS" says
    "admin.tls.protocols",
    "admin.tls.ciphers",
  ]);
});

Deno.test("lintConfig() warns about Linkerd keys that have no effect here", () => {
  const source = {
    admin: { socketOptions: { noDelay: false, keepAlive: false } },
    routers: [
      {
        protocol: "http",
        servers: [
          { port: 30001, socketOptions: { reusePort: true, keepAlive: true, readTimeoutMs: 5 } },
          { port: 30002, engine: "serve", serverSession: { idleTimeMs: 1000 } },
          { port: 30003, engine: "raw", serverSession: { idleTimeMs: 1000 } },
        ],
        bindingCache: { bounds: 10 },
        client: {
          kind: "io.l5d.static",
          configs: [
            { prefix: "/", failFast: true, socketOptions: { keepAlive: true, backlog: 10 } },
            { prefix: "/#/x", tls: { kind: "io.l5d.boundPath", names: [] } },
          ],
        },
      },
      {
        protocol: "h2",
        label: "h2",
        maxInitialLineKB: 8,
        servers: [{ port: 30004, windowUpdateRatio: 0.5, socketOptions: { keepAlive: true } }],
        client: {
          windowUpdateRatio: 0.5,
          socketOptions: { keepAlive: true, noDelay: true },
          clientSession: { lifeTimeMs: 1000 },
          hostConnectionPool: { idleTimeMs: 100, maxSize: 10 },
        },
      },
    ],
    telemetry: [{ kind: "io.l5d.tracelog", host: "localhost" }],
  };
  const c = { ...configSchema.parse(source), source };
  assertEquals(lintConfig(c).map((w) => w.path.join(".")), [
    "routers.0.servers.0.socketOptions.readTimeoutMs",
    "routers.0.servers.1.serverSession",
    "routers.0.bindingCache.bounds",
    "routers.0.client.configs.0.socketOptions.backlog",
    "routers.0.client.configs.1.tls.kind",
    "routers.1.servers.0.socketOptions.keepAlive",
    "routers.1.servers.0.windowUpdateRatio",
    "routers.1.maxInitialLineKB",
    "routers.1.client.socketOptions.keepAlive",
    "routers.1.client.windowUpdateRatio",
    "routers.1.client.hostConnectionPool.idleTimeMs",
    "telemetry.0.host",
    "admin.socketOptions.noDelay",
  ]);
  // the defaults alone warn about nothing
  const plain = {
    routers: [{ protocol: "h2", servers: [{}] }, { protocol: "http", label: "x", servers: [{}] }],
  };
  assertEquals(lintConfig({ ...configSchema.parse(plain), source: plain }), []);
});

Deno.test("lintConfig() warns about namers sharing a prefix (Linkerd asks the later first)", () => {
  const c = configSchema.parse({
    namers: [
      { kind: "io.l5d.fs", rootDir: "a" },
      { kind: "io.l5d.fs", rootDir: "b", prefix: "/other" },
      { kind: "io.l5d.fs", rootDir: "c" },
    ],
    routers: [{ protocol: "http", servers: [{}] }],
  });
  assertEquals(lintConfig(c), [{
    path: ["namers", 2, "prefix"],
    message: "namers[0] has the same prefix /io.l5d.fs: this namer is asked first, " +
      "namers[0] only for names it does not have",
  }]);
});
