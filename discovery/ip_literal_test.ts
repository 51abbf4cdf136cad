import { assertEquals } from "../tests/support/assert.ts";
import { parseIpLiteral } from "./ip_literal.ts";

Deno.test("parseIpLiteral() accepts dotted quads and Java's short IPv4 forms", () => {
  assertEquals(parseIpLiteral("10.1.2.3"), "10.1.2.3");
  assertEquals(parseIpLiteral("127.1"), "127.0.0.1");
  assertEquals(parseIpLiteral("10.1.258"), "10.1.1.2");
  assertEquals(parseIpLiteral("2130706433"), "127.0.0.1");
});

Deno.test("parseIpLiteral() rejects host names and out-of-range parts", () => {
  for (const h of ["example.com", "256.1.1.1", "1.2.3.4.5", "1..2", "", "127.1.x", "localhost"]) {
    assertEquals(parseIpLiteral(h), undefined, h);
  }
});

Deno.test("parseIpLiteral() normalizes IPv6", () => {
  assertEquals(parseIpLiteral("::1"), "::1");
  assertEquals(parseIpLiteral("0:0:0:0:0:0:0:1"), "::1");
  assertEquals(parseIpLiteral("fe80::1:2"), "fe80::1:2");
  assertEquals(parseIpLiteral("::ffff:1.2.3.4"), "::ffff:102:304");
  assertEquals(parseIpLiteral("1:2"), undefined);
});
