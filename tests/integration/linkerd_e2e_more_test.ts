/**
 * More scenarios ported from Linkerd 1.x's own tests (unit tests of its HTTP filters and its
 * end-to-end tests), run against the real process. Each test names the Linkerd test it follows.
 */
import { assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

const enc = new TextEncoder();

// Max-Forwards is read as Java's Integer.parseInt reads it: a sign is allowed, over 32 bits is
// 400, and a negative count passes through.
Deno.test("linkerd DiagnosticTracerTest: Max-Forwards parsed as Java's toInt", async () => {
  const dog = startUpstream(
    "dog",
    (req) => new Response(`max-forwards=${req.headers.get("max-forwards")}`),
  );
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/dog => /$/inet/127.0.0.1/${dog.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const trace = async (maxForwards: string, addContext = false) => {
    const ctx = addContext ? ["-H", "l5d-add-context: true"] : [];
    const r = await curl([
      ...["-X", "TRACE", "-H", "Host: dog", "-H", `Max-Forwards: ${maxForwards}`, ...ctx],
      `http://${sy.proxy()}/`,
    ]);
    return [r.status, r.body.split("\n")[0]];
  };
  try {
    // 'returns bad request response when unparsable Max-Forwards header is sent'.
    assertEquals(await trace("31qe", true), [400, "Invalid value for Max-Forwards header"]);
    assertEquals(await trace("31qe"), [400, "Invalid value for Max-Forwards header"]);
    // Integer.parseInt overflows past 2^31-1: NumberFormatException, the same 400.
    assertEquals(await trace("2147483648"), [400, "Invalid value for Max-Forwards header"]);
    assertEquals(await trace("99999999999"), [400, "Invalid value for Max-Forwards header"]);
    // A leading '+' parses: decremented and forwarded.
    assertEquals(await trace("+2"), [200, "max-forwards=1"]);
    assertEquals(await trace("2147483647"), [200, "max-forwards=2147483646"]);
    // A negative count is no case of DiagnosticTracer's: forwarded unchanged, no context added.
    assertEquals(await trace("-1"), [200, "max-forwards=-1"]);
    const r = await curl([
      ...["-X", "TRACE", "-H", "Host: dog", "-H", "Max-Forwards: -1"],
      ...["-H", "l5d-add-context: true", `http://${sy.proxy()}/`],
    ]);
    assertEquals([r.status, r.body], [200, "max-forwards=-1"]);
  } finally {
    await sy.stop();
    await dog.close();
  }
});

// The Via this hop appends to an answer names the answer's version: an HTTP/1.0 upstream's
// answer gets "1.0 linkerd" whatever the request's version, an HTTP/1.1 one "1.1 linkerd",
// after any Via the upstream sent.
Deno.test("linkerd ViaHeaderAppenderFilterTest: Via on a response names its version", async () => {
  const http10 = rawUpstream(async (_head, c) => {
    await c.write(enc.encode("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    return false;
  });
  const http11 = rawUpstream(async (_head, c) => {
    await c.write(
      enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVia: 1.0 bob, 1.1 mary\r\n\r\nok"),
    );
    return true;
  });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /svc/old => /$/inet/127.0.0.1/${http10.port};
    /svc/new => /$/inet/127.0.0.1/${http11.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const via = async (host: string, http10Request: boolean) => {
    const v = http10Request ? ["-0"] : [];
    const r = await curl([...v, "-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
    assertEquals(r.status, 200, host);
    return r.headers.get("via");
  };
  try {
    // 'adds via header to the HTTP 1.0 response if none exists'
    assertEquals(await via("old", true), "1.0 linkerd");
    assertEquals(await via("old", false), "1.0 linkerd");
    // 'appends via header to the response if one already exists'
    assertEquals(await via("new", false), "1.0 bob, 1.1 mary, 1.1 linkerd");
    assertEquals(await via("new", true), "1.0 bob, 1.1 mary, 1.1 linkerd");
  } finally {
    await sy.stop();
    await http10.close();
    await http11.close();
  }
});
