/**
 * HTTP/1.1 message relaying through the real process (raw engine, h1 client), against RFC 9112
 * and what Linkerd 1.x's Finagle streaming HTTP does: chunked trailers travel both ways (Finagle
 * 19+ `Netty4StreamTransport` reads a `LastHttpContent`'s trailing headers into
 * `Chunk.last(trailers)` and writes them back out). A raw TCP upstream reads whole requests
 * (chunked bodies included) and answers with exact bytes.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir } from "../support/upstream.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A raw upstream: each whole request (head and chunked or sized body) is recorded and answered. */
function upstream(answer: (request: string) => string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const open = new Set<Deno.Conn>();
  const serve = async (c: Deno.Conn) => {
    const buf = new Uint8Array(65536);
    let text = "";
    try {
      for (;;) {
        const n = await c.read(buf);
        if (n === null) return;
        text += dec.decode(buf.subarray(0, n));
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) continue;
        const body = text.slice(end + 4);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
        const whole = /\r\ntransfer-encoding: *chunked/i.test(text.slice(0, end))
          ? /(^|\r\n)0\r\n/.test(body) && body.endsWith("\r\n\r\n")
          : body.length >= Number(cl?.[1] ?? 0);
        if (!whole) continue;
        requests.push(text);
        text = "";
        await c.write(enc.encode(answer(requests.at(-1)!)));
      }
    } catch {
      // the proxy went away
    } finally {
      open.delete(c);
      c.close();
    }
  };
  const accepting = (async () => {
    for await (const c of listener) {
      open.add(c);
      void serve(c);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    requests,
    async close() {
      listener.close();
      for (const c of open) c.close();
      await accepting;
    },
  };
}

/** Send raw bytes and read until Switchyard closes the connection (bounded by `ms`). */
async function exchange(port: number, raw: string, ms = 5000): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => c.close(), ms);
  let text = "";
  try {
    await c.write(enc.encode(raw));
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await c.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
    c.close();
  } catch {
    // closed by the timer: the caller's assertions show what arrived
  } finally {
    clearTimeout(timer);
  }
  return text;
}

async function proxyTo(port: number) {
  const dir = await fsNamerDir({ up: `127.0.0.1 ${port}` });
  return await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
}

const CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n";

Deno.test("http/1.1: a chunked response's trailers reach an HTTP/1.1 client after the last chunk", async () => {
  const up = upstream((req) => {
    const path = req.split(" ")[1];
    if (path === "/many") {
      return CHUNKED_HEAD + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n";
    }
    if (path === "/one") return CHUNKED_HEAD + "5\r\nhello\r\n0\r\nX-Checksum: one\r\n\r\n";
    if (path === "/empty") return CHUNKED_HEAD + "0\r\nX-Checksum: none\r\nX-Two: 2\r\n\r\n";
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n";
  });
  const sy = await proxyTo(up.port);
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const get = (path: string, version = "1.1") =>
      exchange(port, `GET ${path} HTTP/${version}\r\nHost: up\r\nConnection: close\r\n\r\n`);
    const many = await get("/many");
    assertStringIncludes(many.toLowerCase(), "\r\ntransfer-encoding: chunked\r\n");
    assert(
      many.endsWith("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: abc\r\n\r\n"),
      many,
    );
    // A body of one chunk, or none, still goes chunked when it has trailers to carry.
    const one = await get("/one");
    assertStringIncludes(one.toLowerCase(), "\r\ntransfer-encoding: chunked\r\n");
    assert(one.endsWith("\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: one\r\n\r\n"), one);
    const empty = await get("/empty");
    assert(empty.endsWith("\r\n\r\n0\r\nx-checksum: none\r\nx-two: 2\r\n\r\n"), empty);
    // Without trailers the body ends with an empty trailer section.
    const plain = await get("/plain");
    assert(plain.endsWith("\r\n\r\n2\r\nno\r\n0\r\n\r\n"), plain);
    // HTTP/1.0 has no chunked coding: the body arrives whole, without the trailers.
    const old = await get("/many", "1.0");
    assert(old.endsWith("\r\n\r\nhello world"), old);
    assert(!old.includes("x-checksum"), old);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("http/1.1: a chunked request's trailers reach the upstream; framing fields in them are dropped", async () => {
  const up = upstream(() => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  const sy = await proxyTo(up.port);
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const head =
      "POST /t HTTP/1.1\r\nHost: up\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    const r1 = await exchange(
      port,
      head + "3\r\nabc\r\n0\r\nX-Sum: 9\r\nContent-Length: 5\r\n\r\n",
    );
    assert(r1.startsWith("HTTP/1.1 200 ") && r1.endsWith("\r\n\r\nok"), r1);
    const sent1 = up.requests.at(-1)!;
    assertStringIncludes(sent1.toLowerCase(), "\r\ntransfer-encoding: chunked\r\n");
    assert(sent1.endsWith("\r\n\r\n3\r\nabc\r\n0\r\nx-sum: 9\r\n\r\n"), sent1);
    // An empty chunked body with trailers.
    const r2 = await exchange(port, head + "0\r\nX-Sum: 0\r\n\r\n");
    assert(r2.startsWith("HTTP/1.1 200 "), r2);
    assert(up.requests.at(-1)!.endsWith("\r\n\r\n0\r\nx-sum: 0\r\n\r\n"), up.requests.at(-1));
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("http/1.1: OPTIONS * is forwarded in asterisk-form, as is an absolute-form OPTIONS with an empty path", async () => {
  const up = upstream(() => "HTTP/1.1 200 OK\r\nAllow: GET, OPTIONS\r\nContent-Length: 0\r\n\r\n");
  const sy = await proxyTo(up.port);
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const cases: [string, string][] = [
      ["OPTIONS * HTTP/1.1\r\nHost: up", "OPTIONS * HTTP/1.1"],
      // RFC 9112 §3.2.4: the last proxy sends "*" for an absolute-form OPTIONS without a path.
      ["OPTIONS http://up HTTP/1.1\r\nHost: up", "OPTIONS * HTTP/1.1"],
      ["OPTIONS http://up/ HTTP/1.1\r\nHost: up", "OPTIONS / HTTP/1.1"],
      ["OPTIONS /* HTTP/1.1\r\nHost: up", "OPTIONS /* HTTP/1.1"],
    ];
    for (const [request, line] of cases) {
      const r = await exchange(port, `${request}\r\nConnection: close\r\n\r\n`);
      assert(r.startsWith("HTTP/1.1 200 "), r);
      assertStringIncludes(r.toLowerCase(), "\r\nallow: get, options\r\n");
      assertEquals(up.requests.at(-1)!.split("\r\n")[0], line, request);
    }
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("http/1.1: an upstream's 103 Early Hints reaches an HTTP/1.1 client before the final response, not an HTTP/1.0 one", async () => {
  const up = upstream((req) => {
    const hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
    // A 100 Continue is the proxy's own business with its client: never relayed.
    const cont = req.includes("/continue") ? "HTTP/1.1 100 Continue\r\n\r\n" : "";
    return cont + hints + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  });
  const sy = await proxyTo(up.port);
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const r = await exchange(port, "GET /hints HTTP/1.1\r\nHost: up\r\nConnection: close\r\n\r\n");
    assert(r.startsWith("HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"), r);
    const final = r.slice(r.indexOf("\r\n\r\n") + 4);
    assert(final.startsWith("HTTP/1.1 200 OK\r\n") && final.endsWith("\r\n\r\nok"), r);
    const c = await exchange(
      port,
      "GET /continue HTTP/1.1\r\nHost: up\r\nConnection: close\r\n\r\n",
    );
    assert(c.startsWith("HTTP/1.1 103 Early Hints\r\n"), c);
    assert(!c.includes("100 Continue"), c);
    const old = await exchange(port, "GET /hints HTTP/1.0\r\nHost: up\r\n\r\n");
    assert(/^HTTP\/1\.[01] 200 /.test(old) && old.endsWith("\r\n\r\nok"), old);
    assert(!old.includes("103"), old);
    // Pipelined: each request's hints come right before its own final response.
    const two = await exchange(
      port,
      "GET /a HTTP/1.1\r\nHost: up\r\n\r\nGET /b HTTP/1.1\r\nHost: up\r\nConnection: close\r\n\r\n",
    );
    const statuses = [...two.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    assertEquals(statuses, ["103", "200", "103", "200"], two);
  } finally {
    await sy.stop();
    await up.close();
  }
});
