import { assertEquals } from "../../../tests/support/assert.ts";
import { latin1 } from "./_bytes.ts";

Deno.test("latin1() decodes an ASCII range and an obs-text range byte for byte", () => {
  const ascii = new TextEncoder().encode("xxGET /a HTTP/1.1\r\nHost: svc\r\n\r\nyy");
  assertEquals(latin1(ascii, 2, ascii.length - 2, true), "GET /a HTTP/1.1\r\nHost: svc\r\n\r\n");
  assertEquals(latin1(ascii, 5, 5, true), "");
  // obs-text: each byte its own code unit (never UTF-8, never windows-1252)
  const obs = new Uint8Array([0x41, 0xe9, 0x80, 0xef, 0xbb, 0xbf, 0x42]);
  assertEquals(latin1(obs, 0, obs.length, false), "A\xe9\x80\xef\xbb\xbfB");
  // a large head crosses the 4096-code-unit steps of the obs-text path
  const big = new Uint8Array(10_000).fill(0xe9);
  assertEquals(latin1(big, 0, big.length, false), "\xe9".repeat(10_000));
});
