import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { eventually } from "../../../tests/support/upstream.ts";
import { start } from "./_test_util.ts";
import { pipe, takeConnection } from "./tunnel.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A TCP echo server; returns its port and a stop function. */
function echoServer(): { port: number; stop: () => Promise<void> } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const c of l) {
      conns.add(c);
      (async () => {
        const buf = new Uint8Array(4096);
        try {
          for (;;) {
            const n = await c.read(buf);
            if (n === null) break;
            await c.write(buf.subarray(0, n));
          }
        } catch { /* reset */ }
        try {
          c.close();
        } catch { /* closed */ }
        conns.delete(c);
      })();
    }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    stop: async () => {
      l.close();
      await loop.catch(() => {});
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

async function readUntil(c: Deno.Conn, want: string, ms = 2000): Promise<string> {
  let text = "";
  const end = Date.now() + ms;
  const buf = new Uint8Array(4096);
  while (!text.includes(want) && Date.now() < end) {
    const n = await c.read(buf);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

Deno.test("takeConnection() + pipe() run a CONNECT echo tunnel with early data", async () => {
  const upstream = echoServer();
  let disconnects = 0;
  const tunnels: Promise<void>[] = [];
  const srv = start(async (req) => {
    const t = takeConnection(req);
    if (!t) return new Response("not a tunnel", { status: 400 });
    assertEquals(takeConnection(req), undefined); // only once
    const up = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(req.url).port) });
    await t.conn.write(enc.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
    tunnels.push(pipe(t.conn, up, t.buffered));
    return t.response;
  }, { onDisconnect: () => disconnects++ });
  const c = await Deno.connect({ hostname: "127.0.0.1", port: srv.addr.port });
  await c.write(
    enc.encode(`CONNECT 127.0.0.1:${upstream.port} HTTP/1.1\r\nHost: x\r\n\r\nEARLY-DATA|`),
  );
  const first = await readUntil(c, "EARLY-DATA|");
  assertStringIncludes(first, "HTTP/1.1 200 Connection Established\r\n\r\nEARLY-DATA|");
  assertEquals(srv.connections(), 0); // handed over
  assertEquals(disconnects, 1);
  await c.write(enc.encode("LATER"));
  assertEquals(await readUntil(c, "LATER"), "LATER");
  await c.closeWrite(); // half-close: the echo server closes, and so does the tunnel
  assertEquals(await c.read(new Uint8Array(16)), null);
  c.close();
  await Promise.all(tunnels);
  await srv.shutdown();
  await upstream.stop();
});

Deno.test("takeConnection() works for Upgrade requests and not for plain ones", async () => {
  const upstream = echoServer();
  const tunnels: Promise<void>[] = [];
  const seen: boolean[] = [];
  const srv = start(async (req) => {
    const t = takeConnection(req);
    seen.push(t !== undefined);
    if (!t) return new Response("plain");
    const up = await Deno.connect({ hostname: "127.0.0.1", port: upstream.port });
    await t.conn.write(
      enc.encode(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n",
      ),
    );
    tunnels.push(pipe(t.conn, up, t.buffered));
    return t.response;
  });
  const c = await Deno.connect({ hostname: "127.0.0.1", port: srv.addr.port });
  await c.write(enc.encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  assertStringIncludes(await readUntil(c, "plain"), "plain");
  await c.write(
    enc.encode("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"),
  );
  assertStringIncludes(await readUntil(c, "\r\n\r\n"), "101 Switching Protocols");
  await c.write(enc.encode("ping"));
  assertEquals(await readUntil(c, "ping"), "ping");
  c.close(); // abrupt close: the tunnel closes both sides
  await Promise.all(tunnels);
  assertEquals(seen, [false, true]);
  assert(await eventually(() => srv.connections() === 0, 1000));
  await srv.shutdown();
  await upstream.stop();
});
