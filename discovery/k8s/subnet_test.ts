import { assert } from "../../tests/support/assert.ts";
import { isIpv4, sameSubnet24 } from "./subnet.ts";

Deno.test("sameSubnet24() compares the first three octets of IPv4 addresses", () => {
  assert(sameSubnet24("10.1.2.3", "10.1.2.254"));
  assert(sameSubnet24("127.0.1.2", "127.0.1.11"));
  assert(!sameSubnet24("127.0.1.2", "127.0.2.11"));
  assert(!sameSubnet24("10.1.2.3", "11.1.2.3"));
  assert(sameSubnet24("127.1", "127.0.0.9"), "Java short forms are normalized");
});

Deno.test("sameSubnet24() never matches IPv6 addresses or host names", () => {
  assert(!sameSubnet24("::1", "::2"));
  assert(!sameSubnet24("10.0.0.1", "::ffff:10.0.0.2"));
  assert(!sameSubnet24("web", "web"));
  assert(isIpv4("10.0.0.1"));
  assert(!isIpv4("fe80::1"));
  assert(!isIpv4("node-a"));
});
