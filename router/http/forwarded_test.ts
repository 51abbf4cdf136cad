import { assert, assertEquals } from "../../tests/support/assert.ts";
import {
  ForwardedHeader,
  type ForwardedOptions,
  ipLabel,
  ipPortLabel,
  obfuscatedLabel,
  serverHeaders,
} from "./forwarded.ts";
import { Ctx } from "../core/ctx.ts";
import { upstreamHeaders } from "./forward.ts";
import { requestParts } from "./raw/request_parts.ts";

const local: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 4140 };
const opts: ForwardedOptions = { router: "outgoing", local, stableConnInfo: true };
/** Linkerd's ObfuscatedRandom: `_` + `rng.alphanumeric.take(6)` (protocol-http.md: `_6Oq8jJ`). */
const RANDOM = /^_[A-Za-z0-9]{6}$/;

function info(hostname = "10.0.0.7", port = 51000): { remoteAddr: Deno.NetAddr } {
  return { remoteAddr: { transport: "tcp", hostname, port } };
}

function parse(v: string): Record<string, string> {
  return Object.fromEntries(v.split(";").map((p) => p.split(/=(.*)/s).slice(0, 2)));
}

function newCtx(host = "hello"): Ctx {
  return new Ctx({
    url: new URL(`http://${host}/x`),
    router: "outgoing",
    signal: new AbortController().signal,
    startMs: 1_700_000_000_123,
    host,
    target: "/x",
  });
}

Deno.test("ipLabel() leaves IPv4 bare, quotes and brackets IPv6, hides wildcards", () => {
  assertEquals(ipLabel("192.0.2.43"), "192.0.2.43");
  assertEquals(ipLabel("::1"), '"[::1]"');
  assertEquals(ipLabel("2001:db8:cafe::17"), '"[2001:db8:cafe::17]"');
  assertEquals(ipLabel("0.0.0.0"), "unknown");
  assertEquals(ipLabel("::"), "unknown");
});

Deno.test("ipPortLabel() always quotes ip:port, brackets IPv6", () => {
  assertEquals(ipPortLabel("192.0.2.43", 8080), '"192.0.2.43:8080"');
  assertEquals(ipPortLabel("::1", 4140), '"[::1]:4140"');
  assertEquals(ipPortLabel("0.0.0.0", 4140), "unknown");
});

Deno.test("obfuscatedLabel() prefixes _ unless present, quotes non-obfnode characters", () => {
  assertEquals(obfuscatedLabel("edge"), "_edge");
  assertEquals(obfuscatedLabel("_edge"), "_edge");
  assertEquals(obfuscatedLabel("my router"), '"_my router"');
});

// Linkerd's AddForwardedHeaderTest: "creates a Forwarded header where none existed"
// (`by=_http;for=8.8.8.8`, no proto), "supports forwarding host" (`host=buoyant.pizza`) and
// "supports forwarding proto" (`proto=https` from the absolute URI `https://buoyant.pizza/`).
Deno.test("ForwardedHeader.value() formats by, for, host (as sent) and proto (absolute-form only)", () => {
  const f = new ForwardedHeader({ by: { kind: "ip:port" }, for: { kind: "ip" } }, opts);
  assertEquals(f.value("hello", info()), 'by="127.0.0.1:4140";for=10.0.0.7;host=hello');
  assertEquals(
    f.value("hello:7777", info("::1", 9)),
    'by="127.0.0.1:4140";for="[::1]";host=hello:7777',
  );
  assertEquals(f.value("", info()), 'by="127.0.0.1:4140";for=10.0.0.7');
  assertEquals(f.value("", info(), "https"), 'by="127.0.0.1:4140";for=10.0.0.7;proto=https');
  const r = new ForwardedHeader({ by: { kind: "router" }, for: { kind: "ip:port" } }, opts);
  assertEquals(
    r.value("h", info("::1", 9), "http"),
    'by=_outgoing;for="[::1]:9";host=h;proto=http',
  );
  const st = new ForwardedHeader({
    by: { kind: "static", label: "edge-1" },
    for: { kind: "static", label: "_x" },
  }, opts);
  assertEquals(st.value("h", info()), "by=_edge-1;for=_x;host=h");
  // H2AddForwardedHeader: `authority=` instead of `host=`.
  const h2 = new ForwardedHeader({ by: { kind: "ip" }, for: { kind: "ip" } }, {
    ...opts,
    h2: true,
  });
  assertEquals(
    h2.value("web:80", info(), "http"),
    "by=127.0.0.1;for=10.0.0.7;authority=web:80;proto=http",
  );
});

Deno.test("serverHeaders() gives proto only for an absolute-form target (raw engine) or h2", () => {
  const add = serverHeaders({
    ...opts,
    addForwardedHeader: { by: { kind: "static", label: "l5d" }, for: { kind: "ip" } },
  })!;
  const withParts = (url: string, extra: Record<string, unknown>) => {
    const req = new Request(url);
    requestParts.set(req, { url: new URL(url), headers: [], ...extra });
    const ctx = newCtx();
    ctx.headerSource = req;
    add(ctx, info());
    return ctx.addHeaders![0]![1];
  };
  assertEquals(withParts("http://hello/x", { absolute: false }), "by=_l5d;for=10.0.0.7;host=hello");
  assertEquals(
    withParts("http://hello/x", { absolute: true }),
    "by=_l5d;for=10.0.0.7;host=hello;proto=http",
  );
  assertEquals(
    withParts("https://hello/x", { major: 2 }),
    "by=_l5d;for=10.0.0.7;host=hello;proto=https",
  );
});

Deno.test("ForwardedHeader.value() labels a wildcard listener unknown", () => {
  const f = new ForwardedHeader({ by: { kind: "ip" }, for: { kind: "ip" } }, {
    ...opts,
    local: { transport: "tcp", hostname: "0.0.0.0", port: 4140 },
  });
  assertEquals(parse(f.value("h", info())).by, "unknown");
});

Deno.test("ForwardedHeader.value() draws requestRandom anew for each request", () => {
  const f = new ForwardedHeader(
    { by: { kind: "requestRandom" }, for: { kind: "requestRandom" } },
    opts,
  );
  const i = info();
  const seen = new Set<string>();
  for (let n = 0; n < 200; n++) {
    const p = parse(f.value("h", i));
    assert(RANDOM.test(p.by!) && RANDOM.test(p.for!), `${p.by} ${p.for}`);
    seen.add(p.for!);
  }
  assertEquals(seen.size, 200);
});

Deno.test("ForwardedHeader.value() keeps connectionRandom for one connection (raw engine)", () => {
  const f = new ForwardedHeader({
    by: { kind: "connectionRandom" },
    for: { kind: "connectionRandom" },
  }, opts);
  const a = info(), b = info(); // same address, distinct connections: the info object decides
  const a1 = parse(f.value("h", a)), a2 = parse(f.value("h", a)), b1 = parse(f.value("h", b));
  assert(RANDOM.test(a1.for!) && RANDOM.test(a1.by!));
  assertEquals(a2, a1);
  assert(a1.for !== b1.for && a1.by !== b1.by);
  assert(a1.by !== a1.for, "by and for are drawn separately");
});

Deno.test("ForwardedHeader.value() keys connections by remote ip:port (serve engine)", () => {
  const f = new ForwardedHeader({ by: { kind: "ip" }, for: { kind: "connectionRandom" } }, {
    ...opts,
    stableConnInfo: false,
  });
  const x = parse(f.value("h", info("10.0.0.7", 1))).for;
  assertEquals(parse(f.value("h", info("10.0.0.7", 1))).for, x);
  assert(parse(f.value("h", info("10.0.0.7", 2))).for !== x);
  // Bounded: thousands of connections later the map has forgotten the first one.
  for (let p = 3; p < 5000; p++) f.value("h", info("10.0.0.8", p));
  assert(parse(f.value("h", info("10.0.0.7", 1))).for !== x);
});

Deno.test("serverHeaders() is null without either option", () => {
  assertEquals(serverHeaders(opts), null);
  assertEquals(
    serverHeaders({ ...opts, addForwardedHeader: undefined, timestampHeader: undefined }),
    null,
  );
});

Deno.test("serverHeaders() puts Forwarded and the arrival time on ctx.addHeaders", () => {
  const add = serverHeaders({
    ...opts,
    addForwardedHeader: { by: { kind: "static", label: "l5d" }, for: { kind: "ip" } },
    timestampHeader: "X-Request-Start",
  })!;
  const ctx = newCtx();
  add(ctx, info());
  assertEquals(ctx.addHeaders, [
    ["forwarded", "by=_l5d;for=10.0.0.7;host=hello"],
    ["x-request-start", "1700000000123"],
  ]);
  const onlyTs = serverHeaders({ ...opts, timestampHeader: "ts" })!;
  const c2 = newCtx();
  onlyTs(c2, info());
  assertEquals(c2.addHeaders, [["ts", "1700000000123"]]);
});

Deno.test("upstreamHeaders() appends ctx.addHeaders after an inbound Forwarded", () => {
  const req = new Request("http://hello/x", {
    headers: { forwarded: "for=192.0.2.60;proto=http", "x-a": "1" },
  });
  const ctx = newCtx();
  ctx.addHeaders = [["forwarded", "by=_l5d;for=10.0.0.7"], ["ts", "1"]];
  const out = upstreamHeaders(req, ctx);
  assertEquals(out.filter((e) => e[0] === "forwarded").map((e) => e[1]), [
    "for=192.0.2.60;proto=http",
    "by=_l5d;for=10.0.0.7",
  ]);
  assertEquals(out.at(-1), ["ts", "1"]);
  assertEquals(upstreamHeaders(req, newCtx()).filter((e) => e[0] === "forwarded").length, 1);
});
