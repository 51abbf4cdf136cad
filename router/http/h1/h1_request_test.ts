import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { BadRequest, UpstreamError } from "../../core/errors.ts";
import { createH1Client, type H1Request } from "./h1_client.ts";
import { headText, prepareRequest } from "./_request.ts";
import {
  assertInstanceOf,
  type RawRequest,
  type RawServer,
  rawServer,
  readAll,
  RequestReader,
  utf8,
  writeAll,
} from "./_test_util.ts";

const HOST = "127.0.0.1";
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** A raw server that records each request and answers 200 "ok". */
function recorder(seen: RawRequest[]): RawServer {
  return rawServer(async (conn) => {
    const r = new RequestReader(conn);
    for (let req = await r.read(); req; req = await r.read()) {
      seen.push(req);
      await writeAll(conn, OK);
    }
  });
}

async function send(req: H1Request): Promise<RawRequest> {
  const seen: RawRequest[] = [];
  const srv = recorder(seen);
  const client = createH1Client();
  try {
    assertEquals(await (await client.request(HOST, srv.port, req)).text(), "ok");
    assertEquals(seen.length, 1);
    return seen[0] as RawRequest;
  } finally {
    await client.close();
    await srv.close();
  }
}

function streamOf(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      const p = parts[i++];
      if (p === undefined) c.close();
      else c.enqueue(p);
    },
  }, { highWaterMark: 0 });
}

Deno.test("request() frames a byte body with content-length in one write with the head", async () => {
  const req = await send({
    method: "POST",
    target: "/p?q=1",
    headers: [["Host", "t.svc"], ["X-A", "1"]],
    body: utf8("hello"),
  });
  assertEquals(
    req.head,
    "POST /p?q=1 HTTP/1.1\r\nHost: t.svc\r\nX-A: 1\r\ncontent-length: 5\r\n\r\n",
  );
  assertEquals(new TextDecoder().decode(req.body), "hello");
});

Deno.test("request() sends a large byte body intact", async () => {
  const body = new Uint8Array(300_000).map((_, i) => i % 251);
  const req = await send({ method: "PUT", target: "/", headers: [["host", "t"]], body });
  assertEquals(req.fields.find(([k]) => k === "content-length")?.[1], "300000");
  assertEquals(req.body, body);
});

Deno.test("request() frames a stream of unknown length as chunked, skipping empty chunks", async () => {
  const parts = [
    utf8("a"),
    new Uint8Array(0),
    new Uint8Array(40_000).fill(98),
    utf8("c"),
    new Uint8Array(20_000).fill(100),
  ];
  const req = await send({
    method: "POST",
    target: "/",
    headers: [["host", "t"]],
    body: streamOf(parts),
  });
  assertEquals(req.fields.find(([k]) => k === "transfer-encoding")?.[1], "chunked");
  assertEquals(req.body.length, 60_002);
  assertEquals([req.body[0], req.body[1], req.body[40_001], req.body[60_001]], [97, 98, 99, 100]);
});

Deno.test("request() sends a stream with the caller's content-length and no chunking", async () => {
  const req = await send({
    method: "POST",
    target: "/",
    headers: [["host", "t"], ["content-length", "6"], ["transfer-encoding", "chunked"]],
    body: streamOf([utf8("abc"), utf8("def")]),
  });
  assertEquals(req.head, "POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 6\r\n\r\n");
  assertEquals(new TextDecoder().decode(req.body), "abcdef");
});

Deno.test("request() fails when a stream breaks its declared content-length", async () => {
  for (const parts of [[utf8("abcdefg")], [utf8("ab")]]) {
    const srv = rawServer(async (conn) => {
      await readAll(conn);
    });
    const client = createH1Client();
    try {
      const p = client.request(HOST, srv.port, {
        method: "POST",
        target: "/",
        headers: [["host", "t"], ["content-length", "6"]],
        body: streamOf(parts),
      });
      const e = await p.then(() => null, (x: unknown) => x);
      assertStringIncludes(assertInstanceOf(e, UpstreamError).message, "request body");
      assertEquals(client.stats().open, 0);
    } finally {
      await client.close();
      await srv.close();
    }
  }
});

Deno.test("request() sends content-length: 0 for a null-body POST and no framing for GET", async () => {
  assertEquals(
    (await send({ method: "POST", target: "/", headers: [["host", "t"]], body: null })).head,
    "POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n\r\n",
  );
  assertEquals(
    (await send({ method: "GET", target: "/", headers: [["host", "t"]], body: null })).head,
    "GET / HTTP/1.1\r\nhost: t\r\n\r\n",
  );
  assertEquals(
    (await send({ method: "DELETE", target: "/x", headers: [["host", "t"]], body: null })).head,
    "DELETE /x HTTP/1.1\r\nhost: t\r\n\r\n",
  );
});

Deno.test("request() adds host from the endpoint when the caller sent none", async () => {
  const req = await send({ method: "GET", target: "/", headers: [], body: null });
  assertStringIncludes(req.head, `host: ${HOST}:`);
  const v6 = prepareRequest("::1", 8080, "GET", "/", [], null);
  assertEquals(headText(v6), "GET / HTTP/1.1\r\nhost: [::1]:8080\r\n\r\n");
});

Deno.test("prepareRequest() with http10 writes an HTTP/1.0 line asking for keep-alive; a chunked body stays 1.1", () => {
  assertEquals(
    headText(prepareRequest("h", 80, "GET", "/x", [["host", "h"]], null, true)),
    "GET /x HTTP/1.0\r\nhost: h\r\nconnection: keep-alive\r\n\r\n",
  );
  assertEquals(
    headText(prepareRequest("h", 80, "POST", "/", [["host", "h"]], utf8("ab"), true)),
    "POST / HTTP/1.0\r\nhost: h\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n",
  );
  const sized = prepareRequest(
    "h",
    80,
    "POST",
    "/",
    [["content-length", "3"]],
    new ReadableStream(),
    true,
  );
  assertStringIncludes(headText(sized), "POST / HTTP/1.0\r\n");
  const chunked = prepareRequest("h", 80, "POST", "/", [], new ReadableStream(), true);
  assertStringIncludes(headText(chunked), "POST / HTTP/1.1\r\n");
  assertStringIncludes(headText(chunked), "transfer-encoding: chunked\r\n");
});

Deno.test("request() rejects invalid requests with BadRequest (400) and bad endpoint addresses with TypeError, before connecting", async () => {
  const client = createH1Client();
  const locked = new ReadableStream<Uint8Array>();
  locked.getReader();
  try {
    const bad: H1Request[] = [
      { method: "GE T", target: "/", headers: [], body: null },
      { method: "CONNECT", target: "a:443", headers: [], body: null },
      { method: "GET", target: "/a b", headers: [], body: null },
      { method: "GET", target: "/\r\nX: y", headers: [], body: null },
      { method: "GET", target: "", headers: [], body: null },
      { method: "GET", target: "/", headers: [["X-A", "v\r\nInjected: 1"]], body: null },
      { method: "GET", target: "/", headers: [["X A", "v"]], body: null },
      { method: "GET", target: "/", headers: [["X-A", "\u0100"]], body: null },
      { method: "POST", target: "/", headers: [["content-length", "3"]], body: utf8("ab") },
      { method: "POST", target: "/", headers: [["content-length", "3"]], body: null },
      { method: "POST", target: "/", headers: [["content-length", "x"]], body: null },
      { method: "POST", target: "/", headers: [], body: locked },
    ];
    for (
      const [host, port] of [["a\r\nX: 1", 9], ["a b", 9], [HOST, 0], [HOST, 65536], [
        HOST,
        1.5,
      ]] as const
    ) {
      const e = await client.request(host, port, {
        method: "GET",
        target: "/",
        headers: [],
        body: null,
      })
        .then(() => null, (x: unknown) => x);
      assertInstanceOf(e, TypeError, `${host}:${port}: the endpoint's address, not the request`);
    }
    for (const req of bad) {
      const e = await client.request(HOST, 9, req).then(() => null, (x: unknown) => x);
      assertInstanceOf(e, BadRequest, JSON.stringify(req.headers) + req.method + req.target);
      assertEquals((e as BadRequest).status, 400);
    }
    assertEquals(client.stats().connects, 0);
  } finally {
    await client.close();
  }
});

Deno.test("request() chunked uploads are accepted by Deno.serve (hyper) and echoed in full duplex", async () => {
  const srv = Deno.serve(
    { hostname: HOST, port: 0, onListen() {} },
    (req) => new Response(req.body),
  );
  const client = createH1Client();
  try {
    let echoed!: (v: void) => void;
    let next = new Promise<void>((r) => echoed = r);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent === 3) return c.close();
        if (sent > 0) await next; // the previous piece came back before this one is produced
        c.enqueue(utf8(`piece${sent++};`));
      },
    }, { highWaterMark: 0 });
    const res = await client.request(HOST, srv.addr.port, {
      method: "POST",
      target: "/",
      headers: [["host", "t"]],
      body,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += new TextDecoder().decode(r.value);
      echoed();
      next = new Promise<void>((r2) => echoed = r2);
    }
    assertEquals(text, "piece0;piece1;piece2;");
    assert(client.stats().connects === 1);
  } finally {
    await client.close();
    await srv.shutdown();
  }
});

Deno.test("request() returns an early response and stops the upload", async () => {
  let cancelled = false;
  const srv = rawServer(async (conn) => {
    const buf = new Uint8Array(1024);
    await conn.read(buf); // the head, maybe some body
    await writeAll(
      conn,
      "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbig",
    );
    await conn.closeWrite();
    await readAll(conn); // lingering close: drain until the client hangs up
  });
  const client = createH1Client();
  try {
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(64 * 1024));
      },
      cancel() {
        cancelled = true;
      },
    }, { highWaterMark: 0 });
    const res = await client.request(HOST, srv.port, {
      method: "PUT",
      target: "/",
      headers: [["host", "t"]],
      body,
    });
    assertEquals([res.status, await res.text()], [413, "big"]);
    assert(cancelled, "upload stream cancelled");
    assertEquals(client.stats().open, 0);
  } finally {
    await client.close();
    await srv.close();
  }
});

Deno.test("request() aborts a blocked upload and cancels the body stream", async () => {
  let cancelled: unknown = null;
  let seen!: () => void;
  const requested = new Promise<void>((r) => seen = r);
  let abortDone!: () => void;
  const aborted = new Promise<void>((r) => abortDone = r);
  const srv = rawServer(async (conn) => {
    await conn.read(new Uint8Array(1024)); // the head; then never read again, never answer
    seen();
    await aborted;
    await readAll(conn);
  });
  const client = createH1Client();
  try {
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(256 * 1024));
      },
      cancel(reason) {
        cancelled = reason;
      },
    }, { highWaterMark: 0 });
    const ac = new AbortController();
    const p = client.request(HOST, srv.port, {
      method: "PUT",
      target: "/",
      headers: [["host", "t"]],
      body,
      signal: ac.signal,
    });
    await requested;
    const reason = new Error("deadline");
    ac.abort(reason);
    abortDone();
    assertEquals(await p.then(() => null, (e: unknown) => e), reason);
    assertEquals(cancelled, reason);
    assertEquals(client.stats().open, 0);
  } finally {
    await client.close();
    await srv.close();
  }
});

Deno.test("prepareRequest() accepts exactly the characters the RFC grammars allow, one by one", () => {
  // The grammars as regular expressions (what the byte-table checks replaced).
  const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const fieldValue = /^[\t\x20-\x7e\x80-\xff]*$/;
  const visible = /^[\x21-\x7e]+$/;
  const ok = (f: () => unknown) => {
    try {
      f();
      return true;
    } catch (e: unknown) {
      assertInstanceOf(e, TypeError);
      return false;
    }
  };
  let checked = 0;
  for (let c = 0; c < 0x180; c++) {
    const ch = String.fromCharCode(c);
    const method = `G${ch}T`, target = `/a${ch}`, name = `x-${ch}`, value = `v${ch}v`;
    assertEquals(ok(() => prepareRequest(HOST, 80, method, "/", [], null)), token.test(method));
    assertEquals(ok(() => prepareRequest(HOST, 80, "GET", target, [], null)), visible.test(target));
    assertEquals(
      ok(() => prepareRequest(HOST, 80, "GET", "/", [[name, "v"]], null)),
      token.test(name),
      `name ${c}`,
    );
    assertEquals(
      ok(() => prepareRequest(HOST, 80, "GET", "/", [["x-a", value]], null)),
      fieldValue.test(value),
      `value ${c}`,
    );
    checked++;
  }
  assertEquals(checked, 0x180);
  assert(!ok(() => prepareRequest(HOST, 80, "", "/", [], null)), "empty method");
  assert(!ok(() => prepareRequest(HOST, 80, "GET", "/", [["", "v"]], null)), "empty name");
  assert(ok(() => prepareRequest(HOST, 80, "GET", "/", [["x-a", ""]], null)), "empty value");
});
