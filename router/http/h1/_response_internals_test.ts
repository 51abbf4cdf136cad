/**
 * Tests of the fast `Response` construction (`_response_internals.ts`): every property and
 * behaviour of a fast response against one built by the public constructor (the forced
 * fallback), header mutation, the three body kinds, `clone()`, the fallback switch, and fast
 * responses from the real h1 client sent on by `Deno.serve` and by the raw engine.
 *
 * Also holds the construction microbenchmarks (ignored by `deno test`):
 *
 * ```sh
 * npx deno bench -A router/http/h1/_response_internals_test.ts
 * ```
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { serveRaw } from "../raw/raw_server.ts";
import { rawExchange } from "../raw/_test_util.ts";
import { responseBytes } from "../raw/response_bytes.ts";
import {
  fastResponsesAvailable,
  makeResponse,
  makeViewResponse,
  setFastResponses,
} from "./_response_internals.ts";
import { cannedServer, rawServer, RequestReader, writeAll } from "./_test_util.ts";
import { createH1Client } from "./h1_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

type Body = Uint8Array | ReadableStream<Uint8Array> | null;

/** A head with mixed-case names, repeated names and two cookies, fresh each call. */
function head(): [string, string][] {
  return [
    ["Content-Type", "text/plain"],
    ["X-A", "1"],
    ["x-a", "2"],
    ["Set-Cookie", "a=1"],
    ["set-cookie", "b=2"],
    ["X-Latin", "caf\xe9"],
  ];
}

/** Build with the fast path on (`fast`) or forced off. */
function build(fast: boolean, status: number, reason: string, body: Body): Response {
  const was = setFastResponses(fast);
  try {
    return makeResponse(status, reason, head(), body);
  } finally {
    setFastResponses(was);
  }
}

/** The same response built both ways: [fast, slow]. */
function both(status: number, reason: string, body: () => Body): [Response, Response] {
  return [build(true, status, reason, body()), build(false, status, reason, body())];
}

/** Every plain getter of a response, for comparison. */
function props(r: Response): unknown[] {
  return [
    r instanceof Response,
    Object.prototype.toString.call(r),
    r.type,
    r.url,
    r.redirected,
    r.status,
    r.statusText,
    r.ok,
    r.bodyUsed,
    r.body === null,
    [...r.headers],
    r.headers.get("x-a"),
    r.headers.getSetCookie(),
  ];
}

Deno.test("fastResponsesAvailable() is true on the pinned Deno", () => {
  assertEquals(Deno.version.deno, "2.9.6");
  assert(fastResponsesAvailable(), "the load-time self-test failed on the pinned Deno");
});

Deno.test("makeResponse() gives the properties new Response gives", () => {
  const cases: [number, string, () => Body][] = [
    [200, "OK", () => enc.encode("abc")],
    [404, "", () => enc.encode("missing")],
    [503, "Service Unavailable", () => new ReadableStream<Uint8Array>()],
    [204, "No Content", () => null],
    [304, "Not Modified", () => null],
    [302, "Found", () => null],
  ];
  for (const [status, reason, body] of cases) {
    const [fast, slow] = both(status, reason, body);
    assertEquals(props(fast), props(slow), `${status} ${reason}`);
    assertEquals(fast.ok, status >= 200 && status < 300);
    assertEquals(fast.type, "default");
    assertEquals(fast.url, "");
  }
});

Deno.test("makeResponse() headers are mutable with guard response", () => {
  const [fast, slow] = both(200, "OK", () => enc.encode("abc"));
  for (const r of [fast, slow]) {
    r.headers.set("l5d-success-class", "1.0");
    r.headers.append("via", "1.1 switchyard");
    r.headers.append("x-a", "3");
    r.headers.delete("x-latin");
  }
  assertEquals([...fast.headers], [...slow.headers]);
  assertEquals(fast.headers.get("x-a"), "1, 2, 3");
  assertEquals(fast.headers.get("via"), "1.1 switchyard");
  assertEquals(fast.headers.has("x-latin"), false);
  // A copy made from the edited response carries the edits.
  const copy = new Response(fast.body, fast);
  assertEquals(copy.headers.get("l5d-success-class"), "1.0");
  assertEquals(copy.status, 200);
  assertEquals(copy.statusText, "OK");
});

Deno.test("makeResponse() static body reads as text, bytes and arrayBuffer", async () => {
  const [f1, s1] = both(200, "OK", () => enc.encode("héllo"));
  assertEquals(await f1.text(), await s1.text());
  assertEquals(f1.bodyUsed, true);
  const [f2] = both(200, "OK", () => enc.encode("héllo"));
  assertEquals(dec.decode(await f2.bytes()), "héllo");
  const [f3] = both(200, "OK", () => enc.encode("héllo"));
  assertEquals(dec.decode(await f3.arrayBuffer()), "héllo");
  const [f4] = both(200, "OK", () => enc.encode('{"a":1}'));
  assertEquals(await f4.json(), { a: 1 });
});

Deno.test("makeResponse() static body re-wraps with new Response(rsp.body, rsp)", async () => {
  const [fast, slow] = both(201, "Created", () => enc.encode("payload"));
  assert(fast.body instanceof ReadableStream);
  const fw = new Response(fast.body, fast), sw = new Response(slow.body, slow);
  assertEquals(props(fw), props(sw));
  assertEquals(fast.bodyUsed, slow.bodyUsed);
  assertEquals(await fw.text(), "payload");
  assertEquals(await sw.text(), "payload");
});

Deno.test("makeResponse() stream body is the very stream, read once", async () => {
  const stream = ReadableStream.from([enc.encode("a"), enc.encode("b")]);
  const was = setFastResponses(true);
  let rsp: Response;
  try {
    rsp = makeResponse(200, "OK", head(), stream);
  } finally {
    setFastResponses(was);
  }
  assert(rsp.body === stream);
  assertEquals(rsp.bodyUsed, false);
  assertEquals(await rsp.text(), "ab");
  assertEquals(rsp.bodyUsed, true);
  let threw = false;
  try {
    await rsp.text();
  } catch (e) {
    threw = e instanceof TypeError;
  }
  assert(threw, "a second read must fail");
});

Deno.test("makeResponse() null body: body null, text empty", async () => {
  const [fast, slow] = both(204, "No Content", () => null);
  assertEquals(fast.body, null);
  assertEquals(await fast.text(), await slow.text());
  assertEquals(fast.bodyUsed, false);
});

Deno.test("makeResponse() clone() copies head and body, both readable", async () => {
  for (const body of [() => enc.encode("xyz"), () => ReadableStream.from([enc.encode("xyz")])]) {
    const [fast, slow] = both(200, "OK", body);
    const fc = fast.clone(), sc = slow.clone();
    assertEquals(props(fc), props(sc));
    fc.headers.set("x-clone", "1"); // the clone's headers are its own
    assertEquals(fast.headers.has("x-clone"), false);
    assertEquals(await fc.text(), "xyz");
    assertEquals(await fast.text(), "xyz");
  }
  const [nf] = both(204, "No Content", () => null);
  assertEquals(nf.clone().body, null);
  assertEquals(nf.clone().status, 204);
});

Deno.test("setFastResponses(false) falls back to new Response", () => {
  const list: [string, string][] = [["X-Up", "1"]];
  const was = setFastResponses(false);
  try {
    makeResponse(200, "OK", list, null);
    assertEquals(list[0]?.[0], "X-Up", "the fallback leaves the caller's list alone");
    let threw = false;
    try {
      makeResponse(200, "OK", [["bad name", "x"]], null); // validated by the constructor only
    } catch (e) {
      threw = e instanceof TypeError;
    }
    assert(threw, "the fallback validates like new Response");
  } finally {
    assertEquals(setFastResponses(was), false);
  }
  setFastResponses(true);
  try {
    makeResponse(200, "OK", list, null);
    assertEquals(list[0]?.[0], "x-up", "the fast path lower-cases the list in place");
  } finally {
    setFastResponses(was);
  }
});

/** An upstream answering every request with a fixed body: static (content-length) or chunked. */
function upstream(chunked: boolean) {
  const fields = "Content-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\nX-Drop: gone\r\n" +
    "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n";
  return chunked
    ? rawServer(async (conn) => {
      const r = new RequestReader(conn);
      while (await r.read()) {
        await writeAll(
          conn,
          `HTTP/1.1 200 Fine\r\n${fields}Transfer-Encoding: chunked\r\n\r\n` +
            "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
        );
      }
    })
    : cannedServer(`HTTP/1.1 200 Fine\r\n${fields}Content-Length: 5\r\n\r\nhello`);
}

/** What a front end sent for one request through the h1 client, as a client saw it. */
async function through(
  engine: "serve" | "raw",
  fast: boolean,
  chunked: boolean,
): Promise<unknown[]> {
  const up = upstream(chunked);
  const client = createH1Client();
  let sawBytes = false;
  const handler = async (): Promise<Response> => {
    const was = setFastResponses(fast);
    let rsp: Response;
    try {
      rsp = await client.request("127.0.0.1", up.port, {
        method: "GET",
        target: "/",
        headers: [["host", "up"]],
        body: null,
      });
    } finally {
      setFastResponses(was);
    }
    sawBytes = responseBytes.get(rsp) !== undefined;
    rsp.headers.set("l5d-success-class", "1.0");
    rsp.headers.append("via", "1.1 switchyard");
    rsp.headers.delete("x-drop");
    return rsp;
  };
  const ac = new AbortController();
  let port: number, stop: () => Promise<void>;
  if (engine === "serve") {
    const srv = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      handler,
    );
    port = srv.addr.port;
    stop = () => srv.finished;
  } else {
    const srv = serveRaw({ hostname: "127.0.0.1", port: 0 }, handler);
    port = srv.addr.port;
    stop = () => srv.shutdown();
  }
  try {
    const rsp = await fetch(`http://127.0.0.1:${port}/`);
    const text = await rsp.text();
    const headers = [...rsp.headers].filter(([n]) => n !== "date");
    return [rsp.status, headers, text, sawBytes];
  } finally {
    ac.abort();
    await stop();
    await client.close();
    await up.close();
  }
}

for (const engine of ["serve", "raw"] as const) {
  for (const chunked of [false, true]) {
    const kind = chunked ? "stream" : "static";
    Deno.test(`makeResponse() ${kind} client response is sent on by ${engine}`, async () => {
      const fast = await through(engine, true, chunked);
      const slow = await through(engine, false, chunked);
      assertEquals(fast, slow);
      const [status, headers, text, sawBytes] = fast as [
        number,
        [string, string][],
        string,
        boolean,
      ];
      assertEquals(status, 200);
      assertEquals(text, "hello");
      assertEquals(sawBytes, !chunked, "static bodies stay registered in responseBytes");
      const get = (n: string) => headers.filter(([k]) => k === n).map(([, v]) => v);
      assertEquals(get("x-a"), ["1, 2"]);
      assertEquals(get("set-cookie"), ["a=1", "b=2"]);
      assertEquals(get("via"), ["1.1 switchyard"]);
      assertEquals(get("l5d-success-class"), ["1.0"]);
      assertEquals(get("x-drop"), []);
    });
  }
}

Deno.test("makeResponse() fast path is the one the raw engine writes (lower-case names)", async () => {
  const up = upstream(false);
  const client = createH1Client();
  const wire: string[] = [];
  try {
    for (const fast of [true, false]) {
      const srv = serveRaw({ hostname: "127.0.0.1", port: 0 }, async () => {
        const was = setFastResponses(fast);
        try {
          return await client.request("127.0.0.1", up.port, {
            method: "GET",
            target: "/",
            headers: [["host", "up"]],
            body: null,
          });
        } finally {
          setFastResponses(was);
        }
      });
      try {
        const req = "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
        wire.push((await rawExchange(srv.addr.port, [req])).text);
      } finally {
        await srv.shutdown();
      }
    }
  } finally {
    await client.close();
    await up.close();
  }
  const [fast = "", slow = ""] = wire;
  assertStringIncludes(fast, "\r\ncontent-type: text/plain\r\nx-a: 1\r\nx-a: 2\r\n");
  // The fallback keeps the names as parsed: common ones lower-case (commonFieldName), others
  // as the upstream sent them.
  assertStringIncludes(slow, "\r\ncontent-type: text/plain\r\nX-A: 1\r\nX-A: 2\r\n");
  assert(fast.endsWith("\r\n\r\nhello") && slow.endsWith("\r\n\r\nhello"));
});

// Microbenchmarks: `deno bench` only.
const HEAD: [string, string][] = [
  ["Server", "nginx/1.24.0"],
  ["Date", "Thu, 26 Nov 2026 03:00:00 GMT"],
  ["Content-Type", "text/html"],
  ["Content-Length", "612"],
  ["Last-Modified", "Tue, 11 Apr 2023 01:45:34 GMT"],
  ["ETag", '"64dbafc8-264"'],
  ["Accept-Ranges", "bytes"],
];
const BYTES = new Uint8Array(612);
const copyHead = (): [string, string][] => HEAD.map(([n, v]) => [n, v]);

for (const [name, fast] of [["new Response", false], ["fast", true]] as const) {
  Deno.bench({
    name: `static body: ${name}`,
    group: "static",
    baseline: !fast,
    fn() {
      const was = setFastResponses(fast);
      makeResponse(200, "OK", copyHead(), BYTES.slice());
      setFastResponses(was);
    },
  });
  Deno.bench({
    name: `static body + header edit: ${name}`,
    group: "static-edit",
    baseline: !fast,
    fn() {
      const was = setFastResponses(fast);
      makeResponse(200, "OK", copyHead(), BYTES.slice()).headers.set("via", "1.1 switchyard");
      setFastResponses(was);
    },
  });
  Deno.bench({
    name: `stream body: ${name}`,
    group: "stream",
    baseline: !fast,
    fn() {
      const was = setFastResponses(fast);
      makeResponse(200, "OK", copyHead(), new ReadableStream<Uint8Array>());
      setFastResponses(was);
    },
  });
  Deno.bench({
    name: `null body: ${name}`,
    group: "null",
    baseline: !fast,
    fn() {
      const was = setFastResponses(fast);
      makeResponse(304, "Not Modified", copyHead(), null);
      setFastResponses(was);
    },
  });
}

Deno.test("makeViewResponse() reads as a copy of the viewed bytes, made when the body is read", async () => {
  for (const fast of [true, false]) {
    const was = setFastResponses(fast);
    try {
      const backing = enc.encode("..hello..");
      const rsp = makeViewResponse(200, "OK", head(), backing.subarray(2, 7));
      assertEquals([rsp.status, rsp.headers.get("x-latin"), rsp.bodyUsed], [200, "caf\xe9", false]);
      const twin = rsp.clone(); // made from the bytes as they are now
      backing.fill(0); // the owner reuses its memory: what was read before keeps its bytes
      assertEquals([await rsp.text(), await twin.text()], ["hello", "hello"]);
      // Untouched until read: reading later sees the memory as it is then (the pool's contract).
      const late = new Uint8Array([1, 2, 3, 4]);
      const lazy = makeViewResponse(200, "OK", [], late.subarray(1, 3));
      late[1] = 9;
      const got = new Uint8Array(await lazy.arrayBuffer());
      assertEquals([...got], fast ? [9, 3] : [2, 3]);
    } finally {
      setFastResponses(was);
    }
  }
});
