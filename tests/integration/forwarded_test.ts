/**
 * Black-box tests of the server options `addForwardedHeader` (RFC 7239) and `timestampHeader`:
 * the real process, real curl over loopback, the headers read back from a real upstream.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream, type Upstream } from "../support/upstream.ts";

/** One router per labeler combination, all routing `/svc/up` to the same upstream. */
function config(rootDir: string): string {
  const router = (label: string, server: string) => `
- protocol: http
  label: ${label}
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - {ip: 127.0.0.1, port: 0, ${server}}`;
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${rootDir}
routers:${
    router(
      "addr",
      "addForwardedHeader: {by: {kind: 'ip:port'}, for: {kind: ip}}, timestampHeader: X-Request-Start",
    )
  }${
    router(
      "static",
      "addForwardedHeader: {by: {kind: static, label: edge-1}, for: {kind: 'ip:port'}}",
    )
  }${router("conn", "addForwardedHeader: {by: {kind: router}, for: {kind: connectionRandom}}")}${
    router(
      "connserve",
      "engine: serve, addForwardedHeader: {by: {kind: ip}, for: {kind: connectionRandom}}",
    )
  }${router("random", "addForwardedHeader: {}")}${router("plain", "clearContext: false")}
`;
}

/** Linkerd's ObfuscatedRandom label: `_` + 6 letters and digits (protocol-http.md: `_6Oq8jJ`). */
const RANDOM = /^_[A-Za-z0-9]{6}$/;

/** `by=…;for=…;host=…;proto=…` → its pairs. */
function pairs(element: string): Record<string, string> {
  return Object.fromEntries(element.split(";").map((p) => p.split(/=(.*)/s).slice(0, 2)));
}

/** Send `urls` over one curl invocation (one keep-alive connection) and return what arrived. */
async function send(up: Upstream, urls: string[], headers: string[] = []) {
  up.seen.length = 0;
  const r = await curl([...headers.flatMap((h) => ["-H", h]), "-H", "Host: up", ...urls]);
  assertEquals(r.status, 200, r.body);
  assertEquals(up.seen.length, urls.length);
  return up.seen.map((s) => s.headers);
}

Deno.test("forwarded: addForwardedHeader labels by/for, keeps an inbound Forwarded; timestampHeader", async () => {
  const up = startUpstream("up");
  const dir = await fsNamerDir({ up: up.fsLine, "up:8080": up.fsLine });
  const sy = await startSwitchyard(config(dir));
  const url = (label: string, path = "/") => `http://127.0.0.1:${sy.ports[label]![0]}${path}`;
  try {
    // ip:port for by (the listener), ip for for (the client), host; the timestamp. No proto
    // for an origin-form target (Linkerd's AddForwardedHeaderTest: `by=_http;for=8.8.8.8`).
    const before = Date.now();
    const [a] = await send(up, [url("addr")]);
    const p = pairs(a!.forwarded!);
    assertEquals(p, {
      by: `"127.0.0.1:${sy.ports.addr![0]}"`,
      for: "127.0.0.1",
      host: "up",
    });
    // An absolute-form target (an http_proxy client): proto is its scheme ("supports forwarding
    // proto"), host the Host as sent, not quoted.
    up.seen.length = 0;
    const viaProxy = await curl(["-x", `http://127.0.0.1:${sy.ports.addr![0]}`, "http://up:8080/"]);
    assertEquals(viaProxy.status, 200, viaProxy.body);
    assertEquals(pairs(up.seen[0]!.headers.forwarded!), {
      by: `"127.0.0.1:${sy.ports.addr![0]}"`,
      for: "127.0.0.1",
      host: "up:8080",
      proto: "http",
    });
    const ts = Number(a!["x-request-start"]);
    assert(Number.isInteger(ts) && ts >= before - 1000 && ts <= Date.now() + 1000, `ts ${ts}`);

    // static (obfuscated `_label`) for by, quoted "ip:port" of the client for for.
    const [s] = await send(up, [url("static")]);
    const sp = pairs(s!.forwarded!);
    assertEquals(sp.by, "_edge-1");
    assert(/^"127\.0\.0\.1:\d+"$/.test(sp.for!), sp.for);
    assertEquals(s!["x-request-start"], undefined, "timestampHeader is per server");

    // An inbound Forwarded is kept; ours follows it as the next element.
    const inbound = "for=192.0.2.60;proto=https;by=203.0.113.43";
    const [k] = await send(up, [url("addr")], [`Forwarded: ${inbound}`]);
    const elements = k!.forwarded!.split(", ");
    assertEquals(elements.length, 2, k!.forwarded);
    assertEquals(elements[0], inbound);
    assertEquals(pairs(elements[1]!).for, "127.0.0.1");

    // connectionRandom: one label per connection, on both engines; router → `_<label>`.
    for (const label of ["conn", "connserve"]) {
      const [c1, c2] = await send(up, [url(label, "/1"), url(label, "/2")]);
      const [c3] = await send(up, [url(label, "/3")]);
      const f1 = pairs(c1!.forwarded!), f2 = pairs(c2!.forwarded!), f3 = pairs(c3!.forwarded!);
      assert(RANDOM.test(f1.for!), `${label}: ${f1.for}`);
      assertEquals(f2.for, f1.for, `${label}: same connection, same label`);
      assert(f3.for !== f1.for, `${label}: a new connection gets a new label`);
      assertEquals(f1.by, label === "conn" ? "_conn" : "127.0.0.1");
    }

    // requestRandom (the default for both): a new label on every request of one connection.
    const [r1, r2] = await send(up, [url("random", "/1"), url("random", "/2")]);
    const q1 = pairs(r1!.forwarded!), q2 = pairs(r2!.forwarded!);
    for (const v of [q1.by, q1.for, q2.by, q2.for]) assert(RANDOM.test(v!), v);
    assert(q1.for !== q2.for && q1.by !== q2.by, "requestRandom differs per request");

    // Neither option: no Forwarded, no timestamp (an inbound Forwarded passes untouched).
    const [n] = await send(up, [url("plain")], [`Forwarded: ${inbound}`]);
    assertEquals(n!.forwarded, inbound);
    assertEquals(n!["x-request-start"], undefined);
  } finally {
    await sy.stop();
    await up.close();
  }
});
