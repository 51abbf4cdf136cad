/**
 * Linkerd 1.x's `router/http/src/test` cases not ported elsewhere, run against the real process:
 *
 * - `io/buoyant/http/StatusTest.scala`: the `/$/io.buoyant.http.status/<code>` service namer
 *   (`io/buoyant/http/status.scala`) answers with that status; a bad or missing code is Neg.
 * - `io/buoyant/router/http/ProxyRewriteFilterTest.scala` and `DiscardProxySideEffectsTest.scala`:
 *   an absolute-form request is sent on in origin form with its path, matrix parameters and query
 *   as received (neither decoded nor encoded twice), `Host` from the URI.
 * - `io/buoyant/router/http/TimestampHeaderFilterTest.scala`: the header holds the request's
 *   arrival time in epoch milliseconds.
 * - `io/buoyant/router/http/StripHopByHopHeadersFilterTest.scala`: every hop-by-hop field of an
 *   upstream's response, and every field its `Connection` names, is dropped.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

Deno.test("linkerd StatusTest: status, status: invalid, status: no code", async () => {
  const up = startUpstream("up");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /svc => /$/inet/127.0.0.1/${up.port};
    /svc/unauthorized => /$/io.buoyant.http.status/401/foo/bar.a.b/bah;
    /svc/teapot => /$/io.buoyant.http.status/418;
    /svc/invalid => /$/io.buoyant.http.status/foo/bar.a.b/bah;
    /svc/nocode => /$/io.buoyant.http.status;
    /svc/toolarge => /$/io.buoyant.http.status/600;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const get = (host: string) => curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/x`]);
  try {
    // 'status': the name binds to a service answering 401, with no upstream involved.
    const r = await get("unauthorized");
    assertEquals([r.status, r.body], [401, ""]);
    // Linkerd's ViaHeaderAppenderFilter sits in the path stack (Http.scala `Router.pathStack`),
    // above the bound service: the fixed answer carries this hop's Via too.
    assertEquals(r.headers.get("via"), "1.1 linkerd");
    assertEquals((await get("teapot")).status, 418);
    assertEquals(up.seen.length, 0, "no upstream is asked");
    // 'status: invalid' and 'status: no code': Neg, so the dtab falls back to `/svc`.
    for (const host of ["invalid", "nocode", "toolarge"]) {
      const n = await get(host);
      assertEquals([n.status, JSON.parse(n.body).name], [200, "up"], host);
    }
    // The delegator shows the bound name.
    const d = await fetch(
      `${sy.admin}/delegator.json?path=/svc/unauthorized&dtab=${
        encodeURIComponent(`/svc/unauthorized => /$/io.buoyant.http.status/401/foo`)
      }`,
    );
    assertEquals(d.status, 200);
    assert((await d.text()).includes("/$/io.buoyant.http.status/401"));
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("linkerd ProxyRewriteFilterTest and DiscardProxySideEffectsTest: an absolute URI goes on as received", async () => {
  const up = rawUpstream(async (_head, c) => {
    await c.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    return true;
  });
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    for (
      const target of [
        "/foo?text=hello%20world", // 'don't double URL-encode query parameter values'
        "/foo?x=R%26D", // 'don't URL-decode url-encoded query parameter values'
        "/foo;matrix=uri;/bar?x=1&y=2", // 'filter rewrites uri ... for proxied requests'
      ]
    ) {
      const r = await curl([
        ...["-x", `http://${sy.proxy()}`, "-H", "Host: example.com:9000"],
        ...["-H", "Pragma: 42", "-H", "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="],
        `http://acme.co:8080${target}`,
      ]);
      assertEquals(r.status, 200, target);
      const lines = up.heads.at(-1)!.split("\r\n");
      assertEquals(lines[0], `GET ${target} HTTP/1.1`);
      const fields = lines.slice(1).map((l) => l.toLowerCase());
      assert(fields.includes("host: acme.co:8080"), "Host from the URI's authority");
      assert(fields.includes("pragma: 42"));
      assert(!fields.some((f) => f.startsWith("proxy-")), "Proxy-* dropped");
    }
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("linkerd TimestampHeaderFilterTest: timestamp header contains request time", async () => {
  const up = startUpstream("up");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0, timestampHeader: X-Request-Start}]
`);
  try {
    const before = Date.now();
    const r = await curl(["-H", "Host: up", `http://${sy.proxy()}/`]);
    const after = Date.now();
    assertEquals(r.status, 200);
    const value = up.seen[0]!.headers["x-request-start"]!;
    assert(/^\d+$/.test(value), value);
    assert(Number(value) >= before && Number(value) <= after, `${before} ≤ ${value} ≤ ${after}`);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("linkerd StripHopByHopHeadersFilterTest: strips all hop-by-hop headers from response", async () => {
  const up = rawUpstream(async (_head, c) => {
    await c.write(
      new TextEncoder().encode(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive, Foo, Bar\r\n" +
          "Keep-Alive: timeout=30\r\nFoo: abc\r\nBar: def\r\nProxy-Authenticate: Basic\r\n" +
          "Trailer: x-t\r\nUpgrade: websocket\r\nTE: trailers\r\nX-Kept: yes\r\n\r\nok",
      ),
    );
    return true;
  });
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const r = await curl(["-H", "Host: up", `http://${sy.proxy()}/`]);
    assertEquals([r.status, r.body], [200, "ok"]);
    for (
      const h of ["keep-alive", "foo", "bar", "proxy-authenticate", "trailer", "upgrade", "te"]
    ) {
      assertEquals(r.headers.get(h), null, h);
    }
    assert(r.headers.get("connection") === null || r.headers.get("connection") === "keep-alive");
    assertEquals(r.headers.get("x-kept"), "yes");
  } finally {
    await sy.stop();
    await up.close();
  }
});

/** Send `head` on a fresh connection and read until the server closes it (bounded by 5 s). */
async function rawExchange(port: number, head: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    await conn.write(new TextEncoder().encode(head));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

// status.scala accepts any code in 100..599 and answers `Response(Status.fromCode(code))`.
// Finagle's ResponseConformanceFilter (finagle-base-http codec) strips the body and
// Content-Length of a 1xx, and its ConnectionManager (`noLength`: not chunked, no
// Content-Length) then closes the connection after it: the 1xx head is the whole answer.
Deno.test("linkerd StatusTest: a 1xx code answers that status line, then the connection closes", async () => {
  const up = startUpstream("up");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: |
    /svc => /$/inet/127.0.0.1/${up.port};
    /svc/continue => /$/io.buoyant.http.status/100;
    /svc/switching => /$/io.buoyant.http.status/101;
    /svc/hints => /$/io.buoyant.http.status/103;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const port = sy.ports["http"]![0]!;
  try {
    for (
      const [host, line] of [
        ["continue", "HTTP/1.1 100 Continue"],
        ["switching", "HTTP/1.1 101 Switching Protocols"],
        ["hints", "HTTP/1.1 103 Early Hints"],
      ]
    ) {
      // Pipelined: the second request is never answered, the connection closes after the 1xx.
      const got = await rawExchange(
        port,
        `GET /a HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /b HTTP/1.1\r\nHost: up\r\n\r\n`,
      );
      const [head, rest] = got.split("\r\n\r\n");
      const lines = head!.split("\r\n");
      assertEquals(lines[0], line, host);
      const fields = lines.slice(1).map((l) => l.toLowerCase());
      assert(fields.includes("via: 1.1 linkerd"), host);
      assert(!fields.some((f) => f.startsWith("content-length")), `${host}: ${head}`);
      assertEquals(rest, "", `${host}: nothing follows the 1xx head`);
    }
    assertEquals(up.seen.length, 0, "no upstream is asked");
    // The router goes on serving new connections.
    const r = await curl(["-H", "Host: up", `http://${sy.proxy()}/c`]);
    assertEquals(r.status, 200);
  } finally {
    await sy.stop();
    await up.close();
  }
});
