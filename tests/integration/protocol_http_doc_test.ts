/**
 * Black-box checks of statements in Linkerd's `linkerd/docs/protocol-http.md` (the HTTP/1.1
 * protocol page), each citing its section: the real process, curl and raw sockets over loopback.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";

/** `l5d-err` decoded as Java's URLEncoder wrote it (`+` is a space). */
function decodeErr(v: string): string {
  return decodeURIComponent(v.replaceAll("+", " "));
}

// "maxErrResponseKB: The maximum size of a HTTP error response payload" and "maxHeadersKB: The
// maximum size of all headers in an HTTP message". Linkerd's `Headers.Err.respond` cuts the body
// (the message) at maxErrResponseKB and, on its own, the URL-encoded `l5d-err` value at
// maxHeadersKB.
Deno.test("protocol-http: maxErrResponseKB cuts the error body, maxHeadersKB the l5d-err header", async () => {
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: body
  maxErrResponseKB: 1
  identifier: {kind: io.l5d.path}
  dtab: /svc => /$/fail;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: head
  maxHeadersKB: 1
  identifier: {kind: io.l5d.path}
  dtab: /svc => /$/fail;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const segment = "a".repeat(1500);
    const full = `No hosts are available for /svc/${segment}, Dtab.base=[/svc=>/$/fail], ` +
      "Dtab.local=[]. Remote Info: Not Available";
    const body = await curl([`http://127.0.0.1:${sy.ports["body"]![0]}/${segment}`]);
    assertEquals(body.status, 502);
    assertEquals(body.body, full.slice(0, 1024));
    assertEquals(decodeErr(body.headers.get("l5d-err") ?? ""), full, "the header is not cut");

    const head = await curl([`http://127.0.0.1:${sy.ports["head"]![0]}/${segment}`]);
    assertEquals(head.status, 502);
    assertEquals(head.body, full, "the body is not cut");
    const err = head.headers.get("l5d-err") ?? "";
    assertEquals(err.length, 1024);
    assert(full.startsWith(decodeErr(err.replace(/%[0-9A-F]?$/, ""))), err);
  } finally {
    await sy.stop();
  }
});
