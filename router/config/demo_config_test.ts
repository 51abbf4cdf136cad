import { assert, assertEquals } from "../../tests/support/assert.ts";
import { demoConfigYaml } from "./demo_config.ts";
import { parseConfig } from "./load.ts";

Deno.test("demoConfigYaml() is an outgoing router on 127.0.0.1:4140 over the fs namer", () => {
  const r = parseConfig(demoConfigYaml({ rootDir: "/tmp/sy disco" }), "<demo>");
  assert(r.ok);
  assertEquals(r.warnings, []);
  const router = r.config.routers[0]!;
  assertEquals(router.label, "outgoing");
  assertEquals(router.servers.map((s) => `${s.ip}:${s.port}`), ["127.0.0.1:4140"]);
  assertEquals(router.dtab.trim(), "/svc => /#/io.l5d.fs;");
  assertEquals(r.config.namers, [{
    kind: "io.l5d.fs",
    prefix: "/io.l5d.fs",
    rootDir: "/tmp/sy disco",
    transformers: [],
  }]);
  assertEquals([r.config.admin.ip, r.config.admin.port], ["127.0.0.1", 9990]);
});

Deno.test("demoConfigYaml() takes the router and admin ports", () => {
  const r = parseConfig(demoConfigYaml({ rootDir: "d", routerPort: 0, adminPort: 0 }), "<demo>");
  assert(r.ok);
  assertEquals(r.config.routers[0]!.servers[0]!.port, 0);
  assertEquals(r.config.admin.port, 0);
  const s = parseConfig(demoConfigYaml({ rootDir: "d", routerPort: 5140, adminPort: 5990 }), "x");
  assert(s.ok);
  assertEquals([s.config.routers[0]!.servers[0]!.port, s.config.admin.port], [5140, 5990]);
});

Deno.test("demoConfigYaml() binds the given address", () => {
  const r = parseConfig(demoConfigYaml({ rootDir: "d", ip: "127.0.0.2" }), "<demo>");
  assert(r.ok);
  assertEquals(r.config.routers[0]!.servers[0]!.ip, "127.0.0.2");
  assertEquals(r.config.admin.ip, "127.0.0.2");
});
