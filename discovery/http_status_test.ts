import { assertEquals } from "../tests/support/assert.ts";
import { createHttpStatusNamer, fixedStatusOf, fixedStatusResponse } from "./http_status.ts";

// L1 router/http/src/test/scala/io/buoyant/http/StatusTest.scala.
Deno.test("io.buoyant.http.status binds /<code> with the rest as residual; bad or no code is Neg", () => {
  const namer = createHttpStatusNamer();
  const hit = namer.lookup(["401", "foo", "bar.a.b", "bah"]).get();
  if (hit.state !== "ok" || hit.value.type !== "leaf" || hit.value.value.kind !== "bound") {
    throw new Error(`not bound: ${JSON.stringify(hit)}`);
  }
  const bound = hit.value.value.bound;
  assertEquals([bound.idStr, bound.residual], ["/401", ["foo", "bar.a.b", "bah"]]);
  const addr = bound.addr.get();
  assertEquals(addr.type === "bound" ? addr.addrs.map(fixedStatusOf) : [], [401]);
  for (const path of [["foo", "bar.a.b", "bah"], [], ["99"], ["600"], ["4o1"]]) {
    assertEquals(namer.lookup(path).get(), { state: "ok", value: { type: "neg" } }, path.join("/"));
  }
  assertEquals(fixedStatusOf({ host: "127.0.0.1", port: 80, weight: 1 }), undefined);
});

Deno.test("fixedStatusResponse: any code in 100..599, 1xx included, with an empty body", () => {
  for (const code of [100, 101, 103, 199, 200, 401, 599]) {
    const rsp = fixedStatusResponse(code, { via: "1.1 linkerd" });
    assertEquals([rsp.status, rsp.body, rsp.headers.get("via")], [code, null, "1.1 linkerd"]);
  }
});
