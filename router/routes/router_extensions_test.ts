import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { parseConfig } from "../config/mod.ts";
import { showDtab } from "../dtab/mod.ts";
import { identifiersFromConfig } from "../identify/mod.ts";
import { parsePath } from "../dtab/mod.ts";
import { routerExtensions } from "./router_extensions.ts";

const yaml = `
routers:
- protocol: http
  label: out
  identifier:
  - kind: io.l5d.header
  - kind: switchyard.routes
    routes:
    - match: {path: /a/:x}
      dst: /svc/a/{x}
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
  servers: [{port: 0}]
- protocol: http
  label: in
  servers: [{port: 0}]
services:
- name: /svc/a
  versions: [{dst: /#/io.l5d.fs/a1, weight: 3}, {dst: /#/io.l5d.fs/a2}]
  routers: [out]
`;

Deno.test("routerExtensions() compiles services and route identifiers for one router", () => {
  const r = parseConfig(yaml, "t.yaml");
  assert(r.ok, JSON.stringify(!r.ok && r.errors));
  const [out, inn] = r.config.routers;
  const ext = routerExtensions(out!, r.config.services, new FakeClock());
  assertEquals(showDtab(ext.dentries), "/svc/a=>3.00*/#/io.l5d.fs/a1 & /#/io.l5d.fs/a2");
  const ids = identifiersFromConfig(out!.identifier, ["svc"], parsePath, ext.identifier);
  assertEquals(ids.length, 2);
  assert(ext.tables.has(ids[1]!), "the route identifier is the table's");
  // A route's classifier rides on the request (route_overrides.ts), not in the service block.
  assert(ext.service === out!.service, "service block untouched");
  const url = new URL("http://h/a/7");
  assertEquals(ids[1]!({ req: new Request(url), url, host: "h" }), {
    ok: true,
    dst: ["svc", "a", "7"],
  });
  const plain = routerExtensions(inn!, r.config.services, new FakeClock());
  assertEquals(plain.dentries.length, 0, "services apply only to their routers");
  assertEquals(plain.tables.size, 0);
  assert(plain.service === inn!.service, "service block untouched");
});
