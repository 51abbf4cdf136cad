/**
 * Tests of the fast `Request` construction (`_request_internals.ts` through `buildRequest`):
 * every property and behaviour of a fast request against one built by the public constructor
 * (the forced fallback), the fallback switch, and the fast requests through the real raw server.
 *
 * Also holds the construction microbenchmarks (ignored by `deno test`):
 *
 * ```sh
 * npx deno bench -A router/http/raw/_request_internals_test.ts
 * ```
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "../../../tests/support/assert.ts";
import { eventually, startUpstream } from "../../../tests/support/upstream.ts";
import { fastRequestsAvailable, setFastRequests } from "./_request_internals.ts";
import { start } from "./_test_util.ts";
import { buildRequest } from "./build_request.ts";
import { parseRequestHead, type RequestHead } from "./request_head.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const LIMITS = { maxLineBytes: 8192, maxHeaders: 100 };
const HOST_DEFAULT = "localhost:4140";

/** Parse a head written with `\n` line ends. */
function head(text: string): RequestHead {
  const b = enc.encode(text.replaceAll("\n", "\r\n") + "\r\n");
  return parseRequestHead(b, 0, b.length, LIMITS);
}

/** A fresh body stream of `chunks`. */
function bodyOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => enc.encode(c)));
}

/** Build with the fast path on (`fast`) or forced off. */
function build(
  fast: boolean,
  text: string,
  body: ReadableStream<Uint8Array> | null = null,
  signal = new AbortController().signal,
): Request {
  const was = setFastRequests(fast);
  try {
    return buildRequest(head(text), body, signal, HOST_DEFAULT);
  } finally {
    setFastRequests(was);
  }
}

/** The same head built both ways: [fast, slow]. */
function both(
  text: string,
  body: () => ReadableStream<Uint8Array> | null = () => null,
): [Request, Request] {
  return [build(true, text, body()), build(false, text, body())];
}

/** Every plain getter of a request, for comparison. */
function props(r: Request): unknown[] {
  return [
    r.method,
    r.url,
    r.redirect,
    r.cache,
    r.credentials,
    r.integrity,
    r.keepalive,
    r.mode,
    r.referrer,
    r.referrerPolicy,
    r.bodyUsed,
    r.body === null,
    [...r.headers],
    r.headers.getSetCookie(),
    Object.prototype.toString.call(r),
  ];
}

const POST = "POST /up?x=1 HTTP/1.1\nHost: svc\nContent-Length: 5\nX-A: 1\nx-a: 2\n" +
  "Set-Cookie: a=1\nSet-Cookie: b=2\nContent-Type: text/plain\n";

Deno.test("fastRequestsAvailable() is true on this Deno (the load-time self-test passes)", () => {
  assert(fastRequestsAvailable(), `self-test failed on Deno ${Deno.version.deno}`);
});

Deno.test("buildRequest() fast requests are real Requests equal to new Request() ones", () => {
  const heads = [
    "GET /p?q=1#f HTTP/1.1\nHost: svc\nAccept: */*\n",
    "GET /a/../b/%7e?x=%20 HTTP/1.1\nHost: SVC:8080\n",
    "GET http://hello/p HTTP/1.1\nHost: other\n",
    "GET /nohost HTTP/1.0\n",
    "OPTIONS * HTTP/1.1\nHost: svc\n",
    "DELETE /d HTTP/1.1\nHost: svc\n",
    "HEAD / HTTP/1.1\nHost: svc\n",
  ];
  for (const h of heads) {
    const [fast, slow] = both(h);
    assert(fast instanceof Request, h);
    assertEquals(props(fast), props(slow), h);
    // The WebIDL brand checks of every prototype getter accept it.
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(Request.prototype))) {
      if (d.get !== undefined) d.get.call(fast);
      else assert(k === "constructor" || typeof d.value === "function", k);
    }
  }
  assertEquals(build(true, heads[3] ?? "").url, "http://localhost:4140/nohost");
});

Deno.test("buildRequest() fast headers: lower-case names, repeats apart, same view as new Request()", () => {
  const [fast, slow] = both(POST, () => bodyOf("hello"));
  assertEquals([...fast.headers], [...slow.headers]);
  assertEquals(fast.headers.get("x-a"), "1, 2");
  assertEquals(fast.headers.get("X-A"), slow.headers.get("X-A"));
  assertEquals(fast.headers.get("host"), "svc");
  assertEquals(fast.headers.getSetCookie(), ["a=1", "b=2"]);
  assert(fast.headers.has("content-type") && !fast.headers.has("x-none"));
  const h = head(POST);
  buildRequest(h, bodyOf("hello"), new AbortController().signal, HOST_DEFAULT);
  assertEquals(h.headers.map(([k]) => k), [
    "host",
    "content-length",
    "x-a",
    "x-a",
    "set-cookie",
    "set-cookie",
    "content-type",
  ]);
});

Deno.test("buildRequest() fast headers are immutable, as Deno.serve's are", async () => {
  const fast = build(true, "GET / HTTP/1.1\nHost: svc\n");
  let served = "";
  const up = startUpstream("guard", (req) => {
    try {
      req.headers.set("x-b", "1");
      served = "mutable";
    } catch (e) {
      served = e instanceof TypeError ? "immutable" : String(e);
    }
    return new Response("ok");
  });
  try {
    await (await fetch(`http://127.0.0.1:${up.port}/`)).text();
  } finally {
    await up.close();
  }
  let ours = "mutable";
  try {
    fast.headers.set("x-b", "1");
  } catch (e) {
    ours = e instanceof TypeError ? "immutable" : String(e);
  }
  assertEquals(ours, served);
  assertEquals(served, "immutable");
  // The fallback keeps new Request()'s mutable headers.
  const slow = build(false, "GET / HTTP/1.1\nHost: svc\n");
  slow.headers.set("x-b", "1");
  assertEquals(slow.headers.get("x-b"), "1");
});

Deno.test("buildRequest() fast body: the stream itself, read by text(), arrayBuffer(), bytes(), json()", async () => {
  const stream = bodyOf("hel", "lo");
  const fast = build(true, POST, stream);
  assert(fast.body === stream, "req.body is the engine's stream");
  assert(!fast.bodyUsed);
  assertEquals(await fast.text(), "hello");
  assert(fast.bodyUsed);
  await assertRejects(() => fast.text());
  for (const read of ["text", "arrayBuffer", "bytes", "json", "blob"] as const) {
    const [f, s] = both(POST, () => bodyOf('{"a":', "1}"));
    const a = await f[read]();
    const b = await s[read]();
    const norm = (x: unknown) =>
      x instanceof ArrayBuffer || x instanceof Uint8Array ? dec.decode(x) : JSON.stringify(x);
    if (read === "blob") {
      assertEquals(await (a as Blob).text(), await (b as Blob).text(), read);
    } else assertEquals(norm(a), norm(b), read);
    assertEquals(f.bodyUsed, s.bodyUsed, read);
  }
  const [gf, gs] = both("GET / HTTP/1.1\nHost: svc\n");
  assertEquals([gf.body, gf.bodyUsed, await gf.text()], [gs.body, gs.bodyUsed, await gs.text()]);
});

Deno.test("buildRequest() fast body: reading req.body by hand and piping into new Response()", async () => {
  const [f, s] = both(POST, () => bodyOf("a", "b", "c"));
  const chunks: string[] = [];
  for await (const c of f.body ?? bodyOf()) chunks.push(dec.decode(c));
  assertEquals(chunks, ["a", "b", "c"]);
  assert(f.bodyUsed, "bodyUsed after reading req.body");
  const [f2, s2] = both(POST, () => bodyOf("pi", "ped"));
  assertEquals(await new Response(f2.body).text(), await new Response(s2.body).text());
  await assertRejects(() => new Response(f2.body).text());
  await assertRejects(() => new Response(s2.body).text());
  await s.body?.cancel();
});

Deno.test("buildRequest() fast requests: clone() and new Request(req, init) work as on new Request()", async () => {
  const [f, s] = both(POST, () => bodyOf("hello"));
  const fc = f.clone(), sc = s.clone();
  assertEquals(props(fc), props(sc));
  assertEquals([await fc.text(), await f.text()], [await sc.text(), await s.text()]);
  assertEquals(await fc.text().catch(() => "used"), "used");
  assert(!fc.signal.aborted);

  const [f2, s2] = both(POST, () => bodyOf("again"));
  const init = { method: "PUT", headers: { "x-n": "1" } };
  const fn = new Request(f2, init), sn = new Request(s2, init);
  assertEquals(props(fn), props(sn));
  assertEquals(fn.method, "PUT");
  assertEquals(await fn.text(), "again");
  assertEquals(await sn.text(), "again");
  assertEquals([f2.bodyUsed, s2.bodyUsed], [true, true]);
  await assertRejects(() => new Request(f2));
  // Rebuilt requests have mutable headers (guard "request"), as from Deno.serve's.
  const [f3] = both("GET / HTTP/1.1\nHost: svc\n");
  const r3 = new Request(f3);
  r3.headers.set("x-m", "1");
  assertEquals([r3.headers.get("x-m"), f3.headers.get("x-m")], ["1", null]);
  assertEquals(new Request("http://up/", f3).headers.get("host"), "svc");
});

Deno.test("buildRequest() fast req.signal is the engine's signal and aborts with it", () => {
  const ac = new AbortController();
  const fast = build(true, "GET / HTTP/1.1\nHost: svc\n", null, ac.signal);
  const sac = new AbortController();
  const slow = build(false, "GET / HTTP/1.1\nHost: svc\n", null, sac.signal);
  assert(fast.signal === ac.signal, "req.signal is the caller's");
  const clone = fast.clone();
  const derived = new Request(fast);
  let events = 0;
  fast.signal.addEventListener("abort", () => events++);
  assert(!fast.signal.aborted && !slow.signal.aborted);
  ac.abort(new Error("client gone"));
  sac.abort(new Error("client gone"));
  assertEquals([fast.signal.aborted, clone.signal.aborted, derived.signal.aborted], [
    true,
    true,
    true,
  ]);
  assertEquals(slow.signal.aborted, true);
  assertEquals(String(fast.signal.reason), String(slow.signal.reason));
  assertEquals(events, 1);
});

Deno.test("buildRequest() fast CONNECT/TRACE/TRACK carry the real method; the fallback fakes it", () => {
  const cases: [string, string][] = [
    ["CONNECT svc:443 HTTP/1.1\nHost: svc:443\n", "http://svc:443/"],
    ["TRACE /t HTTP/1.1\nHost: svc\n", "http://svc/t"],
    ["TRACK /t HTTP/1.1\nHost: svc\n", "http://svc/t"],
  ];
  for (const [text, url] of cases) {
    const method = text.split(" ")[0] ?? "";
    const [f, s] = both(text);
    assertEquals([f.method, f.url], [method, url]);
    assertEquals([s.method, s.url], [method, url]);
    assert(!Object.hasOwn(f, "method"), "fast: the real inner method, no own property");
    assert(Object.hasOwn(s, "method"), "fallback: own method property over GET");
    assertEquals(f.clone().method, method);
    assertEquals(new Request(f).method, method);
    assertEquals(s.clone().method, "GET");
  }
});

Deno.test("buildRequest() normalises methods as new Request() does, both ways", () => {
  const cases: [string, string][] = [
    ["get", "GET"],
    ["Post", "POST"],
    ["delete", "DELETE"],
    ["options", "OPTIONS"],
    ["put", "PUT"],
    ["patch", "patch"],
    ["PATCH", "PATCH"],
    ["PROPFIND", "PROPFIND"],
  ];
  for (const [sent, want] of cases) {
    const text = `${sent} / HTTP/1.1\nHost: svc\n`;
    const body = want === "GET" ? null : bodyOf("x");
    const [f, s] = [build(true, text, body), build(false, text, want === "GET" ? null : bodyOf())];
    assertEquals([f.method, s.method], [want, want], sent);
  }
});

Deno.test("buildRequest() throws TypeError for a bad URL, both ways", () => {
  for (const fast of [true, false]) {
    for (
      const text of ["GET / HTTP/1.1\nHost: a:b:c\n", "GET http://[::1/ HTTP/1.1\nHost: svc\n"]
    ) {
      let err: unknown = null;
      try {
        build(fast, text, null);
      } catch (e) {
        err = e;
      }
      assert(err instanceof TypeError, `${fast ? "fast" : "fallback"}: ${text}: ${err}`);
    }
  }
});

Deno.test("buildRequest() carries a GET or HEAD body (a proxy forwards what it was sent), both ways", async () => {
  for (const fast of [true, false]) {
    for (const text of ["GET / HTTP/1.1\nHost: svc\n", "get / HTTP/1.1\nHost: svc\n"]) {
      const r = build(fast, text, bodyOf("x"));
      assertEquals([r.method, await r.text()], ["GET", "x"], `${fast}: ${text}`);
    }
    const head = build(fast, "HEAD / HTTP/1.1\nHost: svc\n", bodyOf("y"));
    assertEquals([head.method, await head.text()], ["HEAD", "y"]);
  }
});

Deno.test("setFastRequests() switches to the new Request() fallback and back", () => {
  const was = setFastRequests(false);
  try {
    assertEquals(was, true);
    const ac = new AbortController();
    const r = buildRequest(head("GET / HTTP/1.1\nHost: svc\n"), null, ac.signal, HOST_DEFAULT);
    assert(r.signal !== ac.signal, "fallback: new Request()'s dependent signal");
    r.headers.set("x-m", "1"); // fallback: mutable headers
    assertEquals(setFastRequests(true), false);
    const f = buildRequest(head("GET / HTTP/1.1\nHost: svc\n"), null, ac.signal, HOST_DEFAULT);
    assert(f.signal === ac.signal, "fast again");
  } finally {
    setFastRequests(was);
  }
});

Deno.test("serveRaw() hands fast requests to the handler: body, headers, forwarding, disconnect", async () => {
  const up = startUpstream("up", async (req) => new Response(`${req.method} ${await req.text()}`));
  let seen: unknown[] = [];
  let aborted = false;
  const srv = start(async (req) => {
    if (req.url.endsWith("/slow")) {
      req.signal.addEventListener("abort", () => aborted = true);
      await new Promise((r) => setTimeout(r, 3000));
      return new Response("late");
    }
    seen = [req instanceof Request, req.headers.get("x-a"), req.url];
    // Forward as the router does: fetch with the incoming body and headers.
    const rsp = await fetch(`http://127.0.0.1:${up.port}/fwd`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      duplex: "half",
    } as RequestInit);
    return new Response(rsp.body, { status: rsp.status });
  });
  try {
    const rsp = await fetch(`http://127.0.0.1:${srv.addr.port}/p?q=1`, {
      method: "POST",
      headers: { "X-A": "1" },
      body: bodyOf("hello ", "world"),
    });
    assertEquals(await rsp.text(), "POST hello world");
    assertEquals(seen, [true, "1", `http://127.0.0.1:${srv.addr.port}/p?q=1`]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.addr.port });
    await conn.write(enc.encode("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
    await new Promise((r) => setTimeout(r, 100));
    conn.close();
    assert(await eventually(() => aborted, 2000), "req.signal never aborted");
  } finally {
    await srv.shutdown();
    await up.close();
  }
});

// ---- microbenchmarks (deno bench only) ----

const BENCH_HEAD = head(
  "GET /hello?x=1 HTTP/1.1\nHost: svc\nUser-Agent: wrk\nAccept: */*\n" +
    "Accept-Encoding: gzip\nConnection: keep-alive\n",
);
const benchSignal = new AbortController().signal;

/** A head with a fresh header list (buildRequest hands the list over). */
function benchHead(): RequestHead {
  return { ...BENCH_HEAD, headers: BENCH_HEAD.headers.map(([k, v]) => [k, v]) };
}

/** The construction buildRequest did before the fast path. */
function oldBuild(h: RequestHead): Request {
  return new Request(`http://${h.host}${h.target}`, {
    method: h.method,
    headers: h.headers,
    signal: benchSignal,
  });
}

function newBuild(h: RequestHead): Request {
  return buildRequest(h, null, benchSignal, HOST_DEFAULT);
}

for (const [name, make] of [["old new Request()", oldBuild], ["new fast", newBuild]] as const) {
  Deno.bench(`${name}: construct`, { group: "construct", baseline: name !== "new fast" }, () => {
    make(benchHead());
  });
  Deno.bench(`${name}: + [...req.headers]`, {
    group: "iterate",
    baseline: name !== "new fast",
  }, () => {
    [...make(benchHead()).headers];
  });
  Deno.bench(`${name}: + req.headers.get("host")`, {
    group: "get",
    baseline: name !== "new fast",
  }, () => {
    make(benchHead()).headers.get("host");
  });
}
Deno.bench("copy of the head's header list (in every case above)", { group: "construct" }, () => {
  benchHead();
});

Deno.test("buildRequest() reuses the last origin-form URL only for the same Host and target", async () => {
  const { requestParts } = await import("./request_parts.ts");
  const urlOf = (text: string) => {
    const req = buildRequest(head(text), null, new AbortController().signal, HOST_DEFAULT);
    return { req, url: requestParts.get(req)!.url };
  };
  const a = urlOf("GET /p?q=1 HTTP/1.1\nHost: svc\n");
  const b = urlOf("GET /p?q=1 HTTP/1.1\nHost: svc\n");
  assert(b.url === a.url, "same Host and target: the parsed URL is reused");
  assertEquals([a.req.url, b.req.url], ["http://svc/p?q=1", "http://svc/p?q=1"]);
  // Another Host, another target, no Host, or another form: a URL of its own.
  const c = urlOf("GET /p?q=1 HTTP/1.1\nHost: other\n");
  assertEquals([c.req.url, c.url.host], ["http://other/p?q=1", "other"]);
  const d = urlOf("GET /p?q=2 HTTP/1.1\nHost: other\n");
  assertEquals([d.req.url, d.url.search], ["http://other/p?q=2", "?q=2"]);
  const e = urlOf("GET /p?q=2 HTTP/1.1\n");
  assertEquals(e.req.url, "http://localhost:4140/p?q=2");
  const f = urlOf("GET http://abs/p?q=2 HTTP/1.1\nHost: localhost:4140\n");
  assertEquals([f.req.url, f.url.host], ["http://abs/p?q=2", "abs"]);
  // The absolute-form request did not replace the cached origin-form URL.
  const g = urlOf("GET /p?q=2 HTTP/1.1\n");
  assert(g.url === e.url);
  assertEquals([a.url.href, c.url.href, d.url.href], [
    "http://svc/p?q=1",
    "http://other/p?q=1",
    "http://other/p?q=2",
  ]);
});
