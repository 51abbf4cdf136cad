import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { address } from "./addr.ts";
import { parseAddrFile } from "./addr_file.ts";

Deno.test("parseAddrFile() reads hosts, ports and weights", () => {
  const a = parseAddrFile("192.0.2.220 8080\n192.0.2.105 8080\n192.0.2.210 8080 * 2.0\n", "web");
  assertEquals(a, {
    type: "bound",
    addrs: [
      address("192.0.2.220", 8080),
      address("192.0.2.105", 8080),
      address("192.0.2.210", 8080, 2),
    ],
  });
  assertEquals(parseAddrFile("h 1 * 0.23", "f"), { type: "bound", addrs: [address("h", 1, 0.23)] });
});

Deno.test("parseAddrFile() ignores comments, blank lines, CRLF and extra spaces", () => {
  const text =
    "# header\r\n\r\n  10.0.0.1\t 80   # trailing\r\n   \n#10.0.0.9 80\nhost.example 443 *  1e1\n";
  assertEquals(parseAddrFile(text, "f"), {
    type: "bound",
    addrs: [address("10.0.0.1", 80), address("host.example", 443, 10)],
  });
});

Deno.test("parseAddrFile() binds an empty or comment-only file to nothing", () => {
  assertEquals(parseAddrFile("", "f"), { type: "bound", addrs: [] });
  assertEquals(parseAddrFile("# nobody home\n\n", "f"), { type: "bound", addrs: [] });
});

Deno.test("parseAddrFile() fails on a malformed line, naming file:line", () => {
  const a = parseAddrFile("10.0.0.1 80\n10.0.0.2\n", "/disco/web");
  assert(a.type === "failed");
  assertStringIncludes(a.error, "/disco/web:2");
  assertStringIncludes(a.error, "10.0.0.2");
});

Deno.test("parseAddrFile() enforces the port range 1..65535", () => {
  for (const bad of ["0", "65536", "-1", "http", "80.5", "+80"]) {
    const a = parseAddrFile(`h ${bad}`, "f");
    assert(a.type === "failed", `port ${bad} accepted`);
  }
  assertEquals(parseAddrFile("h 1\nh 65535", "f"), {
    type: "bound",
    addrs: [address("h", 1), address("h", 65535)],
  });
});

Deno.test("parseAddrFile() rejects bad weights and shapes", () => {
  for (
    const line of [
      "h 80 * x",
      "h 80 * -1",
      "h 80 *",
      "h 80 2",
      "h 80 x 2",
      "h 80 * 1 2",
      "h 80 * NaN",
    ]
  ) {
    assert(parseAddrFile(line, "f").type === "failed", `accepted: ${line}`);
  }
});

Deno.test("parseAddrFile() collapses duplicate lines", () => {
  assertEquals(parseAddrFile("h 80\nh 80\n", "f"), { type: "bound", addrs: [address("h", 80)] });
});

Deno.test("parseAddrFile() normalizes IP literals as Java's InetAddress, keeps host names", () => {
  const a = parseAddrFile("127.1 8888\n127.0.0.1 8888\n0:0::1 80\nlocalhost 81\n", "hello");
  assertEquals(a, {
    type: "bound",
    addrs: [address("127.0.0.1", 8888), address("::1", 80), address("localhost", 81)],
  });
});
