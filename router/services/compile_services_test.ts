import { assertAlmostEquals, assertEquals } from "../../tests/support/assert.ts";
import { compileService, compileServices } from "./compile_services.ts";
import { parseDtab, showDtab } from "../dtab/mod.ts";
import { serviceDefSchema } from "../config/services_schema.ts";

Deno.test("compileServices() turns weighted versions into a union and failover into an alternation", () => {
  const svc = serviceDefSchema.parse({
    name: "/svc/hello",
    versions: [
      { name: "v1", dst: "/#/io.l5d.fs/hello-v1", weight: 90 },
      { name: "v2", dst: "/#/io.l5d.fs/hello-v2", weight: 10 },
    ],
    failover: ["/#/io.l5d.fs/hello-east", "/$/inet/127.0.0.1/8081"],
  });
  const c = compileServices([svc], "outgoing");
  assertEquals(
    showDtab(c.dentries),
    "/svc/hello=>90.00*/#/io.l5d.fs/hello-v1 & 10.00*/#/io.l5d.fs/hello-v2 | " +
      "/#/io.l5d.fs/hello-east | /$/inet/127.0.0.1/8081",
  );
  assertEquals(c.services[0]!.summary, "v1 90%, v2 10%; then failover");
  assertAlmostEquals(c.services[0]!.shares[0]!, 0.9, 1e-9);
});

Deno.test("compileServices() text parses back to the same dentries, comments included", () => {
  const c = compileServices([
    { name: "/svc/a", versions: [{ dst: "/#/io.l5d.fs/a" }] },
    { name: "/svc/b", versions: [{ dst: "/#/io.l5d.fs/b1" }, { dst: "/#/io.l5d.fs/b2" }] },
  ], "r");
  assertEquals(showDtab(parseDtab(c.text)), showDtab(c.dentries));
  assertEquals(c.text.split("\n").length, 2);
  assertEquals(
    showDtab(c.dentries),
    "/svc/a=>/#/io.l5d.fs/a;/svc/b=>/#/io.l5d.fs/b1 & /#/io.l5d.fs/b2",
  );
});

Deno.test("compileServices() skips services whose routers list omits the router", () => {
  const services = [
    { name: "/svc/a", versions: [{ dst: "/#/io.l5d.fs/a" }], routers: ["incoming"] },
    { name: "/svc/b", versions: [{ dst: "/#/io.l5d.fs/b" }] },
  ];
  assertEquals(compileServices(services, "outgoing").services.map((s) => s.index), [1]);
  assertEquals(compileServices(services, "incoming").services.map((s) => s.index), [0, 1]);
});

Deno.test("compileService() makes a single version a plain leaf whatever its weight", () => {
  const s = compileService({ name: "/svc/a", versions: [{ dst: "/#/io.l5d.fs/a", weight: 7 }] }, 3);
  assertEquals(s.dentry.dst.type, "leaf");
  assertEquals(s.summary, "/#/io.l5d.fs/a 100%");
  assertEquals(s.index, 3);
});

Deno.test("compileService() shows fractional shares", () => {
  const s = compileService({
    name: "/svc/a",
    versions: [{ dst: "/#/x/a", weight: 2 }, { dst: "/#/x/b" }, { dst: "/#/x/c", weight: 997 }],
  }, 0);
  assertEquals(s.summary, "/#/x/a 0.20%, /#/x/b 0.10%, /#/x/c 99.7%");
});
