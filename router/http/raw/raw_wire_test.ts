import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { echo, rawExchange, start, statuses } from "./_test_util.ts";

Deno.test("serveRaw() rejects malformed and smuggling heads with status, l5d-err and close", async () => {
  let calls = 0;
  const srv = start((req) => {
    calls++;
    return echo(req);
  });
  const port = srv.addr.port;
  const cases: [string, number, string][] = [
    [
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
      400,
      "content-length",
    ],
    [
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      400,
      "duplicate",
    ],
    ["GET / HTTP/1.1\nHost: a\n\n", 400, "bare+LF"],
    ["GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n  folded\r\n\r\n", 400, "obs-fold"],
    ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "whitespace"],
    [
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      501,
      "transfer-coding",
    ],
  ];
  for (const [text, want, err] of cases) {
    const r = await rawExchange(port, [text]);
    assertEquals(statuses(r.text), [want], text);
    assertStringIncludes(r.text, "l5d-err: ");
    assertStringIncludes(r.text, err);
    assertStringIncludes(r.text, "connection: close");
    assert(r.closed, `closed after ${JSON.stringify(text)}`);
  }
  assertEquals(calls, 0);
  await srv.shutdown();
});

Deno.test("serveRaw() answers 431 for a huge head and 414 for a huge request line", async () => {
  const srv = start(echo, { maxHeadBytes: 8192, maxLineBytes: 2048 });
  const port = srv.addr.port;
  const big = await rawExchange(port, [
    `GET / HTTP/1.1\r\nHost: a\r\nX: ${"a".repeat(9000)}\r\n\r\n`,
  ]);
  assertEquals(statuses(big.text), [431]);
  assert(big.closed);
  const many = await rawExchange(port, [
    "GET / HTTP/1.1\r\nHost: a\r\n" + "X: 1\r\n".repeat(101) + "\r\n",
  ]);
  assertEquals(statuses(many.text), [431]);
  const line = await rawExchange(port, [`GET /${"a".repeat(3000)} HTTP/1.1\r\nHost: a\r\n\r\n`]);
  assertEquals(statuses(line.text), [414]);
  const lineOnly = await rawExchange(port, [`GET /${"a".repeat(3000)}`]); // no LF yet
  assertEquals(statuses(lineOnly.text), [414]);
  await srv.shutdown();
});

Deno.test("serveRaw() answers three pipelined requests in order on one connection", async () => {
  const srv = start((req) => new Response(new URL(req.url).pathname));
  const r = await rawExchange(srv.addr.port, [
    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  ]);
  assertEquals(statuses(r.text), [200, 200, 200]);
  const bodies = [...r.text.matchAll(/\r\n\r\n(\/\d)/g)].map((m) => m[1]);
  assertEquals(bodies, ["/1", "/2", "/3"]);
  assert(r.closed);
  await srv.shutdown();
});

Deno.test("serveRaw() never answers a smuggled second request hidden in a bad message", async () => {
  let calls = 0;
  const srv = start(() => {
    calls++;
    return new Response("ok");
  });
  const r = await rawExchange(srv.addr.port, [
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
  ]);
  assertEquals(statuses(r.text), [400]);
  assertEquals(calls, 0);
  const bad = await rawExchange(srv.addr.port, [
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
  ]);
  // The handler ran for the POST (the body error is the handler's), never for the smuggled GET.
  assertEquals(statuses(bad.text).length, 1);
  assert(bad.closed);
  assertEquals(calls, 1);
  await srv.shutdown();
});

Deno.test("serveRaw() decodes chunk extensions and drops trailers", async () => {
  const srv = start(echo);
  const r = await rawExchange(
    srv.addr.port,
    [
      "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      "5;name=value;x\r\nhello\r\n",
      '6 ;q="1"\r\n world\r\n0\r\nX-Trailer: t\r\nX-Other: o\r\n\r\n',
    ],
    2000,
    20,
  );
  assertEquals(statuses(r.text), [200]);
  const json = JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4));
  assertEquals(json.body, "hello world");
  assert(!JSON.stringify(json.headers).includes("x-trailer"));
  await srv.shutdown();
});

Deno.test("serveRaw() errors the body stream and closes on an oversized chunk size", async () => {
  let bodyError = "";
  const srv = start(async (req) => {
    try {
      await req.text();
    } catch (e: unknown) {
      bodyError = String(e);
    }
    return new Response("handled", { status: 400 });
  });
  const r = await rawExchange(srv.addr.port, [
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n",
  ]);
  assertEquals(statuses(r.text), [400]);
  assertStringIncludes(bodyError, "overflow");
  assert(r.closed);
  await srv.shutdown();
});

Deno.test("serveRaw() builds req.url like Deno.serve for every target form", async () => {
  const srv = start(echo);
  const port = srv.addr.port;
  const url = async (text: string) => {
    const r = await rawExchange(port, [text]);
    return JSON.parse(r.text.slice(r.text.indexOf("\r\n\r\n") + 4)).url;
  };
  assertEquals(
    await url("GET /p?q=1 HTTP/1.1\r\nHost: svc:81\r\nConnection: close\r\n\r\n"),
    "http://svc:81/p?q=1",
  );
  assertEquals(await url("GET /p HTTP/1.0\r\n\r\n"), `http://localhost:${port}/p`);
  assertEquals(
    await url("GET http://hello/p HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"),
    "http://hello/p",
  );
  assertEquals(
    await url("OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
    "http://h/*",
  );
  await srv.shutdown();
});

Deno.test("serveRaw() keeps HTTP/1.0 connections open only with keep-alive", async () => {
  const srv = start(() => new Response("x"));
  const port = srv.addr.port;
  const ka = await rawExchange(
    port,
    [
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
    ],
    2000,
    100,
  );
  assertEquals(statuses(ka.text), [200, 200]);
  assertStringIncludes(ka.text, "connection: keep-alive");
  assert(ka.closed, "closed after the second (non-keep-alive) request");
  const close = await rawExchange(port, ["GET / HTTP/1.0\r\n\r\n"]);
  assertEquals(statuses(close.text), [200]);
  assert(close.closed);
  await srv.shutdown();
});

Deno.test("serveRaw() frames unknown-length bodies chunked for 1.1 and close-delimited for 1.0", async () => {
  const stream = () =>
    new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(new TextEncoder().encode("part1-"));
        await new Promise((r) => setTimeout(r, 30));
        c.enqueue(new TextEncoder().encode("part2"));
        c.close();
      },
    });
  const srv = start(() => new Response(stream(), { headers: { "set-cookie": "a=1" } }));
  srv.addr;
  const port = srv.addr.port;
  const h11 = await rawExchange(port, ["GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"]);
  assertStringIncludes(h11.text, "transfer-encoding: chunked");
  assertStringIncludes(h11.text, "6\r\npart1-\r\n5\r\npart2\r\n0\r\n\r\n");
  const h10 = await rawExchange(port, ["GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"]);
  assert(!h10.text.includes("transfer-encoding"));
  assertStringIncludes(h10.text, "connection: close");
  assert(h10.text.endsWith("\r\n\r\npart1-part2"));
  assert(h10.closed);
  await srv.shutdown();
});

Deno.test("serveRaw() writes HEAD, 204 and 304 without a body and keeps set-cookie apart", async () => {
  const srv = start((req) => {
    const p = new URL(req.url).pathname;
    if (p === "/204") {
      return new Response(null, { status: 204, headers: { "content-length": "5" } });
    }
    if (p === "/304") return new Response(null, { status: 304 });
    const h = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
    return new Response("body!", { headers: h });
  });
  const r = await rawExchange(srv.addr.port, [
    "HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
  ]);
  assertEquals(statuses(r.text), [200, 204, 304, 200]);
  const noContent = r.text.slice(r.text.indexOf("HTTP/1.1 204"), r.text.indexOf("HTTP/1.1 304"));
  assert(!/content-length/i.test(noContent), `a 204 carries no Content-Length: ${noContent}`);
  assertEquals(r.text.split("body!").length, 2); // only the GET carries it
  assertEquals(r.text.split("set-cookie: a=1\r\nset-cookie: b=2").length, 3);
  assert(/HTTP\/1\.1 200 OK\r\n[^]*date: .* GMT\r\n/.test(r.text));
  await srv.shutdown();
});

Deno.test("serveRaw() answers a throwing handler with 500 and closes", async () => {
  const srv = start(() => {
    throw new Error("boom");
  });
  const r = await rawExchange(srv.addr.port, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assertEquals(statuses(r.text), [500]);
  assertStringIncludes(r.text, "l5d-err: ");
  assert(r.closed);
  await srv.shutdown();
});

Deno.test("serveRaw() writes the headers and body of every kind of Response", async () => {
  const kinds: Record<string, () => Response> = {
    "/text": () => new Response("héllo"),
    "/json": () => Response.json({ a: 1 }),
    "/bytes": () => new Response(new Uint8Array([104, 105])),
    "/typed": () => new Response("t", { headers: { "content-type": "text/csv" } }),
    "/status": () => new Response("nf", { status: 404, headers: [["X-B", "2"]] }),
    "/touched": () => {
      const r = new Response("x");
      r.headers.set("x-a", "1");
      return r;
    },
    "/stream": () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode("from a stream"));
            c.close();
          },
        }),
      ),
    "/blob": () => new Response(new Blob(["async source"]).stream()),
    "/cl": () =>
      new Response(new Blob(["0123456789"]).stream(), { headers: { "content-length": "10" } }),
  };
  const srv = start((req) => kinds[new URL(req.url).pathname]!());
  const get = async (path: string) => {
    const r = await rawExchange(srv.addr.port, [
      `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    ]);
    const i = r.text.indexOf("\r\n\r\n");
    return { head: r.text.slice(0, i).toLowerCase(), body: r.text.slice(i + 4) };
  };
  const text = await get("/text");
  assertStringIncludes(text.head, "content-type: text/plain;charset=utf-8");
  assertStringIncludes(text.head, "content-length: 6");
  assertEquals(text.body, "h\u00c3\u00a9llo"); // UTF-8 bytes, read back as Latin-1
  const json = await get("/json");
  assertStringIncludes(json.head, "content-type: application/json");
  assertEquals(json.body, '{"a":1}');
  assertEquals((await get("/bytes")).body, "hi");
  assertStringIncludes((await get("/typed")).head, "content-type: text/csv");
  const st = await get("/status");
  assert(st.head.startsWith("http/1.1 404 not found"));
  assertStringIncludes(st.head, "x-b: 2");
  assertEquals(st.body, "nf");
  const touched = await get("/touched");
  assertStringIncludes(touched.head, "x-a: 1");
  assertEquals(touched.body, "x");
  const stream = await get("/stream");
  assertEquals(stream.body, "from a stream");
  assertStringIncludes(stream.head, "content-length: 13");
  const blob = await get("/blob"); // the end is not known after the first chunk: chunked
  assertStringIncludes(blob.head, "transfer-encoding: chunked");
  assertEquals(blob.body, "c\r\nasync source\r\n0\r\n\r\n");
  const cl = await get("/cl");
  assertEquals(cl.body, "0123456789");
  assertStringIncludes(cl.head, "content-length: 10");
  await srv.shutdown();
});
