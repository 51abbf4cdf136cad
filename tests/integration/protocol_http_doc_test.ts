/**
 * Black-box checks of statements in Linkerd's `linkerd/docs/protocol-http.md` (the HTTP/1.1
 * protocol page), each citing its section: the real process, curl and raw sockets over loopback.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

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

// "maxHeadersKB: The maximum size of all headers in an HTTP message" and "maxInitialLineKB: The
// maximum size of an initial HTTP message line": Linkerd's clients get the router's params, so a
// response over them fails in Finagle's client (TooLongMessageException) and the router answers
// 502 with `l5d-err`, as for any other upstream failure.
Deno.test("protocol-http: a response over maxHeadersKB or maxInitialLineKB is a 502 with l5d-err", async () => {
  const enc = new TextEncoder();
  const up = rawUpstream(async (head, conn) => {
    const path = head.split(" ")[1] ?? "/";
    const n = Number(path.slice(path.lastIndexOf("/") + 1));
    const big = path.startsWith("/line/")
      ? `HTTP/1.1 200 ${"O".repeat(n)}\r\ncontent-length: 2\r\n\r\nok`
      : `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(n)}\r\ncontent-length: 2\r\n\r\nok`;
    await conn.write(enc.encode(big));
    return true;
  });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: dflt
  identifier: {kind: io.l5d.static, path: /up}
  dtab: /svc/up => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: roomy
  maxHeadersKB: 16
  maxInitialLineKB: 8
  identifier: {kind: io.l5d.static, path: /up}
  dtab: /svc/up => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const dflt = `http://127.0.0.1:${sy.ports["dflt"]![0]}`;
    const roomy = `http://127.0.0.1:${sy.ports["roomy"]![0]}`;
    const small = await curl([`${dflt}/head/7000`]);
    assertEquals([small.status, small.body, small.headers.get("x-big")?.length], [200, "ok", 7000]);
    const headers = await curl([`${dflt}/head/9000`]);
    assertEquals(headers.status, 502);
    const headersErr = decodeErr(headers.headers.get("l5d-err") ?? "");
    assert(headersErr.startsWith("HTTP header is larger than 8192 bytes."), headersErr);
    assertEquals(headers.headers.get("x-big"), null);
    const line = await curl([`${dflt}/line/5000`]);
    assertEquals(line.status, 502);
    const lineErr = decodeErr(line.headers.get("l5d-err") ?? "");
    assert(lineErr.startsWith("An HTTP line is larger than 4096 bytes."), lineErr);
    // The same responses within a router's larger limits pass.
    assertEquals((await curl([`${roomy}/head/9000`])).status, 200);
    assertEquals((await curl([`${roomy}/line/5000`])).status, 200);
    assertEquals((await curl([`${roomy}/head/17000`])).status, 502);
  } finally {
    await sy.stop();
    await up.close();
  }
});

// "streamingEnabled: Streaming allows Linkerd to work with HTTP messages that have large (or
// infinite) content bodies using chunked encoding." With it off, Finagle's codec aggregates each
// message: a chunked request reaches the endpoint with Content-Length, and a chunked response
// reaches the client with Content-Length.
Deno.test("protocol-http: streamingEnabled: false sends whole messages with Content-Length both ways", async () => {
  const up = startUpstream("up", async (req) => {
    const got = {
      contentLength: req.headers.get("content-length"),
      transferEncoding: req.headers.get("transfer-encoding"),
      body: await req.text(),
    };
    const text = JSON.stringify(got);
    return new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(text.slice(0, 5)));
          c.enqueue(new TextEncoder().encode(text.slice(5)));
          c.close();
        },
      }),
    );
  });
  const router = (label: string, extra: string) => `
- protocol: http
  label: ${label}${extra}
  identifier: {kind: io.l5d.static, path: /up}
  dtab: /svc/up => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:${router("whole", "\n  streamingEnabled: false")}${router("streamed", "")}
`);
  try {
    const send = (label: string) =>
      curl([
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        "hello world",
        `http://127.0.0.1:${sy.ports[label]![0]}/`,
      ]);
    const whole = await send("whole");
    assertEquals(whole.status, 200);
    assertEquals(JSON.parse(whole.body), {
      contentLength: "11",
      transferEncoding: null,
      body: "hello world",
    });
    assertEquals(whole.headers.get("content-length"), String(whole.body.length));
    assertEquals(whole.headers.get("transfer-encoding"), null);
    // Streaming on (the default): chunked stays chunked.
    const streamed = await send("streamed");
    assertEquals(JSON.parse(streamed.body).transferEncoding, "chunked");
    assertEquals(streamed.headers.get("transfer-encoding"), "chunked");
  } finally {
    await sy.stop();
    await up.close();
  }
});
