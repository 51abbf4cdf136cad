import { assertEquals } from "../../tests/support/assert.ts";
import { javaUrlEncode, stripHopByHop, viaCount } from "./headers.ts";

Deno.test("stripHopByHop() removes the fixed list and the names Connection lists", () => {
  const h = new Headers({
    connection: "close, X-Secret",
    "x-secret": "1",
    "keep-alive": "timeout=5",
    "proxy-authorization": "Basic x",
    te: "trailers",
    upgrade: "websocket",
    a: "b",
  });
  stripHopByHop(h);
  assertEquals([...h.keys()], ["a"]);
});

Deno.test("viaCount() counts comma-separated entries", () => {
  assertEquals(viaCount(null), 0);
  assertEquals(viaCount("1.1 a"), 1);
  assertEquals(viaCount("1.1 a, 1.1 b,1.0 c"), 3);
});

// Linkerd's ErrorResponderTest "correctly encodes error headers": URLEncoder with ISO_8859_1.
Deno.test("javaUrlEncode() matches java.net.URLEncoder with ISO-8859-1", () => {
  assertEquals(
    javaUrlEncode("No hosts are available for /svc/x, Dtab.base=[/a=>/b]"),
    "No+hosts+are+available+for+%2Fsvc%2Fx%2C+Dtab.base%3D%5B%2Fa%3D%3E%2Fb%5D",
  );
  assertEquals(javaUrlEncode("foo\nbar"), "foo%0Abar");
  // Latin-1: one byte for é; `?` for what Latin-1 cannot hold (one per code point).
  assertEquals(javaUrlEncode("é*_-."), "%E9*_-.");
  assertEquals(javaUrlEncode("a€b😀"), "a%3Fb%3F");
});
