import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { UpstreamError } from "../../core/errors.ts";
import { createH1Client, type H1Client } from "./h1_client.ts";
import {
  assertInstanceOf,
  bytes,
  cannedServer,
  HOST,
  rawServer,
  readAll,
  RequestReader,
  withRaw,
  writeAll,
} from "./_test_util.ts";

function get(client: H1Client, port: number, target = "/", method = "GET"): Promise<Response> {
  return client.request(HOST, port, { method, target, headers: [["host", "t.svc"]], body: null });
}

async function failure(p: Promise<Response>): Promise<unknown> {
  try {
    const res = await p;
    await res.arrayBuffer();
  } catch (e: unknown) {
    return e;
  }
  throw new Error("expected a failure");
}

Deno.test("createH1Client() reuses one keep-alive connection for sequential requests", async () => {
  const srv = Deno.serve(
    { hostname: HOST, port: 0, onListen() {} },
    (req) => new Response(`hi ${req.headers.get("host")}`),
  );
  const client = createH1Client();
  try {
    for (let i = 0; i < 5; i++) {
      const res = await get(client, srv.addr.port);
      assertEquals([res.status, res.statusText, await res.text()], [200, "OK", "hi t.svc"]);
    }
    assertEquals(client.stats(), { open: 1, idle: 1, connects: 1, reused: 4 });
  } finally {
    await client.close();
    await srv.shutdown();
  }
});

Deno.test("request() de-chunks a chunked body, drops trailers and reuses the connection", async () => {
  const srv = cannedServer(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\nX-A: 1\r\n\r\n" +
      "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Sum: 9\r\n\r\n",
  );
  await withRaw(srv, async (client, port) => {
    for (let i = 0; i < 2; i++) {
      const res = await get(client, port);
      assertEquals(await res.text(), "abc0123456789abcdef");
      assertEquals([...res.headers], [["x-a", "1"]]);
    }
    assertEquals(client.stats().connects, 1);
  });
});

Deno.test("request() reads a close-delimited body to EOF and does not pool the connection", async () => {
  const srv = rawServer(async (conn) => {
    await new RequestReader(conn).read();
    await writeAll(conn, "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\npart one, ");
    await writeAll(conn, "part two");
  });
  await withRaw(srv, async (client, port) => {
    const res = await get(client, port);
    assertEquals(await res.text(), "part one, part two");
    assertEquals(client.stats().open, 0);
  });
});

Deno.test("request() returns no body for HEAD, 204 and 304 and keeps the connection", async () => {
  const srv = rawServer(async (conn) => {
    const r = new RequestReader(conn);
    for (let req = await r.read(); req; req = await r.read()) {
      if (req.method === "HEAD") {
        await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
      } else if (req.target === "/204") await writeAll(conn, "HTTP/1.1 204 No Content\r\n\r\n");
      else if (req.target === "/304") {
        await writeAll(
          conn,
          'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 50\r\n\r\n',
        );
      } else await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await withRaw(srv, async (client, port) => {
    const head = await get(client, port, "/", "HEAD");
    assertEquals([head.status, head.body, head.headers.get("content-length")], [200, null, "1000"]);
    const r204 = await get(client, port, "/204");
    assertEquals([r204.status, r204.body], [204, null]);
    const r304 = await get(client, port, "/304");
    assertEquals([r304.status, r304.body, r304.headers.get("etag")], [304, null, '"x"']);
    assertEquals(await (await get(client, port, "/")).text(), "ok");
    assertEquals(client.stats().connects, 1);
  });
});

Deno.test("request() skips 100 Continue and 103 Early Hints", async () => {
  const srv = cannedServer(
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  );
  await withRaw(srv, async (client, port) => {
    const res = await get(client, port);
    assertEquals([res.status, await res.text(), res.headers.has("link")], [200, "ok", false]);
    assertEquals(await (await get(client, port)).text(), "ok");
    assertEquals(client.stats().connects, 1);
  });
});

Deno.test("request() keeps repeated set-cookie fields, Latin-1 bytes and the reason phrase", async () => {
  const srv = cannedServer(
    "HTTP/1.1 418 I'm a teapot \xe9\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\n" +
      "X-L: caf\xe9 \x80\xff\r\nContent-Length: 0\r\n\r\n",
  );
  await withRaw(srv, async (client, port) => {
    const res = await get(client, port);
    assertEquals(res.status, 418);
    assertEquals(res.statusText, "I'm a teapot \xe9");
    assertEquals(res.headers.getSetCookie(), ["a=1; Path=/", "b=2"]);
    assertEquals(res.headers.get("x-l"), "caf\xe9 \x80\xff");
    assertEquals(res.headers.get("content-length"), "0");
  });
});

Deno.test("request() responses carry Latin-1 field bytes unchanged through Deno.serve", async () => {
  const up = cannedServer("HTTP/1.1 200 OK\r\nX-L: caf\xe9\x80\xff\r\nContent-Length: 2\r\n\r\nok");
  const client = createH1Client();
  const front = Deno.serve(
    { hostname: HOST, port: 0, onListen() {} },
    () => get(client, up.port),
  );
  try {
    const c = await Deno.connect({ hostname: HOST, port: front.addr.port });
    await writeAll(c, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    const wire = String.fromCharCode(...await readAll(c));
    c.close();
    assert(wire.toLowerCase().includes("\r\nx-l: caf\xe9\x80\xff\r\n"), JSON.stringify(wire));
  } finally {
    await client.close();
    await front.shutdown();
    await up.close();
  }
});

Deno.test("request() sends Latin-1 request fields byte-for-byte", async () => {
  let seen = new Uint8Array(0);
  const srv = rawServer(async (conn) => {
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    seen = buf.slice(0, n ?? 0);
    await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  await withRaw(srv, async (client, port) => {
    const headers = new Headers([["host", "t.svc"], ["x-l", "caf\xe9\xff"]]);
    await (await client.request(HOST, port, {
      method: "GET",
      target: "/a?b=c",
      headers,
      body: null,
    })).body?.cancel();
    assertEquals(seen, bytes("GET /a?b=c HTTP/1.1\r\nhost: t.svc\r\nx-l: caf\xe9\xff\r\n\r\n"));
  });
});

Deno.test("request() strips hop-by-hop fields, including those Connection names", async () => {
  const srv = cannedServer(
    "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nX-Private: s\r\nKeep-Alive: timeout=60\r\n" +
      "Proxy-Authenticate: Basic\r\nUpgrade: foo\r\nTrailer: X\r\nX-Public: p\r\nContent-Length: 1\r\n\r\nz",
  );
  await withRaw(srv, async (client, port) => {
    const res = await get(client, port);
    assertEquals([...res.headers], [["content-length", "1"], ["x-public", "p"]]);
    assertEquals(await res.text(), "z");
  });
});

Deno.test("request() rejects smuggling and malformed responses with UpstreamError and drops the connection", async () => {
  const bad = [
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
    "HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(70_000) + "\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
  ];
  for (const wire of bad) {
    const srv = rawServer(async (conn) => {
      await new RequestReader(conn).read();
      await writeAll(conn, wire).catch(() => {});
    });
    await withRaw(srv, async (client, port) => {
      assertInstanceOf(await failure(get(client, port)), UpstreamError, wire.slice(0, 60));
      assertEquals(client.stats().open, 0, wire.slice(0, 60));
    });
  }
});

Deno.test("request() parses a head and body that arrive one byte per write", async () => {
  const wire = bytes(
    "HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
  );
  const srv = rawServer(async (conn) => {
    conn.setNoDelay(true);
    await new RequestReader(conn).read();
    for (let i = 0; i < wire.length; i++) await writeAll(conn, wire.subarray(i, i + 1));
  });
  await withRaw(srv, async (client, port) => {
    const res = await get(client, port);
    assertEquals([res.headers.get("x-a"), await res.text()], ["1", "abcd"]);
  });
});

Deno.test("request() accepts heads over the initial buffer and limits them by maxResponseHeadBytes", async () => {
  const big = "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(40_000) + "\r\nContent-Length: 2\r\n\r\nok";
  await withRaw(cannedServer(big), async (client, port) => {
    const res = await get(client, port);
    assertEquals([res.headers.get("x-big")?.length, await res.text()], [40_000, "ok"]);
  });
  await withRaw(cannedServer(big), async (client, port) => {
    assertInstanceOf(await failure(get(client, port)), UpstreamError);
  }, { maxResponseHeadBytes: 16_384 });
});

Deno.test("request() pools HTTP/1.0 connections only with Connection: keep-alive", async () => {
  await withRaw(
    cannedServer("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na"),
    async (client, port) => {
      assertEquals(await (await get(client, port)).text(), "a");
      assertEquals(await (await get(client, port)).text(), "a");
      assertEquals(client.stats().connects, 2);
    },
  );
  const ka = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\na";
  await withRaw(cannedServer(ka), async (client, port) => {
    await (await get(client, port)).text();
    await (await get(client, port)).text();
    assertEquals(client.stats().connects, 1);
  });
});

Deno.test("request() does not pool a connection after Connection: close or stray bytes", async () => {
  const close = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na";
  await withRaw(cannedServer(close), async (client, port) => {
    await (await get(client, port)).text();
    assertEquals(client.stats(), { open: 0, idle: 0, connects: 1, reused: 0 });
  });
  const stray = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naEXTRA";
  await withRaw(cannedServer(stray), async (client, port) => {
    await (await get(client, port)).text();
    assertEquals(client.stats().open, 0);
  });
});

Deno.test("request() streams bodies over smallBodyBytes and returns smaller ones whole", async () => {
  const srv = Deno.serve({ hostname: HOST, port: 0, onListen() {} }, (req) => {
    const n = Number(new URL(req.url).searchParams.get("n"));
    return new Response(new Uint8Array(n).fill(120));
  });
  const client = createH1Client({ smallBodyBytes: 1000 });
  try {
    for (const n of [0, 1, 1000, 1001, 300_000]) {
      const res = await get(client, srv.addr.port, `/?n=${n}`);
      assertEquals(res.headers.get("content-length"), String(n));
      const body = new Uint8Array(await res.arrayBuffer());
      assertEquals([body.length, body.every((x) => x === 120)], [n, true]);
    }
    assertEquals(client.stats().connects, 1);
  } finally {
    await client.close();
    await srv.shutdown();
  }
});

Deno.test("request() returns a 205 without a body and reuses the connection only after content-length: 0", async () => {
  await withRaw(
    cannedServer("HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n"),
    async (client, port) => {
      assertEquals((await get(client, port)).status, 205);
      assertEquals(client.stats().idle, 1);
    },
  );
  await withRaw(
    cannedServer("HTTP/1.1 205 Reset Content\r\nContent-Length: 3\r\n\r\nabc"),
    async (client, port) => {
      assertEquals((await get(client, port)).body, null);
      assert(client.stats().idle === 0);
    },
  );
});
