import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { ConnectFailed, UpstreamError } from "../../core/errors.ts";
import { createH1Client } from "./h1_client.ts";
import {
  assertInstanceOf,
  cannedServer,
  eventually,
  fakeClock,
  get,
  HOST,
  OK,
  type RawServer,
  rawServer,
  readAll,
  rejection,
  RequestReader,
  stallingServer,
  utf8,
  withRaw,
  writeAll,
} from "./_test_util.ts";

/** A server whose first connection answers once, then takes the next request and closes. */
function staleServer(bodies: string[]): RawServer {
  return rawServer(async (conn, i) => {
    const r = new RequestReader(conn);
    if (i === 0) {
      await r.read();
      await writeAll(conn, OK);
      await r.read();
      return; // closed without answering: the keep-alive race
    }
    for (let req = await r.read(); req; req = await r.read()) {
      bodies.push(new TextDecoder().decode(req.body));
      await writeAll(conn, OK);
    }
  });
}

Deno.test("request() replays an idempotent request once on a fresh connection when a pooled one is dead", async () => {
  const bodies: string[] = [];
  await withRaw(staleServer(bodies), async (client, port) => {
    assertEquals(await (await get(client, port)).text(), "ok");
    const res = await client.request(HOST, port, {
      method: "PUT",
      target: "/",
      headers: [],
      body: utf8("again"),
    });
    assertEquals(await res.text(), "ok");
    assertEquals(bodies, ["again"]);
    assertEquals([client.stats().connects, client.stats().reused], [2, 1]);
  });
});

// RFC 9112 §9.3.1: a non-idempotent request is not sent again once the upstream may have read it
// (as Finagle: a ChannelClosedException after the write is the request's failure, not a requeue).
Deno.test("request() does not replay a POST that a pooled connection took before it died", async () => {
  const bodies: string[] = [];
  await withRaw(staleServer(bodies), async (client, port) => {
    assertEquals(await (await get(client, port)).text(), "ok");
    const e = await rejection(
      client.request(HOST, port, { method: "POST", target: "/", headers: [], body: utf8("once") }),
    );
    assertInstanceOf(e, UpstreamError);
    assertEquals(bodies, []);
    assertEquals(client.stats().connects, 1);
  });
});

Deno.test("request() does not replay a streamed body after a pooled connection died", async () => {
  await withRaw(staleServer([]), async (client, port) => {
    await (await get(client, port)).text();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(utf8("x"));
        c.close();
      },
    });
    const e = await rejection(
      client.request(HOST, port, { method: "POST", target: "/", headers: [], body }),
    );
    assertInstanceOf(e, UpstreamError);
    assertEquals(client.stats().connects, 1);
  });
});

Deno.test("request() gets a new connection after the upstream closed an idle one", async () => {
  const srv = rawServer(async (conn) => {
    await new RequestReader(conn).read();
    await writeAll(conn, OK); // then the handler returns and the server closes the connection
  });
  await withRaw(srv, async (client, port) => {
    assertEquals(await (await get(client, port)).text(), "ok");
    await eventually(() => client.stats().open === 0, "idle eviction");
    assertEquals(await (await get(client, port)).text(), "ok");
    assertEquals([client.stats().connects, client.stats().reused], [2, 0]);
  });
});

Deno.test("request() fails with ConnectFailed naming host:port when the connection is refused", async () => {
  const l = Deno.listen({ hostname: HOST, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const client = createH1Client();
  try {
    const e = assertInstanceOf(await rejection(get(client, port)), ConnectFailed);
    assert(e.retryable);
    assertStringIncludes(e.message, `${HOST}:${port}`);
    assertStringIncludes(e.message, "refused");
    assertEquals(client.stats().open, 0);
  } finally {
    await client.close();
  }
});

Deno.test("request() fails with ConnectFailed when the name does not resolve", async () => {
  const client = createH1Client({ connectTimeoutMs: 2000 });
  try {
    const e = assertInstanceOf(
      await rejection(get(client, 80, undefined, "no-such-host.invalid")),
      ConnectFailed,
    );
    assertStringIncludes(e.message, "no-such-host.invalid:80");
  } finally {
    await client.close();
  }
});

Deno.test("request() times out a connect after connectTimeoutMs", async () => {
  const clock = fakeClock();
  const dial = (_h: string, _p: number, signal: AbortSignal) =>
    new Promise<Deno.Conn>((_, reject) =>
      signal.addEventListener("abort", () => reject(new Error("dial aborted")))
    );
  const client = createH1Client({ dial, clock, connectTimeoutMs: 250 });
  try {
    const p = rejection(get(client, 9));
    clock.advance(250);
    const e = assertInstanceOf(await p, ConnectFailed);
    assertStringIncludes(e.message, "timed out after 250 ms");
    assertEquals(clock.pending, 0);
  } finally {
    await client.close();
  }
});

Deno.test("request() rejects with the signal's reason when aborted while connecting", async () => {
  const dial = (_h: string, _p: number, signal: AbortSignal) =>
    new Promise<Deno.Conn>((_, reject) =>
      signal.addEventListener("abort", () => reject(new Error("dial aborted")))
    );
  const client = createH1Client({ dial });
  try {
    const ac = new AbortController();
    const p = rejection(get(client, 9, ac.signal));
    const reason = new Error("caller gave up");
    ac.abort(reason);
    assertEquals(await p, reason);
  } finally {
    await client.close();
  }
});

Deno.test("request() rejects with the signal's reason when aborted before the response head", async () => {
  let seen!: () => void;
  const requested = new Promise<void>((r) => seen = r);
  let serverSawEof = false;
  const srv = rawServer(async (conn) => {
    await new RequestReader(conn).read();
    seen();
    await readAll(conn);
    serverSawEof = true;
  });
  await withRaw(srv, async (client, port) => {
    const ac = new AbortController();
    const p = rejection(get(client, port, ac.signal));
    await requested;
    ac.abort(new Error("deadline"));
    assertEquals((await p as Error).message, "deadline");
    await eventually(() => serverSawEof, "server EOF");
    assertEquals(client.stats().open, 0);
  });
});

Deno.test("request() body stream errors with the signal's reason when aborted mid-body", async () => {
  let eof = false;
  await withRaw(stallingServer(() => eof = true), async (client, port) => {
    const ac = new AbortController();
    const res = await get(client, port, ac.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    assertEquals((await reader.read()).value?.length, 10);
    const pending = rejection(reader.read());
    ac.abort(new Error("client went away"));
    assertEquals((await pending as Error).message, "client went away");
    await eventually(() => eof, "server EOF");
    assertEquals(client.stats().open, 0);
  });
});

Deno.test("request() closes the upstream connection when the body stream is cancelled", async () => {
  let eof = false;
  await withRaw(stallingServer(() => eof = true), async (client, port) => {
    const res = await get(client, port);
    await res.body?.cancel();
    await eventually(() => eof, "server EOF");
    assertEquals(client.stats().open, 0);
  });
});

Deno.test("request() queues requests over maxConnectionsPerEndpoint and hands connections over", async () => {
  await withRaw(cannedServer(OK), async (client, port) => {
    const all = await Promise.all([1, 2, 3, 4].map(() => get(client, port).then((r) => r.text())));
    assertEquals(all, ["ok", "ok", "ok", "ok"]);
    assertEquals([client.stats().connects, client.stats().reused], [1, 3]);
  }, { maxConnectionsPerEndpoint: 1 });
});

Deno.test("request() removes an aborted waiter from the queue", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const srv = rawServer(async (conn) => {
    const r = new RequestReader(conn);
    await r.read();
    await gate;
    await writeAll(conn, OK);
    while (await r.read()) await writeAll(conn, OK);
  });
  await withRaw(srv, async (client, port) => {
    const first = get(client, port);
    const ac = new AbortController();
    const waiting = rejection(get(client, port, ac.signal));
    ac.abort(new Error("gave up waiting"));
    assertEquals((await waiting as Error).message, "gave up waiting");
    release();
    assertEquals(await (await first).text(), "ok");
    assertEquals(await (await get(client, port)).text(), "ok");
    assertEquals(client.stats().connects, 1);
  }, { maxConnectionsPerEndpoint: 1 });
});
