import { assertEquals } from "../../tests/support/assert.ts";
import { requestWithMethod } from "./request_method.ts";

Deno.test("requestWithMethod() builds TRACE/CONNECT/TRACK, which new Request refuses", () => {
  for (const m of ["TRACE", "CONNECT", "TRACK"]) {
    let refused = false;
    try {
      new Request("http://a/", { method: m });
    } catch {
      refused = true;
    }
    assertEquals(refused, true, `${m} is forbidden in fetch`);
    const r = requestWithMethod("http://a/x", { method: m, headers: { "max-forwards": "1" } });
    assertEquals([r.method, r.url, r.headers.get("max-forwards")], [m, "http://a/x", "1"]);
  }
  const withBody = requestWithMethod("http://a/", { method: "TRACE", body: "x" });
  assertEquals(withBody.method, "TRACE");
  assertEquals(requestWithMethod("http://a/", { method: "PATCH" }).method, "PATCH");
});
