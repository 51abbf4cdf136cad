import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { ConnectFailed, UpstreamError } from "../../core/errors.ts";
import {
  assertInstanceOf,
  cannedServer,
  fakeClock,
  get,
  OK,
  rawServer,
  readAll,
  rejection,
  RequestReader,
  stallingServer,
  withRaw,
  writeAll,
} from "./_test_util.ts";

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

Deno.test("setLifeTime() closes a connection once it is that old: after its exchange, or while idle", async () => {
  // Linkerd clientSession.lifeTimeMs (ClientSessionConfigTest; Finagle's ExpiringService
  // maxLifeTime): connections are kept alive and reused until they reach the life limit.
  const clock = fakeClock();
  await withRaw(cannedServer(OK), async (client, port) => {
    client.setLifeTime!("127.0.0.1", port, 1000);
    await (await get(client, port)).text();
    clock.advance(600);
    await (await get(client, port)).text(); // 600 ms old: reused
    assertEquals([client.stats().connects, client.stats().reused], [1, 1]);
    const res = await get(client, port); // reused at 600 ms, released at 1100 ms
    clock.advance(500);
    await res.text();
    assertEquals([client.stats().idle, client.stats().open], [0, 0], "closed when released");
    await (await get(client, port)).text(); // a new connection, born at 1100 ms
    assertEquals(client.stats().connects, 2);
    clock.advance(999); // idle for less than idleTimeoutMs, but 999 ms old
    await (await get(client, port)).text();
    assertEquals(client.stats().reused, 3);
    clock.advance(1); // 1000 ms old, idle: not reused
    await (await get(client, port)).text();
    assertEquals(client.stats().connects, 3);
  }, { clock, idleTimeoutMs: 30_000 });
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
