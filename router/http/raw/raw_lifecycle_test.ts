import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { eventually } from "../../../tests/support/upstream.ts";
import { rawExchange, runCurl, start, statuses } from "./_test_util.ts";

const enc = new TextEncoder();

Deno.test("serveRaw() aborts req.signal within 1 s when the client goes away", async () => {
  let abortedAfter = -1;
  let closedAt = 0;
  const srv = start((req) =>
    new Promise<Response>((resolve) => {
      const timer = setTimeout(() => resolve(new Response("late")), 5000);
      req.signal.addEventListener("abort", () => {
        abortedAfter = performance.now() - closedAt;
        clearTimeout(timer);
        resolve(new Response("aborted"));
      });
    })
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.addr.port });
  await conn.write(enc.encode("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
  await new Promise((r) => setTimeout(r, 100));
  closedAt = performance.now();
  conn.close();
  assert(await eventually(() => abortedAfter >= 0, 2000), "signal never aborted");
  assert(abortedAfter < 1000, `aborted after ${abortedAfter} ms`);
  await srv.shutdown();
});

Deno.test("serveRaw() aborts req.signal and cancels the body when the client leaves mid-response", async () => {
  let cancelled = false, aborted = false;
  const srv = start((req) => {
    req.signal.addEventListener("abort", () => aborted = true);
    let n = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 10));
          c.enqueue(enc.encode(`tick ${n++}\n`));
        },
        cancel() {
          cancelled = true;
        },
      }),
    );
  });
  const r = await runCurl(["-m", "0.5", `http://127.0.0.1:${srv.addr.port}/stream`]);
  assert(r.out.includes("tick 3"), r.out);
  assert(
    await eventually(() => cancelled && aborted, 2000),
    `cancelled ${cancelled} aborted ${aborted}`,
  );
  await srv.shutdown();
});

Deno.test("serveRaw() answers 408 and closes when a head trickles in too slowly", async () => {
  const srv = start(() => new Response("never"), { headerTimeoutMs: 300 });
  const t0 = performance.now();
  const r = await rawExchange(
    srv.addr.port,
    ["GET / HTTP/1.1\r\n", "Host: a\r\n", "X: 1\r\n"],
    3000,
    150,
  );
  const ms = performance.now() - t0;
  assertEquals(statuses(r.text), [408]);
  assert(r.closed);
  assert(ms < 1500, `took ${ms} ms`);
  await srv.shutdown();
});

Deno.test("serveRaw() closes idle keep-alive connections after idleTimeoutMs", async () => {
  let disconnects = 0;
  const srv = start(() => new Response("x"), {
    idleTimeoutMs: 200,
    onDisconnect: () => disconnects++,
  });
  const t0 = performance.now();
  const r = await rawExchange(srv.addr.port, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"], 3000);
  assertEquals(statuses(r.text), [200]);
  assert(r.closed);
  const ms = performance.now() - t0;
  assert(ms >= 150 && ms < 1500, `closed after ${ms} ms`);
  assert(await eventually(() => disconnects === 1, 1000));
  await srv.shutdown();
});

Deno.test("serveRaw() counts connections and calls onConnect/onDisconnect once each", async () => {
  let connects = 0, disconnects = 0;
  const srv = start(() => new Response("x"), {
    onConnect: () => connects++,
    onDisconnect: () => disconnects++,
  });
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port: srv.addr.port });
    await c.write(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    await c.read(new Uint8Array(1024));
    conns.push(c);
  }
  assertEquals(srv.connections(), 5);
  assertEquals(connects, 5);
  for (const c of conns.slice(0, 3)) c.close();
  assert(await eventually(() => srv.connections() === 2, 2000), `open ${srv.connections()}`);
  assertEquals(disconnects, 3);
  await srv.shutdown(); // closes the two idle ones
  assertEquals([connects, disconnects, srv.connections()], [5, 5, 0]);
  for (const c of conns.slice(3)) c.close();
});

Deno.test("serveRaw() shutdown() lets in-flight requests finish, then closes", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let started = false;
  const srv = start(async () => {
    started = true;
    await gate;
    return new Response("finished\n");
  });
  const port = srv.addr.port;
  const idle = await Deno.connect({ hostname: "127.0.0.1", port });
  const pending = rawExchange(port, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"], 5000);
  assert(await eventually(() => started, 2000));
  const down = srv.shutdown();
  let done = false;
  down.then(() => done = true);
  await new Promise((r) => setTimeout(r, 100));
  assert(!done, "shutdown resolved with a request in flight");
  // the idle connection was closed, and no new connection is accepted
  assertEquals(await idle.read(new Uint8Array(16)), null);
  idle.close();
  let refused = false;
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
  } catch {
    refused = true;
  }
  assert(refused, "listener still accepting");
  release();
  const r = await pending;
  assertEquals(statuses(r.text), [200]);
  assert(r.text.includes("connection: close") && r.text.endsWith("finished\n"), r.text);
  assert(r.closed);
  await down;
  await srv.finished;
});
