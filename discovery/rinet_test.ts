import { assert, assertEquals } from "../tests/support/assert.ts";
import { address, boundAddr } from "./addr.ts";
import { createInetNamer } from "./inet.ts";
import { createRinetNamer } from "./rinet.ts";
import { NEG } from "./_activity.ts";

Deno.test("createRinetNamer() binds <port>/<host> with the rest as residual", async () => {
  const inet = createInetNamer();
  const rinet = createRinetNamer(inet);
  const a = rinet.lookup(["12345", "localhost", "residual"]).get();
  assert(a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound");
  const b = a.value.value.bound;
  assertEquals(b.id, ["12345", "localhost"]);
  assertEquals(b.residual, ["residual"]);
  assertEquals(b.addr.get(), boundAddr([address("127.0.0.1", 12345)]));
  assert(b.addr === inet.addrOf("localhost", 12345), "shares the inet namer's Var");
  await inet.close();
});

Deno.test("createRinetNamer() is Neg below two labels and failed on a bad port", async () => {
  const inet = createInetNamer();
  const rinet = createRinetNamer(inet);
  assertEquals(rinet.lookup(["8080"]).get(), NEG);
  const a = rinet.lookup(["http", "10.0.0.1"]).get();
  assert(a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound");
  assertEquals(a.value.value.bound.addr.get().type, "failed");
  await inet.close();
});
