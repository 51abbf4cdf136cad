import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { ConnectFailed, UpstreamError } from "../../core/errors.ts";
import { createH1Client, type H1Client, type H1ClientOptions } from "./h1_client.ts";
import {
  assertInstanceOf,
  cannedServer,
  type RawServer,
  rawServer,
  readAll,
  RequestReader,
  utf8,
  writeAll,
} from "./_test_util.ts";

const HOST = "127.0.0.1";
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** Monotonic time and timers under test control. */
function fakeClock() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    mono: () => now,
    setTimer(ms: number, fn: () => void) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => {
        timers = timers.filter((x) => x !== t);
      };
    },
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    get pending() {
      return timers.length;
    },
  };
}

async function withRaw(
  srv: RawServer,
  fn: (client: H1Client, port: number) => Promise<void>,
  opts: H1ClientOptions = {},
): Promise<void> {
  const client = createH1Client(opts);
  try {
    await fn(client, srv.port);
  } finally {
    await client.close();
    await srv.close();
  }
}

function get(client: H1Client, port: number, signal?: AbortSignal, host = HOST): Promise<Response> {
  return client.request(host, port, {
    method: "GET",
    target: "/",
    headers: [["host", "t"]],
    body: null,
    ...(signal ? { signal } : {}),
  });
}

/** Poll a condition (socket events have no other hook); bounded. */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e: unknown) {
    return e;
  }
  throw new Error("expected a rejection");
}

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

Deno.test("request() replays a replayable request once on a fresh connection when a pooled one is dead", async () => {
  const bodies: string[] = [];
  await withRaw(staleServer(bodies), async (client, port) => {
    assertEquals(await (await get(client, port)).text(), "ok");
    const res = await client.request(HOST, port, {
      method: "POST",
      target: "/",
      headers: [],
      body: utf8("again"),
    });
    assertEquals(await res.text(), "ok");
    assertEquals(bodies, ["again"]);
    assertEquals([client.stats().connects, client.stats().reused], [2, 1]);
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

/** Head + 10 body bytes of a 1 MB body, then silence until the client closes. */
function stallingServer(onEof: () => void): RawServer {
  return rawServer(async (conn) => {
    await new RequestReader(conn).read();
    await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n0123456789");
    await readAll(conn);
    onEof();
  });
}

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

Deno.test("close() fails in-flight exchanges with UpstreamError and later requests with ConnectFailed", async () => {
  await withRaw(stallingServer(() => {}), async (client, port) => {
    const res = await get(client, port);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const pending = rejection(reader.read());
    await client.close();
    assertInstanceOf(await pending, UpstreamError);
    assertInstanceOf(await rejection(get(client, port)), ConnectFailed);
    assertEquals(client.stats().open, 0);
  });
});

Deno.test("close() fails a request that waits for its response head", async () => {
  let seen!: () => void;
  const requested = new Promise<void>((r) => seen = r);
  const srv = rawServer(async (conn) => {
    await new RequestReader(conn).read();
    seen();
    await readAll(conn);
  });
  await withRaw(srv, async (client, port) => {
    const p = rejection(get(client, port));
    await requested;
    await client.close();
    assertStringIncludes(assertInstanceOf(await p, UpstreamError).message, "closed");
  });
});

Deno.test("close(graceMs) lets in-flight exchanges finish, then closes their connections", async () => {
  const clock = fakeClock();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const srv = rawServer(async (conn) => {
    await new RequestReader(conn).read();
    await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nfirst");
    await gate;
    await writeAll(conn, new Uint8Array(100_000 - 5));
    await readAll(conn);
  });
  await withRaw(srv, async (client, port) => {
    const res = await get(client, port);
    let closed = false;
    const closing = client.close(1000).then(() => closed = true);
    assertInstanceOf(await rejection(get(client, port)), ConnectFailed);
    release();
    assertEquals((await res.arrayBuffer()).byteLength, 100_000);
    await closing;
    assert(closed);
    assertEquals([client.stats().open, clock.pending], [0, 0]);
  }, { clock });
});

Deno.test("close(graceMs) fails exchanges still running when the grace period ends", async () => {
  const clock = fakeClock();
  await withRaw(stallingServer(() => {}), async (client, port) => {
    const res = await get(client, port);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const pending = rejection(reader.read());
    const closing = client.close(1000);
    clock.advance(1000);
    await closing;
    assertStringIncludes(assertInstanceOf(await pending, UpstreamError).message, "client closed");
  }, { clock });
});

Deno.test("idle connections expire after idleTimeoutMs", async () => {
  const clock = fakeClock();
  await withRaw(cannedServer(OK), async (client, port) => {
    await (await get(client, port)).text();
    assertEquals(client.stats().idle, 1);
    clock.advance(999);
    assertEquals(client.stats().idle, 1);
    clock.advance(600); // past 1000 ms, at a sweep tick
    assertEquals([client.stats().idle, client.stats().open], [0, 0]);
    assertEquals(clock.pending, 0);
    await (await get(client, port)).text();
    clock.advance(1001); // also checked when the connection is taken, before any sweep
    await (await get(client, port)).text();
    assertEquals(client.stats().connects, 3);
  }, { clock, idleTimeoutMs: 1000 });
});

Deno.test("idle expiry honours the upstream's Keep-Alive timeout hint", async () => {
  const clock = fakeClock();
  const wire = "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=4, max=100\r\nContent-Length: 2\r\n\r\nok";
  await withRaw(cannedServer(wire), async (client, port) => {
    const res = await get(client, port);
    assertEquals([await res.text(), res.headers.has("keep-alive")], ["ok", false]);
    clock.advance(2999);
    await (await get(client, port)).text();
    assertEquals(client.stats().reused, 1);
    clock.advance(3001); // 4 s − 1 s margin
    await (await get(client, port)).text();
    assertEquals(client.stats().connects, 2);
  }, { clock, idleTimeoutMs: 30_000 });
});

Deno.test("maxIdlePerEndpoint bounds the idle stack", async () => {
  await withRaw(cannedServer(OK), async (client, port) => {
    const rs = await Promise.all([1, 2, 3].map(() => get(client, port)));
    for (const r of rs) await r.text();
    assertEquals([client.stats().connects, client.stats().idle, client.stats().open], [3, 2, 2]);
  }, { maxIdlePerEndpoint: 2 });
});
