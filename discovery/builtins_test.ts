import { assertEquals } from "../tests/support/assert.ts";
import { createBuiltinNamers } from "./builtins.ts";

Deno.test("createBuiltinNamers() provides Finagle's and Linkerd's /$/ namers", async () => {
  const b = createBuiltinNamers();
  assertEquals([...b.namers.keys()].sort(), [
    "fail",
    "inet",
    "io.buoyant.hostportPfx",
    "io.buoyant.http.anyHost",
    "io.buoyant.http.anyHostPfx",
    "io.buoyant.http.anyMethod",
    "io.buoyant.http.anyMethodPfx",
    "io.buoyant.http.domainToPath",
    "io.buoyant.http.domainToPathPfx",
    "io.buoyant.http.status",
    "io.buoyant.http.subdomainOf",
    "io.buoyant.http.subdomainOfPfx",
    "io.buoyant.porthostPfx",
    "io.buoyant.rinet",
    "nil",
  ]);
  await b.close();
});
