import { assertEquals } from "../../tests/support/assert.ts";
import { lintConfig } from "./lint.ts";
import { configSchema } from "./schema.ts";

Deno.test("lintConfig() finds /#/ names that no namer serves", () => {
  const c = configSchema.parse({
    namers: [{ kind: "io.l5d.fs", rootDir: "d" }],
    routers: [{
      protocol: "http",
      dtab: "/svc => /#/io.l5d.fs | /#/io.l5d.k8s/default/http; /x => /#/io.l5d.k8s/y",
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
    routers: [{ protocol: "http" }],
  });
  assertEquals(lintConfig(safe), []);
});

Deno.test("lintConfig() treats all of 127.0.0.0/8, ::1 and localhost as loopback for admin.ip", () => {
  const warned = (ip: string) =>
    lintConfig(configSchema.parse({ admin: { ip }, routers: [{ protocol: "http" }] }))
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
  ]);
});
